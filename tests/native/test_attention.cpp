// Every attention method against the double-precision reference, over the
// registry and awkward shapes.
#include <doctest.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "attention/attention.hpp"
#include "bench/measure.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"

using namespace subquad;
using namespace subquad::attention;

namespace {

struct Case {
  std::size_t n, d;
  double B;
  bool causal;
};

double error_vs_reference(const std::string& method, const Case& c, int threads,
                          double scale = 0) {
  const auto Q = uniform_matrix(c.n, c.d, c.B, 11), K = uniform_matrix(c.n, c.d, c.B, 12),
             V = uniform_matrix(c.n, c.d, c.B, 13);
  Problem p{c.n, c.d, Q.data(), K.data(), V.data()};
  Params params;
  params.causal = c.causal;
  params.threads = threads;
  params.scale = scale;
  std::vector<float> out(c.n * c.d), ref(c.n * c.d);
  Stats stats;
  run(method, p, params, out.data(), stats);
  run("exact_reference", p, params, ref.data(), stats);
  return relative_error(out.data(), ref.data(), out.size());
}

// max |out − o| over all rows, o_i = Σ_j w(i, j) v_j / Σ_j w(i, j) in double:
// the closed form of every attention that averages V with weights w ≥ 0
// (w = 0 leaves key j out of row i).
template <class Weight>
double weighted_average_error(const std::vector<float>& out, const std::vector<float>& V, std::size_t n,
                              std::size_t d, Weight w) {
  double worst = 0;
  std::vector<double> o(d);
  for (std::size_t i = 0; i < n; ++i) {
    std::fill(o.begin(), o.end(), 0.0);
    double z = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const double a = w(i, j);
      if (a == 0) continue;
      z += a;
      for (std::size_t k = 0; k < d; ++k) o[k] += a * V[j * d + k];
    }
    for (std::size_t k = 0; k < d; ++k) worst = std::max(worst, std::fabs(out[i * d + k] - o[k] / z));
  }
  return worst;
}

// The fast exact methods checked against exact_reference (rope_* have their own
// reference: tests/native/test_rope.cpp).
bool fast_exact(const Method& m) {
  return m.exact && std::string(m.name) != "exact_reference" && std::string(m.reference) == "exact_reference";
}

// The softmax weight exp(q_i·k_j/√d) (the tests' scores stay far from overflow).
double softmax_weight(const std::vector<float>& Q, const std::vector<float>& K, std::size_t d, std::size_t i,
                      std::size_t j) {
  double s = 0;
  for (std::size_t k = 0; k < d; ++k) s += double(Q[i * d + k]) * K[j * d + k];
  return std::exp(s / std::sqrt(double(d)));
}

}  // namespace

TEST_CASE("exact_reference equals a closed form: identical keys give the mean of V") {
  // All keys equal → every score in a row is equal → output = column means of V.
  const std::size_t n = 5, d = 3;
  std::vector<float> Q = uniform_matrix(n, d, 2.0, 1), K(n * d, 0.7f), V = uniform_matrix(n, d, 1.0, 2);
  std::vector<float> out(n * d);
  Stats stats;
  exact_reference({n, d, Q.data(), K.data(), V.data()}, Params{}, out.data(), nullptr, stats);
  for (std::size_t k = 0; k < d; ++k) {
    double mean = 0;
    for (std::size_t j = 0; j < n; ++j) mean += V[j * d + k];
    mean /= n;
    for (std::size_t i = 0; i < n; ++i) CHECK(out[i * d + k] == doctest::Approx(mean).epsilon(1e-6));
  }
}

TEST_CASE("fast exact methods match exact_reference within 1e-5 (relative)") {
  const std::vector<Case> cases = {
      {1, 1, 1.0, false},  {1, 64, 1.0, false}, {7, 3, 1.0, false},   {13, 1, 2.0, true},
      {97, 64, 1.0, false}, {97, 64, 1.0, true}, {256, 8, 1.0, false}, {300, 17, 3.0, true},
  };
  for (const auto& m : methods()) {
    const std::string name = m.name;
    if (!fast_exact(m)) continue;
    for (const auto& c : cases) {
      for (int threads : {1, max_threads()}) {
        CAPTURE(name);
        CAPTURE(c.n);
        CAPTURE(c.d);
        CAPTURE(c.B);
        CAPTURE(c.causal);
        CAPTURE(threads);
        CHECK(error_vs_reference(name, c, threads) <= 1e-5);
      }
    }
  }
}

TEST_CASE("large entries, where a naive exp would overflow, stay finite and accurate") {
  // Scores reach ±B²·d·scale = ±800. Float32 inputs make each score uncertain by
  // about eps32·Σ|q_k k_k| ≈ 6e-8·800, which softmax turns into a relative
  // output error of that size: the bound below is that conditioning, times 4.
  const Case c{130, 64, 10.0, false};
  const double bound = 4 * 6e-8 * (c.B * c.B * c.d / 8.0);
  for (const auto& m : methods()) {
    if (!fast_exact(m)) continue;
    const std::string name = m.name;
    CAPTURE(name);
    const double err = error_vs_reference(name, c, max_threads());
    CHECK(std::isfinite(err));
    CHECK(err <= bound);
  }
}

TEST_CASE("the papers' scale 1/d is honoured") {
  CHECK(error_vs_reference("exact", {50, 16, 2.0, false}, 1, 1.0 / 16) <= 1e-5);
}

TEST_CASE("bad input gets an Error naming the parameter") {
  std::vector<float> x(12, 1.0f), out(12);
  Stats stats;
  const Params params;
  CHECK_THROWS_WITH_AS(run("exact", {0, 3, x.data(), x.data(), x.data()}, params, out.data(), stats),
                       doctest::Contains("n: got 0"), Error);
  CHECK_THROWS_WITH_AS(run("exact", {4, 0, x.data(), x.data(), x.data()}, params, out.data(), stats),
                       doctest::Contains("d: got 0"), Error);
  CHECK_THROWS_WITH_AS(run("nope", {4, 3, x.data(), x.data(), x.data()}, params, out.data(), stats),
                       doctest::Contains("unknown attention method"), Error);
  std::vector<float> bad = x;
  bad[5] = NAN;
  CHECK_THROWS_WITH_AS(run("exact", {4, 3, x.data(), bad.data(), x.data()}, params, out.data(), stats),
                       doctest::Contains("K: entry 5"), Error);
  std::vector<float> huge = x;
  huge[2] = 3e38f;
  CHECK_THROWS_WITH_AS(run("exact", {4, 3, huge.data(), x.data(), x.data()}, params, out.data(), stats),
                       doctest::Contains("Q: entry 2 is 3e+38, must satisfy |x| <= 1e+15"), Error);
  Params neg;
  neg.scale = -1;
  CHECK_THROWS_WITH_AS(run("exact", {4, 3, x.data(), x.data(), x.data()}, neg, out.data(), stats),
                       doctest::Contains("scale"), Error);
  set_memory_budget_bytes(1024);
  CHECK_THROWS_WITH_AS(run("exact", {4, 3, x.data(), x.data(), x.data()}, params, out.data(), stats),
                       doctest::Contains("memory budget"), Error);
  set_memory_budget_bytes(0);
  // The library still answers correctly afterwards.
  CHECK(error_vs_reference("exact", {9, 3, 1.0, false}, 0) <= 1e-5);
}

namespace {

struct Run {
  std::vector<float> out, ref;
  Stats stats;
  double vmax = 0;
  // max |O − Att|_∞ / max |V|: outputs are convex combinations of V's rows.
  double error_vs_vmax() const {
    double diff = 0;
    for (std::size_t i = 0; i < out.size(); ++i) diff = std::max(diff, std::fabs(double(out[i]) - ref[i]));
    return diff / vmax;
  }
  double stat(const std::string& key) const {
    for (const auto& [k, v] : stats)
      if (k == key) return v;
    FAIL("no stat " << key);
    return NAN;
  }
};

Run run_case(const std::string& method, std::size_t n, std::size_t d, double B, const Params& params,
             std::uint64_t seed = 11) {
  const auto Q = uniform_matrix(n, d, B, seed), K = uniform_matrix(n, d, B, seed + 1),
             V = uniform_matrix(n, d, B, seed + 2);
  Problem p{n, d, Q.data(), K.data(), V.data()};
  Run r;
  r.out.resize(n * d);
  r.ref.resize(n * d);
  run(method, p, params, r.out.data(), r.stats);
  Stats ignored;
  run("exact_reference", p, params, r.ref.data(), ignored);
  for (float v : V) r.vmax = std::max(r.vmax, std::fabs(double(v)));
  return r;
}

}  // namespace

TEST_CASE("exact methods at tile edges (n = 63, 65, 130), d = 1 and d = 3") {
  for (const auto& m : methods()) {
    if (!fast_exact(m)) continue;
    const std::string name = m.name;
    for (std::size_t n : {63, 64, 65, 130}) {
      for (std::size_t d : {1, 3, 64}) {
        for (bool causal : {false, true}) {
          CAPTURE(name);
          CAPTURE(n);
          CAPTURE(d);
          CAPTURE(causal);
          CHECK(error_vs_reference(name, {n, d, 1.0, causal}, max_threads()) <= 1e-5);
        }
      }
    }
  }
}

TEST_CASE("exact methods at B = 30, scale 1: scores of ±2700 where exp overflows") {
  // The float32 score of each pair is uncertain by ~eps32·Σ|q_k k_k| = 6e-8·B²·d;
  // softmax turns that into a relative output error of about the same size.
  const std::size_t d = 3;
  const double B = 30, bound = 8 * 6e-8 * B * B * d;
  for (const auto& m : methods()) {
    if (!fast_exact(m)) continue;
    const std::string name = m.name;
    for (bool causal : {false, true}) {
      CAPTURE(name);
      CAPTURE(causal);
      const double err = error_vs_reference(name, {130, d, B, causal}, max_threads(), 1.0);
      CHECK(std::isfinite(err));
      CHECK(err <= bound);
    }
  }
}

TEST_CASE("polynomial: measured error stays within its own error_bound") {
  for (const char* poly : {"taylor", "chebyshev"}) {
    for (int g : {2, 4, 6}) {
      for (bool causal : {false, true}) {
        for (std::size_t n : {1, 70, 200}) {
          Params params;
          params.scale = 1.0 / 4;
          params.degree = g;
          params.poly = poly;
          params.causal = causal;
          const Run r = run_case("polynomial", n, 4, 1.0, params);
          CAPTURE(poly);
          CAPTURE(g);
          CAPTURE(causal);
          CAPTURE(n);
          const double bound = r.stat("error_bound");
          CHECK(bound < 1);
          // 1e-5: float32 rounding of the feature maps and products.
          CHECK(r.error_vs_vmax() <= bound + 1e-5);
          CHECK(r.stat("negative_denominators") == 0);
        }
      }
    }
  }
}

TEST_CASE("polynomial: Taylor on [−B², B²] (scale 1/d), error grows with B at fixed degree") {
  const std::size_t d = 4;
  double errors[2];
  int k = 0;
  for (double B : {0.5, 1.5}) {
    Params params;
    params.scale = 1.0 / d;
    params.degree = 3;
    params.poly = "taylor";
    params.R = B * B;  // |s⟨q,k⟩| ≤ B² when s = 1/d
    const Run r = run_case("polynomial", 100, d, B, params);
    CAPTURE(B);
    CHECK(r.stat("R") == doctest::Approx(B * B));
    CHECK(r.error_vs_vmax() <= r.stat("error_bound") + 1e-5);
    errors[k++] = r.error_vs_vmax();
  }
  CHECK(errors[1] > 10 * errors[0]);
}

TEST_CASE("polynomial: rank is C(d+g, g) and the coefficients reproduce exp") {
  CHECK(poly_rank(8, 4) == 495);
  CHECK(poly_rank(8, 6) == 3003);
  CHECK(poly_rank(16, 4) == 4845);
  for (std::size_t d : {1, 3, 8}) {
    for (int g : {0, 1, 4}) {
      Params params;
      params.degree = g;
      const Run r = run_case("polynomial", 10, d, 1.0, params);
      double binom = 1;
      for (int k = 1; k <= g; ++k) binom = binom * (double(d) + k) / k;
      CAPTURE(d);
      CAPTURE(g);
      CHECK(r.stat("rank") == doctest::Approx(binom));
    }
  }
  // Chebyshev beats Taylor at equal degree on a wide interval; both converge.
  const double R = 2;
  CHECK(poly_max_rel_error(poly_coefficients("chebyshev", 6, R), R) <
        poly_max_rel_error(poly_coefficients("taylor", 6, R), R));
  CHECK(poly_max_rel_error(poly_coefficients("chebyshev", 12, R), R) <= 1e-8);
  CHECK(poly_max_rel_error(poly_coefficients("taylor", 12, 0.5), 0.5) <= 1e-12);
}

TEST_CASE("polynomial: a degree too low for the range gives bad denominators, reported") {
  Params params;
  params.scale = 1;
  params.degree = 1;
  params.poly = "taylor";  // 1 + t goes negative for t < −1
  const Run r = run_case("polynomial", 64, 8, 2.0, params);
  CHECK(r.stat("negative_denominators") > 0);
  CHECK(r.stat("min_denominator") <= 0);
  CHECK(std::isinf(r.stat("error_bound")));
}

TEST_CASE("window equals softmax over its band |i − j| < window, written out in double") {
  const std::size_t n = 200, d = 7;
  const auto Q = uniform_matrix(n, d, 1.5, 31), K = uniform_matrix(n, d, 1.5, 32), V = uniform_matrix(n, d, 1.0, 33);
  for (std::size_t w : {1, 3, 40, 70}) {
    for (bool causal : {false, true}) {
      Params params;
      params.window = w;
      params.causal = causal;
      std::vector<float> out(n * d);
      Stats stats;
      run("window", {n, d, Q.data(), K.data(), V.data()}, params, out.data(), stats);
      const double worst = weighted_average_error(out, V, n, d, [&](std::size_t i, std::size_t j) {
        const bool inside = (j + w > i) && (causal ? j <= i : j < i + w);
        return inside ? softmax_weight(Q, K, d, i, j) : 0.0;
      });
      CAPTURE(w);
      CAPTURE(causal);
      CHECK(worst <= 2e-6);
    }
  }
}

TEST_CASE("lsh with every row in one bucket is attention within chunks c − 1 and c, written out") {
  // Every row a positive multiple t·u of one direction u: the sign of x·r, hence
  // the bucket, is the same for all rows whatever the random rotation, so the
  // stable sort keeps positions and the chunks are position ranges: query i
  // attends to keys in [(c − 1)·chunk, (c + 1)·chunk), c = ⌊i / chunk⌋ (and
  // j ≤ i when causal). Scores t_i·t_j·‖u‖²/√d still vary from row to row.
  const std::size_t n = 150, d = 4, chunk = 16;
  const float u[d] = {1.0f, -0.5f, 0.25f, 2.0f};
  auto rows = [&](std::uint64_t seed) {
    const auto t = uniform_matrix(n, 1, 0.75, seed);
    std::vector<float> X(n * d);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < d; ++k) X[i * d + k] = (1.25f + t[i]) * u[k];
    return X;
  };
  const auto Q = rows(41), K = rows(42), V = uniform_matrix(n, d, 1.0, 43);
  for (int rounds : {1, 2}) {
    for (bool causal : {false, true}) {
      Params params;
      params.buckets = 2;
      params.chunk = chunk;
      params.rounds = rounds;
      params.causal = causal;
      params.seed = 1;
      std::vector<float> out(n * d);
      Stats stats;
      run("lsh", {n, d, Q.data(), K.data(), V.data()}, params, out.data(), stats);
      const double worst = weighted_average_error(out, V, n, d, [&](std::size_t i, std::size_t j) {
        const std::size_t c = i / chunk, lo = c > 0 ? (c - 1) * chunk : 0;
        const std::size_t hi = causal ? i + 1 : std::min(n, (c + 1) * chunk);
        return j >= lo && j < hi ? softmax_weight(Q, K, d, i, j) : 0.0;
      });
      CAPTURE(rounds);
      CAPTURE(causal);
      CHECK(worst <= 2e-6);
    }
  }
}

TEST_CASE("window with window >= n equals exact; lsh with chunk >= n equals exact") {
  for (bool causal : {false, true}) {
    for (std::size_t n : {1, 50, 130}) {
      Params params;
      params.causal = causal;
      params.window = n;
      CAPTURE(causal);
      CAPTURE(n);
      const Run w = run_case("window", n, 5, 1.0, params);
      CHECK(relative_error(w.out.data(), w.ref.data(), n * 5) <= 1e-5);
      Params lsh_params;
      lsh_params.causal = causal;
      lsh_params.chunk = n;
      lsh_params.rounds = 2;
      const Run r = run_case("lsh", n, 5, 1.0, lsh_params);
      CHECK(relative_error(r.out.data(), r.ref.data(), n * 5) <= 1e-5);
    }
  }
  // A narrow window is an approximation: different from exact.
  Params narrow;
  narrow.window = 3;
  const Run r = run_case("window", 100, 4, 2.0, narrow);
  CHECK(relative_error(r.out.data(), r.ref.data(), r.out.size()) > 1e-3);
}

TEST_CASE("performer: error falls as the number of features grows (mean over seeds)") {
  double mean[2] = {0, 0};
  int k = 0;
  for (int m : {8, 512}) {
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
      Params params;
      params.features = m;
      params.seed = seed;
      params.scale = 0.25;
      mean[k] += run_case("performer", 64, 4, 1.0, params, 40).error_vs_vmax() / 6;
    }
    ++k;
  }
  CAPTURE(mean[0]);
  CAPTURE(mean[1]);
  CHECK(mean[1] < 0.5 * mean[0]);
}

TEST_CASE("performer equals its FAVOR+ estimate written out in double, causal or not") {
  // φ(x)_l = exp(w_l·x′ − ‖x′‖²/2), x′ = √s·x, with the method's own features
  // w_l; o_i = Σ_j φ(q_i)·φ(k_j) v_j / Σ_j φ(q_i)·φ(k_j) over j (≤ i when causal).
  // n = 600 spans three blocks (and the causal prefix sums); m = 37 is ragged.
  for (const auto& shape : {std::tuple<std::size_t, std::size_t, int>{600, 9, 37}, {300, 16, 64}}) {
    const std::size_t n = std::get<0>(shape), d = std::get<1>(shape);
    const std::size_t m = static_cast<std::size_t>(std::get<2>(shape));
    const auto Q = uniform_matrix(n, d, 1.0, 4), K = uniform_matrix(n, d, 1.0, 5),
               V = uniform_matrix(n, d, 1.0, 6);
    const double s = 1.0 / std::sqrt(double(d));
    const std::vector<double> W = performer_features(m, d, 3);
    auto phi = [&](const float* x) {
      std::vector<double> f(m);
      double sq = 0;
      for (std::size_t k = 0; k < d; ++k) sq += s * x[k] * x[k];
      for (std::size_t l = 0; l < m; ++l) {
        double z = 0;
        for (std::size_t k = 0; k < d; ++k) z += W[l * d + k] * std::sqrt(s) * x[k];
        f[l] = std::exp(z - sq / 2);
      }
      return f;
    };
    std::vector<std::vector<double>> fq(n), fk(n);
    for (std::size_t i = 0; i < n; ++i) fq[i] = phi(&Q[i * d]), fk[i] = phi(&K[i * d]);
    for (bool causal : {false, true}) {
      Params params;
      params.features = static_cast<int>(m);
      params.seed = 3;
      params.causal = causal;
      std::vector<float> out(n * d);
      Stats stats;
      run("performer", {n, d, Q.data(), K.data(), V.data()}, params, out.data(), stats);
      const double worst = weighted_average_error(out, V, n, d, [&](std::size_t i, std::size_t j) {
        double w = 0;
        if (!causal || j <= i)
          for (std::size_t l = 0; l < m; ++l) w += fq[i][l] * fk[j][l];
        return w;
      });
      CAPTURE(n);
      CAPTURE(m);
      CAPTURE(causal);
      CHECK(worst <= 1e-5);
    }
  }
}

TEST_CASE("linear equals its closed form Σ_j φ(q_i)·φ(k_j) v_j / Σ_j φ(q_i)·φ(k_j)") {
  // n = 600 spans three key blocks; d = 9 pads [V 1] from 10 to 12 columns.
  for (const auto& shape : {std::pair<std::size_t, std::size_t>{6, 3}, {600, 9}}) {
    const std::size_t n = shape.first, d = shape.second;
    const auto Q = uniform_matrix(n, d, 2.0, 1), K = uniform_matrix(n, d, 2.0, 2),
               V = uniform_matrix(n, d, 2.0, 3);
    auto phi = [](double x) { return x > 0 ? x + 1 : std::exp(x); };
    for (bool causal : {false, true}) {
      Params params;
      params.causal = causal;
      std::vector<float> out(n * d);
      Stats stats;
      run("linear", {n, d, Q.data(), K.data(), V.data()}, params, out.data(), stats);
      const double worst = weighted_average_error(out, V, n, d, [&](std::size_t i, std::size_t j) {
        double w = 0;
        if (!causal || j <= i)
          for (std::size_t a = 0; a < d; ++a) w += phi(Q[i * d + a]) * phi(K[j * d + a]);
        return w;
      });
      CAPTURE(n);
      CAPTURE(causal);
      CHECK(worst <= 2e-6);  // |V| ≤ 2: float rounding of sums of positive weights
    }
  }
}

TEST_CASE("method parameters out of range get an Error naming them") {
  auto opts = [](const char* key, const char* value) {
    Options o;
    o.set(key, value);
    return o;
  };
  CHECK_THROWS_WITH_AS(params_from(opts("degree", "13"), 8, "polynomial"), doctest::Contains("degree"), Error);
  CHECK_THROWS_WITH_AS(params_from(opts("R", "701"), 8, "polynomial"), doctest::Contains("R: got 701"), Error);
  CHECK_THROWS_WITH_AS(params_from(opts("features", "0"), 8, "performer"), doctest::Contains("features"), Error);
  CHECK_THROWS_WITH_AS(params_from(opts("window", "0"), 8, "window"), doctest::Contains("window"), Error);
  CHECK_THROWS_WITH_AS(params_from(opts("buckets", "3"), 8, "lsh"), doctest::Contains("buckets"), Error);
  CHECK_THROWS_WITH_AS(params_from(opts("poly", "pade"), 8, "polynomial"), doctest::Contains("poly"), Error);
  std::vector<float> x(64 * 8, 1.0f), out(64 * 8);
  Stats stats;
  Params deg;
  deg.degree = 13;
  CHECK_THROWS_WITH_AS(run("polynomial", {64, 8, x.data(), x.data(), x.data()}, deg, out.data(), stats),
                       doctest::Contains("degree: got 13"), Error);
  // Scores s·‖q‖·‖k‖ = 1·(√8·20)² = 3200 > kMaxR: refused, not overflowed.
  std::vector<float> big(64 * 8, 20.0f);
  Params unit;
  unit.scale = 1;
  CHECK_THROWS_WITH_AS(run("polynomial", {64, 8, big.data(), big.data(), x.data()}, unit, out.data(), stats),
                       doctest::Contains("R: got 3200"), Error);
  // Rank C(64+12, 12) ≈ 2e13 is far beyond any memory budget.
  std::vector<float> wide(4 * 64, 0.1f), wide_out(4 * 64);
  Params huge;
  huge.degree = 12;
  CHECK_THROWS_WITH_AS(run("polynomial", {4, 64, wide.data(), wide.data(), wide.data()}, huge,
                           wide_out.data(), stats),
                       doctest::Contains("memory budget"), Error);
  // Still answers correctly afterwards.
  Params ok;
  const Run r = run_case("polynomial", 40, 4, 1.0, ok);
  CHECK(r.error_vs_vmax() <= r.stat("error_bound") + 1e-5);
}

TEST_CASE("every method stops with a 'cancelled' Error when a cancel is requested") {
  const auto Q = uniform_matrix(200, 8, 1.0, 1), W = uniform_matrix(399, 8, 1.0, 2);
  std::vector<float> out(200 * 8);
  for (const auto& m : methods()) {
    if (std::string(m.name) == "exact_reference") continue;  // the yardstick is not cancellable
    const std::string name = m.name;
    CAPTURE(name);
    const Problem p{200, 8, Q.data(), Q.data(), Q.data(), 0, takes_positions(m) ? W.data() : nullptr};
    Stats stats;
    cancel_flag().store(1);
    CHECK_THROWS_WITH_AS(run(name, p, Params{}, out.data(), stats), doctest::Contains("cancelled"), Error);
    cancel_flag().store(0);
    stats.clear();
    run(name, p, Params{}, out.data(), stats);
    for (float v : out) REQUIRE(std::isfinite(v));
  }
}

TEST_CASE("bench suite poly_degree finds the smallest degree meeting the target") {
  auto field = [](const std::string& json, const std::string& key) {
    const auto at = json.find("\"" + key + "\":");
    REQUIRE(at != std::string::npos);
    return std::stod(json.substr(at + key.size() + 3));
  };
  double last_degree = -1;
  for (const char* B : {"0.25", "1.5"}) {
    Options o;
    o.set("suite", "poly_degree");
    o.set("n", "256");
    o.set("d", "4");
    o.set("B", B);
    o.set("scale", "inv_d");
    o.set("min_ms", "1");
    const std::string json = bench::measure(o);
    CAPTURE(json);
    const double g = field(json, "degree");
    CHECK(field(json, "error") <= 1e-3);
    CHECK(field(json, "rank") == doctest::Approx(poly_rank(4, static_cast<int>(g))));
    // The degree below must have missed the target: rerun it.
    if (g > 0) {
      Params params = params_from(o.without({"suite", "method", "n", "d", "seed", "min_ms", "B", "target"}), 4,
                                  "polynomial");
      params.degree = static_cast<int>(g) - 1;
      const auto Q = bench::make_matrix(suite_values("poly_degree", o), 256, 4, 1), K = bench::make_matrix(suite_values("poly_degree", o), 256, 4, 2),
                 V = bench::make_matrix(suite_values("poly_degree", o), 256, 4, 3);
      std::vector<float> out(256 * 4);
      Stats stats;
      run("polynomial", {256, 4, Q.data(), K.data(), V.data()}, params, out.data(), stats);
      double err = 0, ref = 0;
      std::vector<double> r(4);
      for (std::size_t s = 0; s < 64; ++s) {
        const std::size_t i = s * 255 / 63;
        exact_reference_row({256, 4, Q.data(), K.data(), V.data()}, params, i, r.data());
        for (std::size_t k = 0; k < 4; ++k) {
          err = std::max(err, std::fabs(double(out[i * 4 + k]) - r[k]));
          ref = std::max(ref, std::fabs(r[k]));
        }
      }
      CHECK(err / ref > 1e-3);
    }
    CHECK(g > last_degree);  // larger entries need a higher degree
    last_degree = g;
  }
}

TEST_CASE("diagonal mask: every exact method equals softmax over the keys j != i") {
  // Closed form per row in double, written out here (not the reference's code).
  for (std::size_t n : {2, 63, 64, 65, 130}) {
    const std::size_t d = 5;
    const auto Q = uniform_matrix(n, d, 1.5, 21), K = uniform_matrix(n, d, 1.5, 22),
               V = uniform_matrix(n, d, 1.0, 23);
    for (const auto& m : methods()) {
      if (!takes_option(family(), m.name, "diagonal")) continue;
      Params params;
      params.diagonal = true;
      std::vector<float> out(n * d);
      Stats stats;
      run(m.name, {n, d, Q.data(), K.data(), V.data()}, params, out.data(), stats);
      const double worst = weighted_average_error(out, V, n, d, [&](std::size_t i, std::size_t j) {
        return j == i ? 0.0 : softmax_weight(Q, K, d, i, j);
      });
      CAPTURE(m.name);
      CAPTURE(n);
      CHECK(worst <= 2e-6);
    }
  }
}

TEST_CASE("diagonal mask: refused by methods without one, with causal, and for n = 1") {
  const auto X = uniform_matrix(8, 4, 1.0, 3);
  std::vector<float> out(8 * 4);
  Stats stats;
  Params params;
  params.diagonal = true;
  for (const auto& m : methods()) {
    if (m.exact) continue;
    CAPTURE(m.name);
    CHECK_THROWS_WITH_AS(run(m.name, {8, 4, X.data(), X.data(), X.data()}, params, out.data(), stats),
                         doctest::Contains("diagonal"), Error);
  }
  params.causal = true;
  CHECK_THROWS_WITH_AS(run("flash", {8, 4, X.data(), X.data(), X.data()}, params, out.data(), stats),
                       doctest::Contains("causal"), Error);
  params.causal = false;
  CHECK_THROWS_WITH_AS(run("exact", {1, 4, X.data(), X.data(), X.data()}, params, out.data(), stats),
                       doctest::Contains("n"), Error);
}

TEST_CASE("non-finite outputs are counted in the stats of every approximate feature method") {
  // Each input drives its method out of float range; the count must equal what O holds.
  struct Overflow {
    const char* method;
    double B;     // entries uniform in [−B, B] (linear: all equal to B)
    double R;     // polynomial: the fit interval, far narrower than the scores
    double scale;
  };
  for (const Overflow& c : {Overflow{"linear", 1e14, 0, 0}, Overflow{"performer", 1e3, 0, 1},
                            Overflow{"polynomial", 1e3, 1, 1}}) {
    const std::size_t n = 64, d = 8;
    std::vector<float> Q = uniform_matrix(n, d, c.B, 1), K = uniform_matrix(n, d, c.B, 2),
                       V = uniform_matrix(n, d, c.B, 3);
    // linear: φ = elu + 1 of 1e14 entries: Σ_j φ(k_j) v_j ≈ 64e28, times φ(q) ≈ 5e44 > FLT_MAX.
    if (std::string(c.method) == "linear")
      for (auto* X : {&Q, &K, &V}) std::fill(X->begin(), X->end(), static_cast<float>(c.B));
    Params params;
    params.scale = c.scale;
    params.R = c.R;
    params.degree = 12;
    std::vector<float> out(n * d);
    Stats stats;
    run(c.method, {n, d, Q.data(), K.data(), V.data()}, params, out.data(), stats);
    double nonfinite = 0, reported = -1;
    for (float o : out) nonfinite += !std::isfinite(o);
    for (const auto& [k, v] : stats)
      if (k == "nonfinite_outputs") reported = v;
    CAPTURE(std::string(c.method));
    CHECK(nonfinite > 0);
    CHECK(reported == nonfinite);
  }
}

namespace {

// d = 1, n = 2^24 (the most keys run() accepts), scale 1: keys and queries alternate ±√R, so
// every row's scores are exactly +R (half the keys) and −R (the other half). V is in [0, 1] on
// the even keys and −1 on the odd ones, so weight misplaced on the −R keys shows in the output.
Run polynomial_at_range_edge(double R) {
  const std::size_t n = std::size_t(1) << 24;
  const float root = static_cast<float>(std::sqrt(R));
  std::vector<float> QK(n), V = uniform_matrix(n, 1, 0.5, 5);
  for (std::size_t i = 0; i < n; ++i) {
    QK[i] = (i % 2 ? -root : root);
    V[i] = i % 2 ? -1.0f : V[i] + 0.5f;
  }
  Params params;
  params.scale = 1;
  params.degree = 12;
  params.R = R;
  Run r;
  r.out.resize(n);
  run("polynomial", {n, 1, QK.data(), QK.data(), V.data()}, params, r.out.data(), r.stats);
  // exact_reference on a few rows (it is O(n) per row): rows 0 and 1 and two more.
  r.vmax = 1;
  for (std::size_t i : {std::size_t(0), std::size_t(1), n / 2 + 7, n - 1}) {
    double o = 0;
    exact_reference_row({n, 1, QK.data(), QK.data(), V.data()}, params, i, &o);
    r.ref.push_back(o);
    r.out[r.ref.size() - 1] = r.out[i];
  }
  r.out.resize(r.ref.size());
  return r;
}

}  // namespace

TEST_CASE("polynomial: the largest R accepted stays in float32 range for 2^24 keys; one past is refused") {
  // Scores ±kMaxR on every row: P(R) ≈ 0.79·e^R and P(−R) ≈ 0.003·e^R (Chebyshev, g = 12), so the
  // output is the mean of V over the +R keys up to ≈ 2·0.003/0.79 of max|V|; it must be finite.
  const Run r = polynomial_at_range_edge(kMaxR);
  CHECK(r.stat("nonfinite_outputs") == 0);
  CHECK(r.stat("negative_denominators") == 0);
  for (std::size_t i = 0; i < r.out.size(); ++i) {
    CAPTURE(i);
    CHECK(std::isfinite(r.out[i]));
  }
  CHECK(r.error_vs_vmax() <= 0.01);
  Params past;
  past.R = kMaxR + 1;
  std::vector<float> x(8, 1.0f), out(8);
  Stats stats;
  const std::string named = "R: got " + std::to_string(int(kMaxR) + 1);
  CHECK_THROWS_WITH_AS(run("polynomial", {8, 1, x.data(), x.data(), x.data()}, past, out.data(), stats),
                       doctest::Contains(named.c_str()), Error);
  // The same through the inputs' score range (R = 0 → scale·max|q|·max|k| = kMaxR + 1).
  std::vector<float> wide(8, static_cast<float>(std::sqrt(kMaxR + 1)));
  Params unit;
  unit.scale = 1;
  CHECK_THROWS_WITH_AS(run("polynomial", {8, 1, wide.data(), wide.data(), x.data()}, unit, out.data(), stats),
                       doctest::Contains("R: got"), Error);
}
