// The collapse family (cpp/collapse/): the fast networks against the double
// reference, the merged layer at L = 1, our deviation bound, res_norm's closed
// forms, the per-head attention against the attention family's exact_reference,
// the collapse slope over η, bad input.
#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "collapse/collapse.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "support.hpp"

using namespace subquad;

using subquad::testing::message_of;
using subquad::testing::stat;

namespace {

struct Out {
  std::vector<float> S;
  collapse::Stats stats;
};

Out forward(const std::string& method, std::size_t n, std::size_t d, const std::vector<float>& X,
            const collapse::Params& params, const std::vector<float>* W = nullptr) {
  Out o{std::vector<float>(n * d), {}};
  collapse::Problem p{n, d, {X.data(), X.size()}, {}};
  if (W) p.W = {W->data(), W->size()};
  collapse::run(method, p, params, o.S.data(), o.stats);
  return o;
}

double max_rel(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0, scale = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    m = std::max(m, std::fabs(double(a[k]) - double(b[k])));
    scale = std::max(scale, std::fabs(double(b[k])));
  }
  return m / std::max(scale, 1e-300);
}

// Least-squares slope of log y against log x.
double loglog_slope(const std::vector<double>& x, const std::vector<double>& y) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const double k = double(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double a = std::log(x[i]), b = std::log(y[i]);
    sx += a;
    sy += b;
    sxx += a * a;
    sxy += a * b;
  }
  return (k * sxy - sx * sy) / (k * sxx - sx * sx);
}

collapse::Params with(int layers, int heads, double eta, bool residual = true) {
  collapse::Params p;
  p.layers = layers;
  p.heads = heads;
  p.eta = eta;
  p.residual = residual;
  return p;
}

}  // namespace

TEST_CASE(
    "collapse: san_forward and its report agree with the double reference (awkward shapes, both "
    "kernels)") {
  struct Case {
    std::size_t n, d;
    int L, H;
    double eta;
    bool residual;
    double scale;  // 0 → 1/√d
  };
  for (const Case c : {Case{1, 1, 1, 1, 0.1, true, 1}, Case{7, 1, 3, 2, 0.3, true, 1},
                       Case{5, 3, 2, 3, 0.05, false, 0}, Case{70, 5, 4, 2, 0.02, true, 1},
                       Case{64, 16, 6, 2, 0.01, true, 1}, Case{64, 16, 6, 2, 0.1, false, 1},
                       Case{33, 9, 3, 1, 0.2, true, 0}}) {
    for (const char* att : {"flash", "exact"}) {
      CAPTURE(c.n);
      CAPTURE(c.d);
      CAPTURE(c.L);
      CAPTURE(c.residual);
      CAPTURE(att);
      const auto X = gaussian_matrix(c.n, c.d, 1.0, 3);
      collapse::Params params = with(c.L, c.H, c.eta, c.residual);
      params.scale = c.scale;
      params.attention = att;
      const Out fast = forward("san_forward", c.n, c.d, X, params);
      const Out ref = forward("reference", c.n, c.d, X, params);
      CHECK(max_rel(fast.S, ref.S) <= 1e-5);
      // The report: every key the reference gives, within float32 rounding of the fast path.
      for (const char* key :
           {"deviation", "merged_error", "first_layer_error", "entry_bound_q", "entry_bound_k"}) {
        CAPTURE(key);
        const double f = stat(fast.stats, key), r = stat(ref.stats, key);
        // Differences of near-equal small updates: absolute slack at float32 rounding of the
        // updates.
        CHECK(std::fabs(f - r) <= 1e-4 * r + 1e-6 * stat(ref.stats, "deviation") + 1e-30);
      }
      for (int l = 0; l <= c.L; ++l) {
        for (const char* skip : {"skip_", "noskip_"}) {
          const std::string norm = "norm_" + std::string(skip) + std::to_string(l),
                            res = "res_" + norm;
          CAPTURE(res);
          const double scale = stat(ref.stats, norm);
          CHECK(std::fabs(stat(fast.stats, norm) - scale) <= 1e-5 * scale);
          CHECK(std::fabs(stat(fast.stats, res) - stat(ref.stats, res)) <= 1e-5 * scale);
        }
      }
    }
  }
}

TEST_CASE("collapse: san_merged equals san_forward at L = 1, and first_layer equals it too") {
  for (bool residual : {true, false}) {
    for (int H : {1, 3}) {
      const std::size_t n = 40, d = 8;
      const auto X = gaussian_matrix(n, d, 1.0, 5);
      const collapse::Params params = with(1, H, 0.2, residual);
      const Out deep = forward("san_forward", n, d, X, params);
      const Out merged = forward("san_merged", n, d, X, params);
      const Out first = forward("first_layer", n, d, X, params);
      CAPTURE(residual);
      CAPTURE(H);
      CHECK(max_rel(merged.S, deep.S) <= 1e-6);
      CHECK(max_rel(first.S, deep.S) <= 1e-6);
      CHECK(stat(deep.stats, "merged_error") <= 1e-6 * stat(deep.stats, "deviation"));
      CHECK(stat(deep.stats, "first_layer_error") <= 1e-6 * stat(deep.stats, "deviation"));
      // At L = 2 they differ (the test can fail).
      const Out deep2 = forward("san_forward", n, d, X, with(2, H, 0.2, residual));
      CHECK(stat(deep2.stats, "merged_error") > 1e-4 * stat(deep2.stats, "deviation"));
    }
  }
}

TEST_CASE("collapse: ‖S − X‖ ≤ ((1 + H·d·η)^L − 1)·‖X‖ on random inputs (our bound, THEORY-2 §5)") {
  int checked = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    for (double eta : {1e-3, 1e-2, 0.1, 0.5}) {
      for (int L : {1, 3, 6}) {
        const std::size_t n = 24, d = 6;
        const auto X = uniform_matrix(n, d, 2.0, 100 + seed);
        collapse::Params params = with(L, 2, eta);
        params.seed = seed;
        params.compare = false;
        for (const char* method : {"san_forward", "reference"}) {
          const Out o = forward(method, n, d, X, params);
          const double x = stat(o.stats, "x_norm");
          const double bound = (std::pow(1 + 2.0 * d * eta, L) - 1) * x;
          CHECK(stat(o.stats, "deviation") <= bound);
          CHECK(stat(o.stats, "deviation_bound") == doctest::Approx(bound).epsilon(1e-12));
          CHECK(stat(o.stats, "deviation") > 0);
          ++checked;
        }
      }
    }
  }
  CHECK(checked == 96);
}

TEST_CASE("collapse: res_norm — identical rows give 0, known matrices their closed form") {
  collapse::Params none;
  {
    std::vector<float> X;
    for (int i = 0; i < 9; ++i)
      for (float v : {1.5f, -2.0f, 7.0f, 0.0f}) X.push_back(v);
    const Out o = forward("res_norm", 9, 4, X, none);
    CHECK(stat(o.stats, "res_norm") == 0);
    for (float v : o.S) CHECK(v == 0);
  }
  {
    // Columns (1, 3, 2) and (5, −1, 0): half ranges 1 and 3, midranges 2 and 2.
    const std::vector<float> X = {1, 5, 3, -1, 2, 0};
    const Out o = forward("res_norm", 3, 2, X, none);
    CHECK(stat(o.stats, "res_norm") == 3);
    const std::vector<float> want = {-1, 3, 1, -3, 0, -2};
    CHECK(o.S == want);
  }
  {
    // Rank one a·bᵀ: max_j |b_j|·(max a − min a)/2.
    const std::size_t n = 11, d = 5;
    const auto a = uniform_matrix(n, 1, 1.0, 7), b = uniform_matrix(1, d, 3.0, 8);
    std::vector<float> X(n * d);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) X[i * d + j] = a[i] * b[j];
    double bmax = 0;
    for (float v : b) bmax = std::max(bmax, double(std::fabs(v)));
    const double want =
        bmax * (*std::max_element(a.begin(), a.end()) - *std::min_element(a.begin(), a.end())) / 2;
    CHECK(stat(forward("res_norm", n, d, X, none).stats, "res_norm") ==
          doctest::Approx(want).epsilon(1e-6));
    CHECK(collapse::res_norm(X.data(), n, d) == doctest::Approx(want).epsilon(1e-6));
  }
}

TEST_CASE(
    "collapse: the per-head attention inside san_forward matches the attention family's "
    "exact_reference") {
  // One layer, one head, no skip: S = softmax(s·XW_Q(XW_K)ᵀ)·XW_V exactly one head.
  for (const char* att : {"flash", "exact"}) {
    for (std::size_t n : {1, 13, 100}) {
      const std::size_t d = 7;
      const auto X = gaussian_matrix(n, d, 1.0, 9);
      collapse::Params params = with(1, 1, 0.4, false);
      params.attention = att;
      const Out o = forward("san_forward", n, d, X, params);
      const collapse::Problem p{n, d, {X.data(), X.size()}, {}};
      const std::vector<float> W = collapse::weights(p, params);
      // Q, K, V in double, rounded once to float32, through exact_reference.
      std::vector<float> Q(n * d), K(n * d), V(n * d), O(n * d);
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) {
          double q = 0, k = 0, v = 0;
          for (std::size_t t = 0; t < d; ++t) {
            q += double(X[i * d + t]) * W[t * d + j];
            k += double(X[i * d + t]) * W[d * d + t * d + j];
            v += double(X[i * d + t]) * W[2 * d * d + t * d + j];
          }
          Q[i * d + j] = float(q);
          K[i * d + j] = float(k);
          V[i * d + j] = float(v);
        }
      attention::Params ap;
      ap.scale = 1;
      attention::Stats st;
      attention::run("exact_reference", {n, d, Q.data(), K.data(), V.data()}, ap, O.data(), st);
      CAPTURE(att);
      CAPTURE(n);
      CHECK(max_rel(o.S, O) <= 1e-5);
      // The collapse reference's own head agrees too (double against double-accumulated float).
      std::vector<double> A(X.begin(), X.end()), h(n * d);
      collapse::head_reference(A.data(), n, d, W.data(), 1.0, h.data());
      std::vector<float> hf(h.begin(), h.end());
      CHECK(max_rel(hf, O) <= 1e-5);
    }
  }
}

TEST_CASE(
    "collapse: the merged error over the deviation falls like η (log-log slope 0.7–1.3 over [1e-3, "
    "3e-2])") {
  // The default shape: n = 64, d = 16, L = 6, H = 2, X ~ N(0, 1), scale 1.
  const std::size_t n = 64, d = 16;
  const auto X = gaussian_matrix(n, d, 1.0, 1);
  std::vector<double> etas, ratio, deviation, merged;
  for (int k = 0; k <= 7; ++k) {
    const double eta = 1e-3 * std::pow(30.0, k / 7.0);
    collapse::Params params = with(6, 2, eta);
    const Out o = forward("san_forward", n, d, X, params);
    etas.push_back(eta);
    ratio.push_back(stat(o.stats, "merged_ratio"));
    deviation.push_back(stat(o.stats, "deviation"));
    merged.push_back(stat(o.stats, "merged_error"));
    std::printf(
        "collapse eta=%.3g deviation=%.4g merged_error=%.4g ratio=%.4g first_layer_ratio=%.4g "
        "entry_bound=%.4g\n",
        eta, deviation.back(), merged.back(), ratio.back(), stat(o.stats, "first_layer_ratio"),
        stat(o.stats, "entry_bound"));
  }
  const double s_ratio = loglog_slope(etas, ratio), s_dev = loglog_slope(etas, deviation),
               s_merged = loglog_slope(etas, merged);
  MESSAGE("slopes: ratio " << s_ratio << ", deviation " << s_dev << ", merged error " << s_merged);
  CHECK(s_ratio >= 0.7);
  CHECK(s_ratio <= 1.3);
  CHECK(s_dev == doctest::Approx(1.0).epsilon(0.15));
  CHECK(s_merged == doctest::Approx(2.0).epsilon(0.15));
  // The first layer alone is no surrogate: its error is of the deviation's own size.
  const Out o = forward("san_forward", n, d, X, with(6, 2, 1e-3));
  CHECK(stat(o.stats, "first_layer_ratio") > 0.3);
}

TEST_CASE(
    "collapse: without skips res_norm falls with depth far faster than with them (DCL21, "
    "relative)") {
  const std::size_t n = 64, d = 16;
  const auto X = gaussian_matrix(n, d, 1.0, 2);
  collapse::Params params = with(6, 2, 0.1);
  const Out o = forward("san_forward", n, d, X, params);
  const double skip = stat(o.stats, "res_norm_skip_6") / stat(o.stats, "norm_skip_6");
  const double noskip = stat(o.stats, "res_norm_noskip_6") / stat(o.stats, "norm_noskip_6");
  MESSAGE("relative res_norm after 6 layers: skip " << skip << ", no skip " << noskip);
  CHECK(skip > 0.1);
  CHECK(noskip < 1e-3 * skip);
}

TEST_CASE(
    "collapse: given weights W reproduce the seeded run; a seeded run printed for the Node tests") {
  const std::size_t n = 20, d = 6;
  const auto X = gaussian_matrix(n, d, 1.0, 4);
  collapse::Params params = with(3, 2, 0.05);
  params.seed = 7;
  const Out seeded = forward("san_forward", n, d, X, params);
  const std::vector<float> W = collapse::weights({n, d, {X.data(), X.size()}, {}}, params);
  collapse::Params given = with(3, 2, 0.01);  // eta not given: its default is unused
  const Out o = forward("san_forward", n, d, X, given, &W);
  CHECK(o.S == seeded.S);
  CHECK(stat(o.stats, "merged_error") == stat(seeded.stats, "merged_error"));
  CHECK(stat(o.stats, "eta") <= 0.05);
  CHECK(stat(o.stats, "eta") > 0.04);
}

TEST_CASE("collapse: bad input is refused by name; the family keeps working") {
  const std::size_t n = 8, d = 4;
  const auto X = gaussian_matrix(n, d, 1.0, 6);
  auto msg = [&](const std::string& method, const Options& o, std::size_t nn = 8,
                 std::size_t dd = 4, const std::vector<float>* W = nullptr,
                 const std::vector<float>* Xin = nullptr) {
    return message_of([&] {
      const collapse::Params params = collapse::params_from(o, dd, method);
      const std::vector<float>& x = Xin ? *Xin : X;
      std::vector<float> out(std::max<std::size_t>(nn * dd, 1));
      collapse::Stats stats;
      collapse::Problem p{nn, dd, {x.data(), x.size()}, {}};
      if (W) p.W = {W->data(), W->size()};
      collapse::run(method, p, params, out.data(), stats);
    });
  };
  auto one = [](const std::string& k, const std::string& v) {
    Options o;
    o.set(k, v);
    return o;
  };
  CHECK(msg("san_forward", one("eta", "0")).rfind("eta: got 0", 0) == 0);
  CHECK(msg("san_forward", one("eta", "-1")).rfind("eta: got -1", 0) == 0);
  CHECK(msg("san_forward", one("eta", "nan")).rfind("eta: got", 0) == 0);
  CHECK(msg("san_forward", one("eta", "inf")).rfind("eta: got", 0) == 0);
  CHECK(msg("san_forward", one("eta", "101")).rfind("eta: got 101", 0) == 0);
  CHECK(msg("san_forward", one("layers", "65")).rfind("layers: got 65", 0) == 0);
  CHECK(msg("san_forward", one("layers", "0")).rfind("layers: got 0", 0) == 0);
  CHECK(msg("san_merged", one("heads", "17")).rfind("heads: got 17", 0) == 0);
  CHECK(msg("first_layer", one("attention", "lsh")).rfind("attention: got 'lsh'", 0) == 0);
  CHECK(msg("reference", one("threads", "2")).rfind("threads: unknown option for reference", 0) ==
        0);
  CHECK(msg("res_norm", one("eta", "0.1")).rfind("eta: unknown option for res_norm", 0) == 0);
  CHECK(msg("nope", {}).rfind("method: unknown collapse method 'nope'", 0) == 0);
  CHECK(msg("san_forward", {}, 0, 4).rfind("n: got 0", 0) == 0);
  CHECK(msg("san_forward", {}, 8, 129).rfind("d: got 129", 0) == 0);
  CHECK(msg("san_forward", {}, 9, 4).rfind("X: ", 0) == 0);  // 32 floats for 9×4
  std::vector<float> bad = X;
  bad[5] = NAN;
  CHECK(msg("san_forward", {}, 8, 4, nullptr, &bad).rfind("X: ", 0) == 0);
  const std::vector<float> W(6 * 2 * 3 * 4 * 4 - 1, 0.01f);
  CHECK(msg("san_forward", {}, 8, 4, &W).rfind("W: ", 0) == 0);
  const std::vector<float> W2(6 * 2 * 3 * 4 * 4, 0.01f);
  CHECK(msg("san_forward", {}, 8, 4, &W2) == "");
  CHECK(
      msg("san_forward", one("eta", "0.5"), 8, 4, &W2).rfind("eta: not used when W is given", 0) ==
      0);
  CHECK(
      msg("san_forward", one("seed", "3"), 8, 4, &W2).rfind("seed: not used when W is given", 0) ==
      0);
  // A network that blows up past float32's reach is refused, naming eta.
  Options big;
  big.set("eta", "100");
  big.set("layers", "64");
  CHECK(msg("san_forward", big).rfind("eta: layer ", 0) == 0);
  CHECK(msg("reference", big).rfind("eta: ", 0) == 0);
  // Still working.
  CHECK(msg("san_forward", {}) == "");
}

TEST_CASE("collapse: fit_one_layer starts at san_merged and Adam takes it far below it") {
  const std::size_t n = 32, d = 8;
  const auto X = gaussian_matrix(n, d, 1.0, 12);
  collapse::Params params = with(3, 2, 0.03);
  const Out merged = forward("san_merged", n, d, X, params);
  const Out deep = forward("san_forward", n, d, X, params);
  params.steps = 0;
  const Out start = forward("fit_one_layer", n, d, X, params);
  CHECK(start.S == merged.S);  // no step: the merged layer's weights
  CHECK(stat(start.stats, "fit_error") ==
        doctest::Approx(stat(deep.stats, "merged_error")).epsilon(1e-3));
  params.steps = 300;
  const Out fit = forward("fit_one_layer", n, d, X, params);
  const double first = stat(fit.stats, "train_loss_first"),
               last = stat(fit.stats, "train_loss_last");
  MESSAGE("fit_one_layer: train loss " << first << " → " << last << "; on X: fit ratio "
                                       << stat(fit.stats, "fit_ratio") << " vs merged ratio "
                                       << stat(deep.stats, "merged_ratio"));
  CHECK(last < 1e-2 * first);
  CHECK(stat(fit.stats, "fit_ratio") < 0.5 * stat(deep.stats, "merged_ratio"));
  CHECK(stat(fit.stats, "deviation") ==
        doctest::Approx(stat(deep.stats, "deviation")).epsilon(1e-5));
  // Bad options, by name.
  auto refused = [&](const char* key, const char* value) {
    Options o;
    o.set(key, value);
    return message_of([&] { collapse::params_from(o, d, "fit_one_layer"); });
  };
  CHECK(refused("steps", "5001").rfind("steps: got 5001", 0) == 0);
  CHECK(refused("lr", "0").rfind("lr: got 0", 0) == 0);
  CHECK(refused("batch", "0").rfind("batch: got 0", 0) == 0);
  CHECK(message_of([&] { collapse::params_from(Options{}, d, "san_forward"); }) == "");
}
