// Attention with diagonal position matrices (positional_*; THEORY-2.md §1): the
// FFT and its Toeplitz products against dense ones, positional_fft against
// positional_reference, and what is refused.
#include <doctest.h>

#include <cmath>
#include <complex>
#include <functional>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "attention/toeplitz.hpp"
#include "bench/measure.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "support.hpp"

using namespace subquad;
using namespace subquad::attention;

using subquad::testing::message_of;
using subquad::testing::stat;

namespace {

std::vector<double> doubles(std::size_t count, std::uint64_t seed) {
  const auto f = uniform_matrix(count, 1, 1.0, seed);
  return std::vector<double>(f.begin(), f.end());
}

struct Positional {
  std::vector<float> Q, K, V, W;
  Problem problem(std::size_t n, std::size_t d) const {
    return {n, d, Q.data(), K.data(), V.data(), 0, W.data()};
  }
};

Positional inputs(std::size_t n, std::size_t d, double B, double wmax = 1.0) {
  return {uniform_matrix(n, d, B, 51), uniform_matrix(n, d, B, 52), uniform_matrix(n, d, 1.0, 53),
          uniform_matrix(2 * n - 1, d, wmax, 54)};
}

double error_vs_reference(std::size_t n, std::size_t d, double B, const Params& params,
                          Stats* out_stats = nullptr) {
  const Positional x = inputs(n, d, B);
  std::vector<float> out(n * d), ref(n * d);
  Stats stats;
  run("positional_fft", x.problem(n, d), params, out.data(), stats);
  if (out_stats) *out_stats = stats;
  run("positional_reference", x.problem(n, d), params, ref.data(), stats);
  double diff = 0;
  for (std::size_t i = 0; i < n * d; ++i) diff = std::max(diff, std::fabs(double(out[i]) - ref[i]));
  return diff;  // |V| ≤ 1: the absolute error is the error relative to max|V|
}

}  // namespace

TEST_CASE("fft: the radix-2 FFT across columns equals a dense DFT (L = 1 … 512)") {
  for (std::size_t n : {1, 2, 3, 5, 17, 64, 200, 256}) {
    const ToeplitzFFT f(n);
    const std::size_t L = f.length(), C = 3;
    std::vector<double> re = doubles(L * C, 1 + n), im = doubles(L * C, 2 + n);
    const std::vector<double> re0 = re, im0 = im;
    f.fft(re.data(), im.data(), C, false);
    double worst = 0;
    for (std::size_t k = 0; k < L; ++k)
      for (std::size_t c = 0; c < C; ++c) {
        std::complex<double> sum = 0;
        for (std::size_t j = 0; j < L; ++j)
          sum += std::complex<double>(re0[j * C + c], im0[j * C + c]) *
                 std::polar(1.0, -2 * M_PI * double(j * k % L) / L);
        worst = std::max(worst, std::abs(sum - std::complex<double>(re[k * C + c], im[k * C + c])));
      }
    CAPTURE(n);
    CHECK(worst <= 1e-12 * L);
    f.fft(re.data(), im.data(), C, true);  // and back
    for (std::size_t i = 0; i < L * C; ++i)
      CHECK(std::fabs(re[i] - re0[i]) + std::fabs(im[i] - im0[i]) <= 1e-13);
  }
}

TEST_CASE("fft: Toeplitz products equal dense ones for n = 1 … 300 (powers of two or not)") {
  double worst = 0;
  for (std::size_t n = 1; n <= 300; ++n) {
    const ToeplitzFFT f(n);
    const std::size_t cols = 1 + n % 5;  // odd and even column counts (pairs and a lone one)
    const std::vector<double> t = doubles(2 * n - 1, 7 * n), Z = doubles(n * cols, 7 * n + 1);
    std::vector<double> Y(n * cols);
    ToeplitzFFT::Work work;
    f.apply(t.data(), Z.data(), cols, Y.data(), work);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t c = 0; c < cols; ++c) {
        double y = 0;
        for (std::size_t j = 0; j < n; ++j) y += t[i + n - 1 - j] * Z[j * cols + c];
        worst = std::max(worst, std::fabs(y - Y[i * cols + c]) / std::sqrt(double(n)));
      }
  }
  CHECK(worst <= 1e-13);
}

TEST_CASE("positional_reference with every w_Δ = 1 is plain attention; with random W it is not") {
  const std::size_t n = 50, d = 5;
  Positional x = inputs(n, d, 1.5);
  std::vector<float> ones(x.W.size(), 1.0f), a(n * d), b(n * d);
  Stats stats;
  for (bool causal : {false, true}) {
    Params params;
    params.causal = causal;
    run("positional_reference", {n, d, x.Q.data(), x.K.data(), x.V.data(), 0, ones.data()}, params,
        a.data(), stats);
    run("exact_reference", {n, d, x.Q.data(), x.K.data(), x.V.data()}, params, b.data(), stats);
    CHECK(relative_error(a.data(), b.data(), n * d) <= 1e-7);
    run("positional_reference", x.problem(n, d), params, a.data(), stats);
    CHECK(relative_error(a.data(), b.data(), n * d) > 1e-3);
  }
}

TEST_CASE(
    "positional_fft: large g at small B is within 1e-6 of positional_reference; causal too; "
    "awkward n") {
  for (bool causal : {false, true}) {
    for (std::size_t n : {1, 2, 63, 100, 130}) {
      for (int threads : {1, max_threads()}) {
        Params params;
        params.causal = causal;
        params.threads = threads;
        params.degree = 10;
        params.scale = 1.0 / 4;
        Stats stats;
        const double err = error_vs_reference(n, 4, 0.5, params, &stats);
        CAPTURE(causal);
        CAPTURE(n);
        CAPTURE(threads);
        CHECK(err <= 1e-6);
        CHECK(stat(stats, "pieces") == poly_rank(4, 10));  // C(14, 10) = 1001
        CHECK(stat(stats, "negative_denominators") == 0);
      }
    }
  }
}

TEST_CASE("positional_fft: piece count C(d+g, g), the error bound holds and shrinks with g") {
  for (std::size_t d : {1, 3, 4}) {
    double last = INFINITY;
    for (int g : {2, 4, 6}) {
      Params params;
      params.degree = g;
      params.scale = 1.0 / double(d);
      Stats stats;
      const double err = error_vs_reference(90, d, 1.0, params, &stats);
      double binom = 1;
      for (int k = 1; k <= g; ++k) binom = binom * (double(d) + k) / k;
      CAPTURE(d);
      CAPTURE(g);
      CHECK(stat(stats, "pieces") == binom);
      CHECK(stat(stats, "error_bound") < 1);
      CHECK(err <= stat(stats, "error_bound") + 1e-6);
      CHECK(stat(stats, "R") >= stat(stats, "score_bound"));
      CHECK(err < last);
      last = err;
    }
  }
  CHECK(poly_rank(4, 4) == 70);  // THEORY-2.md §1 (d): 70 pieces at d = 4, g = 4
}

TEST_CASE("positional: bad input refused by name, then a good call works") {
  const std::size_t n = 8, d = 3;
  Positional x = inputs(n, d, 1.0);
  std::vector<float> out(n * d);
  Stats stats;
  for (const char* method : {"positional_reference", "positional_fft"}) {
    CAPTURE(method);
    CHECK(message_of([&] {
            run(method, {n, d, x.Q.data(), x.K.data(), x.V.data()}, Params{}, out.data(), stats);
          }).rfind("W: missing: method '", 0) == 0);
    std::vector<float> bad = x.W;
    bad[2 * n - 2] = NAN;
    CHECK(message_of([&] {
            run(method, {n, d, x.Q.data(), x.K.data(), x.V.data(), 0, bad.data()}, Params{},
                out.data(), stats);
          }) == "W: entry " + std::to_string(2 * n - 2) + " is nan, must be finite");
    CHECK(message_of([&] {
            run(method, {n, d, x.Q.data(), x.K.data(), x.V.data(), 16, x.W.data()}, Params{},
                out.data(), stats);
          }).rfind("n_k: got 16", 0) == 0);
  }
  CHECK(message_of([&] {
          run("flash", x.problem(n, d), Params{}, out.data(), stats);
        }).rfind("W: given, but method 'flash' takes no W", 0) == 0);
  std::vector<float> big = x.W;
  for (auto& w : big) w = 1000;
  CHECK(message_of([&] {
          run("positional_fft", {n, d, x.Q.data(), x.K.data(), x.V.data(), 0, big.data()}, Params{},
              out.data(), stats);
        }).rfind("R: got ", 0) == 0);
  Params params;
  params.degree = 6;
  CHECK(error_vs_reference(n, d, 0.5, params) <= 1e-6);
}

TEST_CASE("positional: the bench generates W and measures the error against positional_reference") {
  Options o;
  o.set("suite", "attention");
  o.set("method", "positional_fft");
  o.set("n", "300");
  o.set("d", "4");
  o.set("degree", "6");
  o.set("scale", "inv_d");
  o.set("min_ms", "1");
  const std::string json = bench::measure(o);
  CAPTURE(json);
  const auto at = json.find("\"error\":");
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(json.substr(at + 8)) <= 1e-4);
  CHECK(json.find("\"pieces\":210") != std::string::npos);
}

TEST_CASE(
    "positional_fft with support = rope equals rope_polynomial at the same g and R (two code "
    "paths, one P)") {
  const std::size_t n = 90, d = 4;
  const auto Q = uniform_matrix(n, d, 0.8, 61), K = uniform_matrix(n, d, 0.8, 62),
             V = uniform_matrix(n, d, 1.0, 63);
  for (const char* layout : {"interleaved", "half"}) {
    for (bool causal : {false, true}) {
      for (int g : {2, 4}) {
        Params params;
        params.support = "rope";
        params.rope_layout = layout;
        params.causal = causal;
        params.degree = g;
        params.scale = 1.0 / d;
        params.R = 0.8;  // the same interval for both, so the same polynomial
        std::vector<float> a(n * d), b(n * d), ref(n * d);
        Stats sa, sb, ignored;
        run("positional_fft", {n, d, Q.data(), K.data(), V.data()}, params, a.data(), sa);
        run("rope_polynomial", {n, d, Q.data(), K.data(), V.data()}, params, b.data(), sb);
        run("rope_reference", {n, d, Q.data(), K.data(), V.data()}, params, ref.data(), ignored);
        CAPTURE(layout);
        CAPTURE(causal);
        CAPTURE(g);
        CHECK(stat(sa, "pieces") == poly_rank(2 * d, g));  // C(|S| + g, g), |S| = 2d
        CHECK(stat(sa, "support_size") == 2 * d);
        CHECK(relative_error(a.data(), b.data(), n * d) <= 2e-6);
        // Both are the polynomial method, so both miss the exact RoPE attention by the same amount.
        CHECK(std::fabs(relative_error(a.data(), ref.data(), n * d) -
                        relative_error(b.data(), ref.data(), n * d)) <= 2e-6);
      }
    }
  }
  // support = rope needs even d and computes its own W.
  const auto X = uniform_matrix(2 * 7 - 1, 5, 1.0, 1);
  std::vector<float> out(7 * 5);
  Stats stats;
  Params rope;
  rope.support = "rope";
  CHECK(message_of([&] {
          run("positional_fft", {7, 5, X.data(), X.data(), X.data()}, rope, out.data(), stats);
        }).rfind("d: got 5, must be even for positional_fft", 0) == 0);
  CHECK(message_of([&] {
          run("positional_fft", {7, 4, X.data(), X.data(), X.data(), 0, X.data()}, rope, out.data(),
              stats);
        }).rfind("W: given, but method 'positional_fft' with support = rope computes its own", 0) ==
        0);
  Options o;
  o.set("support", "full");
  CHECK(message_of([&] { params_from(o, 4, "positional_fft"); }).rfind("support: got 'full'", 0) ==
        0);
}

TEST_CASE(
    "positional_exact matches positional_reference within 1e-5: causal or not, tile edges, d = 1 … "
    "8") {
  for (std::size_t n : {1, 2, 63, 64, 65, 130, 200}) {
    for (std::size_t d : {1, 3, 4, 8}) {
      for (bool causal : {false, true}) {
        for (int threads : {1, max_threads()}) {
          const Positional x = inputs(n, d, 1.0, 2.0);
          Params params;
          params.causal = causal;
          params.threads = threads;
          std::vector<float> out(n * d), ref(n * d);
          Stats stats;
          run("positional_exact", x.problem(n, d), params, out.data(), stats);
          run("positional_reference", x.problem(n, d), params, ref.data(), stats);
          CAPTURE(n);
          CAPTURE(d);
          CAPTURE(causal);
          CAPTURE(threads);
          CHECK(relative_error(out.data(), ref.data(), n * d) <= 1e-5);
        }
      }
    }
  }
}

TEST_CASE("bench position weights: smooth ones are the closed form, symmetric in Δ and decaying; uniform ones seeded") {
  const std::size_t n = 50, d = 6;
  const auto W = subquad::bench::position_weights("smooth", n, d, 1);
  REQUIRE(W.size() == (2 * n - 1) * d);
  for (std::size_t l = 0; l < d; ++l) {
    CHECK(W[(n - 1) * d + l] == doctest::Approx(1.0));  // Δ = 0
    for (std::size_t k = 1; k < n; ++k) {
      const double delta = double(k);
      const double want = std::exp(-delta / std::ldexp(4.0, int(l))) * std::cos(delta * std::pow(10000.0, -double(l) / d));
      CHECK(W[(n - 1 + k) * d + l] == doctest::Approx(want).epsilon(1e-6));
      CHECK(W[(n - 1 - k) * d + l] == W[(n - 1 + k) * d + l]);
    }
  }
  CHECK(subquad::bench::position_weights("uniform", n, d, 3) == subquad::bench::position_weights("uniform", n, d, 3));
}
