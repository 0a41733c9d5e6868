// RoPE attention (rope_*; THEORY-2.md §1): the rotation identity, the fast
// methods against rope_reference, and what is refused.
#include <doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "attention/rope.hpp"
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

// q·W k with W = R_{j−i} written out as a d×d matrix: 2×2 blocks
// [[cos φ, −sin φ], [sin φ, cos φ]], φ = (j − i)·θ_t, on each pair of the layout.
double w_form(const float* q, const float* k, long delta, std::size_t d, double base,
              const std::string& layout) {
  std::vector<double> W(d * d, 0.0);
  for (std::size_t t = 0; t < d / 2; ++t) {
    const std::size_t a = layout == "half" ? t : 2 * t,
                      b = layout == "half" ? t + d / 2 : 2 * t + 1;
    const double phi = double(delta) * std::pow(base, -2.0 * double(t) / double(d));
    W[a * d + a] = std::cos(phi);
    W[a * d + b] = -std::sin(phi);
    W[b * d + a] = std::sin(phi);
    W[b * d + b] = std::cos(phi);
  }
  double s = 0;
  for (std::size_t r = 0; r < d; ++r)
    for (std::size_t c = 0; c < d; ++c) s += double(q[r]) * W[r * d + c] * double(k[c]);
  return s;
}

double rope_error(const std::string& method, std::size_t n, std::size_t d, const Params& params,
                  double B = 1.0, Stats* stats_out = nullptr) {
  const auto Q = uniform_matrix(n, d, B, 41), K = uniform_matrix(n, d, B, 42),
             V = uniform_matrix(n, d, 1.0, 43);
  const Problem p{n, d, Q.data(), K.data(), V.data()};
  std::vector<float> out(n * d), ref(n * d);
  Stats stats;
  run(method, p, params, out.data(), stats);
  if (stats_out) *stats_out = stats;
  Stats ignored;
  run("rope_reference", p, params, ref.data(), ignored);
  return relative_error(out.data(), ref.data(), out.size());
}

}  // namespace

// Relative to ‖q‖‖k‖ (the largest the dot can be): the angle m·θ carries a rounding
// of ~m·1e-16 rad, so at positions near 70,000 the absolute difference is ~1e-11·‖q‖‖k‖/50.
TEST_CASE("rope: rotate-then-dot equals the W-form q·R_{j−i} k (≤ 1e-12 of ‖q‖‖k‖, double)") {
  for (const char* layout : {"interleaved", "half"}) {
    for (std::size_t d : {2, 8, 64}) {
      for (double base : {10000.0, 100.0}) {
        Params params;
        params.rope_layout = layout;
        params.rope_base = base;
        const auto X = uniform_matrix(2, d, 1.5, 7 + d);
        double qq = 0, kk = 0;
        for (std::size_t k = 0; k < d; ++k) {
          qq += double(X[k]) * X[k];
          kk += double(X[d + k]) * X[d + k];
        }
        std::vector<double> qi(d), kj(d);
        double worst = 0;
        for (std::size_t i : {0, 1, 5, 1000, 65535}) {
          for (std::size_t j : {0, 3, 999, 70000}) {
            rope_rotate_row(X.data(), i, d, params, qi.data());
            rope_rotate_row(X.data() + d, j, d, params, kj.data());
            double dot = 0;
            for (std::size_t k = 0; k < d; ++k) dot += qi[k] * kj[k];
            const double w = w_form(X.data(), X.data() + d, long(j) - long(i), d, base, layout);
            worst = std::max(worst, std::fabs(dot - w) / std::sqrt(qq * kk));
          }
        }
        CAPTURE(layout);
        CAPTURE(d);
        CAPTURE(base);
        CHECK(worst <= 1e-12);
      }
    }
  }
}

TEST_CASE(
    "rope: the table rotation of the fast paths equals std::cos/std::sin up to float rounding") {
  const std::size_t d = 16, positions = (1u << 24);
  for (const char* layout : {"interleaved", "half"}) {
    Params params;
    params.rope_layout = layout;
    const RopeRotation rotate(positions, d, params);
    const auto X = uniform_matrix(1, d, 1.0, 3);
    std::vector<float> fast(d);
    std::vector<double> ref(d);
    for (std::size_t m : {std::size_t(0), std::size_t(1), std::size_t(63), std::size_t(64),
                          std::size_t(12345), positions - 1}) {
      rotate(X.data(), m, fast.data());
      rope_rotate_row(X.data(), m, d, params, ref.data());
      for (std::size_t k = 0; k < d; ++k) CHECK(std::fabs(fast[k] - ref[k]) <= 1e-6);
    }
  }
}

TEST_CASE("rope_flash matches rope_reference within 1e-5: both layouts, causal or not, awkward n") {
  for (const char* layout : {"interleaved", "half"}) {
    for (std::size_t n : {1, 2, 63, 64, 65, 130, 200}) {
      for (std::size_t d : {2, 8, 64}) {
        for (bool causal : {false, true}) {
          for (int threads : {1, max_threads()}) {
            Params params;
            params.rope_layout = layout;
            params.causal = causal;
            params.threads = threads;
            CAPTURE(layout);
            CAPTURE(n);
            CAPTURE(d);
            CAPTURE(causal);
            CAPTURE(threads);
            CHECK(rope_error("rope_flash", n, d, params) <= 1e-5);
          }
        }
      }
    }
  }
  // Another base, the papers' scale, larger entries.
  Params params;
  params.rope_base = 500;
  params.scale = 1.0 / 16;
  CHECK(rope_error("rope_flash", 300, 16, params, 3.0) <= 1e-5);
}

TEST_CASE(
    "rope_reference: position matters (≠ plain attention), except for one row or in the W-form") {
  const std::size_t n = 40, d = 8;
  const auto Q = uniform_matrix(n, d, 1.5, 1), K = uniform_matrix(n, d, 1.5, 2),
             V = uniform_matrix(n, d, 1.0, 3);
  std::vector<float> rope(n * d), plain(n * d);
  Stats stats;
  run("rope_reference", {n, d, Q.data(), K.data(), V.data()}, Params{}, rope.data(), stats);
  run("exact_reference", {n, d, Q.data(), K.data(), V.data()}, Params{}, plain.data(), stats);
  CHECK(relative_error(rope.data(), plain.data(), n * d) > 1e-3);
  // One row: position 0 rotates nothing.
  run("rope_reference", {1, d, Q.data(), K.data(), V.data()}, Params{}, rope.data(), stats);
  run("exact_reference", {1, d, Q.data(), K.data(), V.data()}, Params{}, plain.data(), stats);
  CHECK(relative_error(rope.data(), plain.data(), d) <= 1e-7);
  // Row 7 of rope_reference equals softmax over the W-form scores, written out here.
  Params params;
  params.causal = true;
  run("rope_reference", {n, d, Q.data(), K.data(), V.data()}, params, rope.data(), stats);
  const std::size_t i = 7;
  std::vector<double> o(d, 0.0);
  double z = 0;
  for (std::size_t j = 0; j <= i; ++j) {
    const double a = std::exp(
        w_form(Q.data() + i * d, K.data() + j * d, long(j) - long(i), d, 10000, "interleaved") /
        std::sqrt(double(d)));
    z += a;
    for (std::size_t k = 0; k < d; ++k) o[k] += a * V[j * d + k];
  }
  for (std::size_t k = 0; k < d; ++k)
    CHECK(rope[i * d + k] == doctest::Approx(o[k] / z).epsilon(1e-6));
}

TEST_CASE(
    "rope_polynomial at small B: within its error bound of rope_reference, and converges with g") {
  for (const char* layout : {"interleaved", "half"}) {
    for (bool causal : {false, true}) {
      double last = INFINITY;
      for (int g : {2, 4, 6}) {
        Params params;
        params.rope_layout = layout;
        params.causal = causal;
        params.degree = g;
        params.scale = 1.0 / 8;
        Stats stats;
        const double err = rope_error("rope_polynomial", 130, 8, params, 1.0, &stats);
        CAPTURE(layout);
        CAPTURE(causal);
        CAPTURE(g);
        CHECK(stat(stats, "error_bound") < 1);
        CHECK(err <= stat(stats, "error_bound") + 1e-5);
        CHECK(stat(stats, "negative_denominators") == 0);
        CHECK(err < last);
        last = err;
      }
      CHECK(last <= 1e-5);
    }
  }
}

TEST_CASE(
    "rope_polynomial is the polynomial method on pre-rotated rows (same R: rotation keeps the "
    "norms)") {
  const std::size_t n = 100, d = 8;
  const auto Q = uniform_matrix(n, d, 1.0, 5), K = uniform_matrix(n, d, 1.0, 6),
             V = uniform_matrix(n, d, 1.0, 7);
  Params params;
  params.degree = 3;
  std::vector<float> Qr(n * d), Kr(n * d);
  std::vector<double> row(d);
  for (std::size_t i = 0; i < n; ++i) {
    rope_rotate_row(Q.data() + i * d, i, d, params, row.data());
    for (std::size_t k = 0; k < d; ++k) Qr[i * d + k] = static_cast<float>(row[k]);
    rope_rotate_row(K.data() + i * d, i, d, params, row.data());
    for (std::size_t k = 0; k < d; ++k) Kr[i * d + k] = static_cast<float>(row[k]);
  }
  std::vector<float> a(n * d), b(n * d);
  Stats sa, sb;
  run("rope_polynomial", {n, d, Q.data(), K.data(), V.data()}, params, a.data(), sa);
  run("polynomial", {n, d, Qr.data(), Kr.data(), V.data()}, params, b.data(), sb);
  CHECK(relative_error(a.data(), b.data(), n * d) <= 1e-5);
  CHECK(stat(sa, "rank") == poly_rank(d, 3));
  CHECK(stat(sa, "R") == doctest::Approx(stat(sb, "R")).epsilon(1e-6));
}

TEST_CASE("rope: bad input refused by name, then a good call works") {
  const std::size_t n = 8;
  const auto X = uniform_matrix(16, 6, 1.0, 1);
  std::vector<float> out(16 * 6);
  Stats stats;
  for (const char* method : {"rope_reference", "rope_flash", "rope_polynomial"}) {
    CAPTURE(method);
    CHECK(message_of([&] {
            run(method, {n, 5, X.data(), X.data(), X.data()}, Params{}, out.data(), stats);
          }) == std::string("d: got 5, must be even for ") + method +
                    " (RoPE rotates pairs of coordinates)");
    Options o;
    o.set("rope_base", "0");
    CHECK(message_of([&] { params_from(o, 6, method); }).rfind("rope_base: got 0", 0) == 0);
    o.set("rope_base", "-3");
    CHECK(message_of([&] { params_from(o, 6, method); }).rfind("rope_base: got -3", 0) == 0);
    Options l;
    l.set("rope_layout", "sideways");
    CHECK(message_of([&] { params_from(l, 6, method); }).rfind("rope_layout: got 'sideways'", 0) ==
          0);
    Params bad;
    bad.rope_base = 0;
    CHECK(message_of([&] {
            run(method, {n, 6, X.data(), X.data(), X.data()}, bad, out.data(), stats);
          }).rfind("rope_base: got 0", 0) == 0);
    CHECK(message_of([&] {
            run(method, {n, 6, X.data(), X.data(), X.data(), 16}, Params{}, out.data(), stats);
          }).rfind("n_k: got 16 ≠ n = 8", 0) == 0);
    Params diag;
    diag.diagonal = true;
    CHECK(message_of([&] {
            run(method, {n, 6, X.data(), X.data(), X.data()}, diag, out.data(), stats);
          }).rfind("diagonal: method '", 0) == 0);
    std::vector<float> nan = X;
    nan[3] = NAN;
    CHECK(message_of([&] {
            run(method, {n, 6, X.data(), nan.data(), X.data()}, Params{}, out.data(), stats);
          }) == "K: entry 3 is nan, must be finite");
    CHECK(message_of([&] { params_from(Options{}, 6, method); }) == "");
  }
  Params params;
  params.rope_layout = "half";
  CHECK(rope_error("rope_flash", 33, 6, params) <= 1e-5);
}

TEST_CASE("rope: the bench's error column is measured against rope_reference") {
  for (const char* method : {"rope_flash", "rope_polynomial"}) {
    Options o;
    o.set("suite", "attention");
    o.set("method", method);
    o.set("n", "256");
    o.set("d", "8");
    o.set("min_ms", "1");
    o.set("scale", "inv_d");
    if (std::string(method) == "rope_polynomial") o.set("degree", "6");
    const std::string json = bench::measure(o);
    CAPTURE(json);
    const auto at = json.find("\"error\":");
    REQUIRE(at != std::string::npos);
    CHECK(std::stod(json.substr(at + 8)) <= 1e-5);
  }
}
