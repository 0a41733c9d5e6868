// The tensor family (cpp/tensor/): exact and windowed against the double
// triple loop, the polynomial method's identity and accuracy, the K₂-constant
// reduction to matrix attention, Match3 against brute force, bad input.
#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "support.hpp"
#include "tensor/tensor.hpp"

using namespace subquad;

using subquad::testing::message_of;
using subquad::testing::stat;

namespace {

struct Inputs {
  std::size_t n, d;
  std::vector<float> Q, K1, K2, V1, V2;
  tensor::Problem problem() const { return {n, d, Q.data(), K1.data(), K2.data(), V1.data(), V2.data()}; }
};

Inputs inputs(std::size_t n, std::size_t d, double B, bool nonnegative = false, std::uint64_t seed = 1) {
  return {n,
          d,
          tensor::generate(n, d, B, nonnegative, seed),
          tensor::generate(n, d, B, nonnegative, seed + 1),
          tensor::generate(n, d, B, nonnegative, seed + 2),
          tensor::generate(n, d, 1.0, false, seed + 3),
          tensor::generate(n, d, 1.0, false, seed + 4)};
}

std::vector<float> run(const std::string& method, const Inputs& in, const tensor::Params& params,
                       tensor::Stats* stats_out = nullptr) {
  std::vector<float> O(in.n * in.d);
  tensor::Stats stats;
  tensor::run(method, in.problem(), params, O.data(), stats);
  if (stats_out) *stats_out = stats;
  return O;
}

// Max |out − ref| / max |ref| against the reference (double, from its rows).
double error_vs_reference(const std::vector<float>& out, const Inputs& in, const tensor::Params& params) {
  std::vector<double> ref(in.n * in.d);
  for (std::size_t i = 0; i < in.n; ++i) tensor::reference_row(in.problem(), params, i, ref.data() + i * in.d);
  return relative_error(out.data(), ref.data(), ref.size());
}

// The masked triple loop, written again here: pairs (j, k) in query i's windows.
std::vector<double> masked_triple_loop(const Inputs& in, double s, std::size_t w1, std::size_t w2, bool causal) {
  const std::size_t n = in.n, d = in.d;
  std::vector<double> O(n * d, 0.0);
  auto inside = [&](std::size_t i, std::size_t j, std::size_t w) {
    const long long delta = (long long)i - (long long)j;
    return causal ? (delta >= 0 && delta < (long long)w) : std::llabs(delta) < (long long)w;
  };
  for (std::size_t i = 0; i < n; ++i) {
    double m = -INFINITY;
    std::vector<double> sc(n * n, -INFINITY);
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t k = 0; k < n; ++k) {
        if (!inside(i, j, w1) || !inside(i, k, w2)) continue;
        double t = 0;
        for (std::size_t l = 0; l < d; ++l) t += double(in.Q[i * d + l]) * in.K1[j * d + l] * in.K2[k * d + l];
        sc[j * n + k] = s * t;
        m = std::max(m, s * t);
      }
    double sum = 0;
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t k = 0; k < n; ++k) {
        if (sc[j * n + k] == -INFINITY) continue;
        const double e = std::exp(sc[j * n + k] - m);
        sum += e;
        for (std::size_t l = 0; l < d; ++l) O[i * d + l] += e * in.V1[j * d + l] * in.V2[k * d + l];
      }
    for (std::size_t l = 0; l < d; ++l) O[i * d + l] /= sum;
  }
  return O;
}

tensor::Params with(double scale, bool causal, int threads) {
  tensor::Params p;
  p.scale = scale;
  p.causal = causal;
  p.threads = threads;
  return p;
}

}  // namespace

TEST_CASE("tensor: exact matches the double triple loop within 1e-5 (awkward n, d = 1, both masks, threads)") {
  struct Shape {
    std::size_t n, d;
  };
  for (const Shape sh : {Shape{1, 1}, Shape{2, 1}, Shape{7, 3}, Shape{63, 1}, Shape{65, 5}, Shape{130, 16}}) {
    const Inputs in = inputs(sh.n, sh.d, 1.0, false, sh.n * 7 + sh.d);
    for (bool causal : {false, true})
      for (int threads : {1, max_threads()}) {
        CAPTURE(sh.n);
        CAPTURE(sh.d);
        CAPTURE(causal);
        CAPTURE(threads);
        const tensor::Params params = with(0, causal, threads);
        CHECK(error_vs_reference(run("exact", in, params), in, params) <= 1e-5);
        if (sh.n <= 65) CHECK(relative_error(run("reference", in, params).data(), run("exact", in, params).data(), sh.n * sh.d) <= 1e-5);
      }
  }
}

TEST_CASE("tensor: the reference is the obvious triple loop (windows off)") {
  const Inputs in = inputs(9, 3, 1.5, false, 3);
  for (bool causal : {false, true}) {
    const auto ref = masked_triple_loop(in, 0.5, causal ? 9 : 9, 9, causal);
    CHECK(relative_error(run("reference", in, with(0.5, causal, 1)).data(), ref.data(), ref.size()) <= 1e-6);
  }
}

TEST_CASE("tensor: large entries, where a naive exp overflows, stay finite and accurate") {
  // Scores reach ±scale·d·B³ = ±1296 (e^1296 overflows even double). Float32 inputs
  // make each score uncertain by ≈ 6e-8·Σ|q k₁ k₂|; softmax turns that into a
  // relative output error of the same size: the bound is that, times 8.
  const std::size_t d = 6;
  const double B = 6, bound = 8 * 6e-8 * B * B * B * d;
  const Inputs in = inputs(70, d, B, false, 5);
  for (bool causal : {false, true}) {
    CAPTURE(causal);
    const tensor::Params params = with(1.0, causal, max_threads());
    const auto O = run("exact", in, params);
    const double err = error_vs_reference(O, in, params);
    CHECK(std::isfinite(err));
    CHECK(err <= bound);
  }
}

TEST_CASE("tensor: exact gives the same bits on 1 thread and on all") {
  const Inputs in = inputs(100, 8, 1.0, false, 9);
  CHECK(run("exact", in, with(0, false, 1)) == run("exact", in, with(0, false, max_threads())));
  CHECK(run("windowed", in, with(0, true, 1)) == run("windowed", in, with(0, true, max_threads())));
}

TEST_CASE("tensor: the Khatri–Rao identity (U₂⊘U₃)ᵀ(V₁⊘V₂) = (U₂ᵀV₁) ∘ (U₃ᵀV₂) on random data") {
  const std::size_t n = 11, r = 5, d = 4;
  Rng rng(17);
  auto random = [&](std::size_t rows, std::size_t cols) {
    std::vector<double> m(rows * cols);
    for (auto& v : m) v = rng.uniform(-1, 1);
    return m;
  };
  const auto U2 = random(n, r), U3 = random(n, r), V1 = random(n, d), V2 = random(n, d);
  // Left: the n²-row Khatri–Rao products formed explicitly, row (j, k) = U₂[j] ∘ U₃[k].
  std::vector<double> left(r * d, 0.0), right(r * d, 0.0), a(r * d, 0.0), b(r * d, 0.0);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t x = 0; x < r; ++x)
        for (std::size_t l = 0; l < d; ++l) left[x * d + l] += U2[j * r + x] * U3[k * r + x] * V1[j * d + l] * V2[k * d + l];
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t x = 0; x < r; ++x)
      for (std::size_t l = 0; l < d; ++l) {
        a[x * d + l] += U2[j * r + x] * V1[j * d + l];
        b[x * d + l] += U3[j * r + x] * V2[j * d + l];
      }
  double worst = 0, scale = 0;
  for (std::size_t t = 0; t < r * d; ++t) {
    right[t] = a[t] * b[t];
    worst = std::max(worst, std::fabs(left[t] - right[t]));
    scale = std::max(scale, std::fabs(left[t]));
  }
  CHECK(scale > 1);
  CHECK(worst <= 1e-12 * scale);
}

TEST_CASE("tensor: polynomial at large degree and small B matches the reference within 1e-5") {
  for (std::size_t n : {1, 50, 129}) {
    for (std::size_t d : {1, 3}) {
      const Inputs in = inputs(n, d, 0.5, false, n + d);
      tensor::Params params = with(0, false, max_threads());
      params.degree = 8;
      tensor::Stats stats;
      const auto O = run("polynomial", in, params, &stats);
      CAPTURE(n);
      CAPTURE(d);
      CHECK(error_vs_reference(O, in, params) <= 1e-5);
      CHECK(stat(stats, "rank") == attention::poly_rank(d, 8));
      CHECK(stat(stats, "negative_denominators") == 0);
      CHECK(stat(stats, "error_bound") <= 1e-6);
    }
  }
}

TEST_CASE("tensor: polynomial stays within its own error bound, and the bound grows with B (nonnegative inputs)") {
  const std::size_t n = 60, d = 3;
  double last_bound = 0;
  for (double B : {0.5, 1.0, 1.5, 2.0}) {
    const Inputs in = inputs(n, d, B, true, 4);
    tensor::Params params = with(0, false, 1);
    params.degree = 4;
    tensor::Stats stats;
    const auto O = run("polynomial", in, params, &stats);
    std::vector<double> ref(n * d);
    for (std::size_t i = 0; i < n; ++i) tensor::reference_row(in.problem(), params, i, ref.data() + i * d);
    double err = 0;  // |o − o*|_∞ / max|V₁ ∘ V₂| (≤ 1: V entries in [−1, 1])
    for (std::size_t t = 0; t < n * d; ++t) err = std::max(err, std::fabs(O[t] - ref[t]));
    CAPTURE(B);
    CAPTURE(err);
    CHECK(stat(stats, "R") == doctest::Approx(tensor::score_bound(in.problem(), 1 / std::sqrt(3.0))));
    CHECK(err <= stat(stats, "error_bound") + 1e-5);
    CHECK((stat(stats, "error_bound") > last_bound || std::isinf(stat(stats, "error_bound"))));
    last_bound = stat(stats, "error_bound");
  }
}

TEST_CASE("tensor: windowed with w1 = w2 = n equals exact, and matches the masked triple loop") {
  for (std::size_t n : {1, 5, 40, 70}) {
    const Inputs in = inputs(n, 4, 1.0, false, n);
    for (bool causal : {false, true}) {
      tensor::Params params = with(0, causal, max_threads());
      params.w1 = params.w2 = n;
      CAPTURE(n);
      CAPTURE(causal);
      const auto a = run("windowed", in, params), b = run("exact", in, params);
      CHECK(relative_error(a.data(), b.data(), a.size()) <= 1e-6);
    }
  }
  for (std::size_t n : {9, 70}) {
    const Inputs in = inputs(n, 3, 1.0, false, 2 * n);
    for (bool causal : {false, true})
      for (std::size_t w1 : {1, 3, 8})
        for (std::size_t w2 : {1, 2, 5}) {
          tensor::Params params = with(0.7, causal, max_threads());
          params.w1 = w1;
          params.w2 = w2;
          CAPTURE(n);
          CAPTURE(causal);
          CAPTURE(w1);
          CAPTURE(w2);
          const auto ref = masked_triple_loop(in, 0.7, w1, w2, causal);
          CHECK(relative_error(run("windowed", in, params).data(), ref.data(), ref.size()) <= 1e-5);
        }
  }
}

TEST_CASE("tensor: with every row of K2 = u, tensor attention is Att(Q∘u, K1, V1) ∘ mean(V2)") {
  const std::size_t n = 45, d = 5;
  Inputs in = inputs(n, d, 1.5, false, 31);
  const auto u = tensor::generate(1, d, 1.5, false, 99);
  for (std::size_t k = 0; k < n; ++k) std::copy(u.begin(), u.end(), in.K2.begin() + k * d);
  std::vector<float> Qu(n * d);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t l = 0; l < d; ++l) Qu[i * d + l] = in.Q[i * d + l] * u[l];
  attention::Params ap;
  ap.scale = 0.6;
  std::vector<float> A(n * d);
  attention::Stats astats;
  attention::run("exact_reference", {n, d, Qu.data(), in.K1.data(), in.V1.data()}, ap, A.data(), astats);
  std::vector<double> mean(d, 0.0), want(n * d);
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t l = 0; l < d; ++l) mean[l] += in.V2[k * d + l] / double(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t l = 0; l < d; ++l) want[i * d + l] = A[i * d + l] * mean[l];
  for (const char* method : {"reference", "exact"}) {
    CAPTURE(method);
    CHECK(relative_error(run(method, in, with(0.6, false, max_threads())).data(), want.data(), want.size()) <= 1e-5);
  }
}

TEST_CASE("tensor: Match3 — brute force is the triple loop; the tensor layer is right everywhere") {
  for (std::size_t n : {1, 3, 8, 20, 33}) {
    for (std::uint32_t M : {2u, 7u, tensor::match3_default_modulus(n), 2048u}) {
      for (std::uint64_t seed : {1, 2, 3}) {
        const auto x = tensor::match3_tokens(n, M, seed * 100 + n);
        const auto truth = tensor::match3_brute_force(x, M);
        std::vector<std::uint8_t> triple(n, 0), pair_jj(n, 0);
        for (std::size_t i = 0; i < n; ++i)
          for (std::size_t j = 0; j < n; ++j) {
            if ((x[i] + 2 * x[j]) % M == 0) pair_jj[i] = 1;
            for (std::size_t k = 0; k < n; ++k)
              if ((x[i] + x[j] + x[k]) % M == 0) triple[i] = 1;
          }
        CAPTURE(n);
        CAPTURE(M);
        CAPTURE(seed);
        CHECK(truth == triple);
        CHECK(tensor::match3_tensor(x, M, max_threads()).says == truth);
        // The width-2 matrix layer answers exactly "∃ j: x_i + 2x_j ≡ 0".
        CHECK(tensor::match3_matrix(x, M, max_threads()).says == pair_jj);
      }
    }
  }
}

TEST_CASE("tensor: Match3 experiment — tensor perfect, the matrix baseline measurably not") {
  const tensor::Match3Result r = tensor::match3_experiment(24, 0, 5, 20, max_threads());
  CHECK(r.M == tensor::match3_default_modulus(24));
  CHECK(r.positions == 24 * 20);
  CHECK(r.tensor_correct == r.positions);
  CHECK(r.matrix_false_positives == 0);
  CHECK(r.positives > r.positions / 4);  // about half the positions are positive at the default M
  CHECK(r.positives < 3 * r.positions / 4);
  CHECK(r.matrix_correct < r.positions * 0.8);
}

TEST_CASE("tensor: bad input is refused by name, and the family keeps working") {
  const Inputs in = inputs(8, 2, 1.0);
  std::vector<float> O(16);
  tensor::Stats stats;
  auto call = [&](const std::string& method, const tensor::Problem& p, const tensor::Params& params) {
    return message_of([&] { tensor::run(method, p, params, O.data(), stats); });
  };
  tensor::Problem p = in.problem();
  p.K2 = nullptr;
  CHECK(call("exact", p, {}).rfind("K2: missing", 0) == 0);
  std::vector<float> bad = in.V1;
  bad[5] = NAN;
  p = in.problem();
  p.V1 = bad.data();
  CHECK(call("exact", p, {}).rfind("V1: ", 0) == 0);
  CHECK(call("nope", in.problem(), {}).rfind("method: unknown tensor method 'nope'", 0) == 0);
  tensor::Params w;
  w.w1 = 0;
  CHECK(call("windowed", in.problem(), w).rfind("w1: got 0", 0) == 0);
  Options o;
  o.set("w2", "0");
  CHECK(message_of([&] { tensor::params_from(o, 2, "windowed"); }).rfind("w2: got 0", 0) == 0);
  tensor::Params causal;
  causal.causal = true;
  CHECK(call("polynomial", in.problem(), causal).rfind("causal: ", 0) == 0);
  std::vector<float> huge(16, 1e11f);
  p = in.problem();
  p.Q = p.K1 = p.K2 = huge.data();
  tensor::Params big_scale;
  big_scale.scale = 1e6;
  CHECK(call("exact", p, big_scale).rfind("Q: scores scale·Σ q·k1·k2 reach ", 0) == 0);
  const Inputs wide = inputs(8, 2, 20.0);
  CHECK(call("polynomial", wide.problem(), {}).rfind("R: got ", 0) == 0);

  // The cubic method's time budget: refused with the largest n that fits.
  const std::size_t n = 8192, d = 64;
  std::vector<float> big(n * d, 0.25f), out(n * d);
  const tensor::Problem large{n, d, big.data(), big.data(), big.data(), big.data(), big.data()};
  const std::string msg = message_of([&] { tensor::run("exact", large, {}, out.data(), stats); });
  CAPTURE(msg);
  CHECK(msg.rfind("n: got 8192: exact needs ", 0) == 0);
  CHECK(msg.find("the largest n at d = 64 is 1574") != std::string::npos);
  CHECK(message_of([&] { tensor::run("reference", large, {}, out.data(), stats); }).rfind("n: got 8192: reference", 0) == 0);

  // Degree beyond memory.
  set_memory_budget_bytes(64.0 * 1048576);
  tensor::Params deg;
  deg.degree = 12;
  CHECK(message_of([&] { tensor::run("polynomial", large, deg, out.data(), stats); }).rfind("degree: got 12: rank C(d+g, g) = ", 0) == 0);
  set_memory_budget_bytes(0);

  // Still working.
  CHECK(error_vs_reference(run("exact", in, {}), in, {}) <= 1e-5);
}
