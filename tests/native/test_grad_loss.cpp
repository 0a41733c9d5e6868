// The grad family's loss methods (the paper's problem, cpp/grad/loss_*.cpp):
// the reference against central finite differences of L, the fast methods
// against the reference, the identities the paper's proofs use, bad input.
#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "common/compare.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "grad/grad.hpp"
#include "support.hpp"

using namespace subquad;

using subquad::testing::message_of;
using subquad::testing::stat;

namespace {

struct Inputs {
  std::size_t n, d;
  std::vector<float> A1, A2, A3, E, X, Y;
  grad::LossProblem problem() const {
    const std::size_t nd = n * d, dd = d * d;
    return {n, d, {A1.data(), nd}, {A2.data(), nd}, {A3.data(), nd}, {E.data(), nd}, {X.data(), dd}, {Y.data(), dd}};
  }
};

// A, E entries in [−1, 1]; X in [−x, x], so ‖A₁X‖∞ ≤ d·x.
Inputs inputs(std::size_t n, std::size_t d, double x, std::uint64_t seed, double a = 1.0) {
  return {n,
          d,
          uniform_matrix(n, d, a, seed),
          uniform_matrix(n, d, a, seed + 1),
          uniform_matrix(n, d, 1.0, seed + 2),
          uniform_matrix(n, d, 1.0, seed + 3),
          uniform_matrix(d, d, x, seed + 4),
          uniform_matrix(d, d, 1.0, seed + 5)};
}

struct Result {
  double loss;
  std::vector<float> dX;
  grad::Stats stats;
};

Result call(const std::string& method, const Inputs& in, const grad::Params& params) {
  Result r{0, std::vector<float>(in.d * in.d), {}};
  r.loss = grad::run_loss(method, in.problem(), params, r.dX.data(), r.stats);
  return r;
}

// L(X) = ½‖softmax(s·A₁XA₂ᵀ)A₃Y − E‖² in double, from the definition (no shared code).
double L(const Inputs& in, const std::vector<double>& X, double s) {
  const std::size_t n = in.n, d = in.d;
  std::vector<double> Q(n * d, 0.0), h(n * d, 0.0), a(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < d; ++k)
      for (std::size_t b = 0; b < d; ++b) {
        Q[i * d + b] += in.A1[i * d + k] * X[k * d + b];
        h[i * d + b] += double(in.A3[i * d + k]) * in.Y[k * d + b];
      }
  double loss = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double m = -INFINITY, sum = 0;
    for (std::size_t j = 0; j < n; ++j) {
      double dot = 0;
      for (std::size_t k = 0; k < d; ++k) dot += Q[i * d + k] * in.A2[j * d + k];
      m = std::max(m, a[j] = s * dot);
    }
    for (std::size_t j = 0; j < n; ++j) sum += (a[j] = std::exp(a[j] - m));
    for (std::size_t b = 0; b < d; ++b) {
      double o = 0;
      for (std::size_t j = 0; j < n; ++j) o += a[j] * h[j * d + b];
      const double c = o / sum - in.E[i * d + b];
      loss += 0.5 * c * c;
    }
  }
  return loss;
}

std::vector<double> as_double(const std::vector<float>& x) { return {x.begin(), x.end()}; }

double rel(const std::vector<float>& got, const std::vector<float>& ref) {
  return relative_error(got.data(), ref.data(), ref.size());
}

}  // namespace

TEST_CASE("grad loss: the reference is L and its gradient (central finite differences of L, double)") {
  struct Case {
    std::size_t n, d;
    double x, scale;
  };
  for (const Case c : {Case{1, 1, 1.0, 0}, Case{5, 1, 2.0, 1}, Case{6, 2, 1.0, 0}, Case{17, 3, 0.7, 0.25},
                       Case{33, 4, 1.5, 0}}) {
    CAPTURE(c.n);
    CAPTURE(c.d);
    CAPTURE(c.scale);
    const Inputs in = inputs(c.n, c.d, c.x, 100 + c.n);
    grad::Params params;
    params.scale = c.scale;
    const double s = grad::resolved_scale(params, c.d);
    const Result got = call("loss_reference", in, params);
    const std::vector<double> X = as_double(in.X);
    CHECK(got.loss == doctest::Approx(L(in, X, s)).epsilon(1e-12));
    std::vector<double> fd(c.d * c.d);
    const double h = 1e-5;
    for (std::size_t t = 0; t < X.size(); ++t) {
      std::vector<double> up = X, down = X;
      up[t] += h;
      down[t] -= h;
      fd[t] = (L(in, up, s) - L(in, down, s)) / (2 * h);
    }
    // dX is float32: its rounding (6e-8) bounds the comparison, far below 1e-6.
    CHECK(relative_error(got.dX.data(), fd.data(), fd.size()) <= 1e-6);
    CHECK(stat(got.stats, "entry_bound") == doctest::Approx(grad::product_max_abs(in.A1.data(), in.X.data(), c.n, c.d)));
  }
}

TEST_CASE("grad loss: the identity p = f∘q − diag(r)f with r = rowsum(c∘O), against (diag(f_j) − f_j f_jᵀ) q_j") {
  const Inputs in = inputs(23, 3, 1.0, 7);
  const auto parts = grad::loss_parts(in.problem(), {});
  const std::size_t n = in.n, d = in.d;
  double err = 0, scale = 0;
  for (std::size_t j = 0; j < n; ++j) {
    const double* f = parts.f.data() + j * n;
    const double* q = parts.q.data() + j * n;
    double r = 0;  // the rewriting: ⟨c_j, O_j⟩, not ⟨f_j, q_j⟩
    for (std::size_t k = 0; k < d; ++k) r += parts.c[j * d + k] * parts.O[j * d + k];
    for (std::size_t a = 0; a < n; ++a) {
      // Row a of the Jacobian of softmax, diag(f) − f fᵀ, times q_j: the Lemma as written.
      double jq = 0;
      for (std::size_t b = 0; b < n; ++b) jq += ((a == b ? f[a] : 0.0) - f[a] * f[b]) * q[b];
      const double rewritten = f[a] * q[a] - r * f[a];
      err = std::max(err, std::fabs(jq - rewritten));
      scale = std::max(scale, std::fabs(jq));
    }
  }
  CHECK(scale > 1e-3);
  CHECK(err <= 1e-13 * std::max(1.0, scale));
}

TEST_CASE("grad loss: ⟨dL/dX, I⟩ equals dF/dλ of F(λ) = L(λI) (the identity the lower bound rests on)") {
  for (const char* method : {"loss_reference", "loss_exact"}) {
    for (double lambda : {0.5, 1.3, 2.0}) {
      CAPTURE(std::string(method));
      CAPTURE(lambda);
      const std::size_t n = 40, d = 4;
      Inputs in = inputs(n, d, 1.0, 55, 1.5);
      // The lower bound's instances: E = 0, Y = I, X = λI.
      std::fill(in.E.begin(), in.E.end(), 0.0f);
      std::fill(in.X.begin(), in.X.end(), 0.0f);
      std::fill(in.Y.begin(), in.Y.end(), 0.0f);
      for (std::size_t k = 0; k < d; ++k) {
        in.X[k * d + k] = static_cast<float>(lambda);
        in.Y[k * d + k] = 1.0f;
      }
      grad::Params params;
      params.scale = 1.0 / d;
      const Result got = call(method, in, params);
      double trace = 0;
      for (std::size_t k = 0; k < d; ++k) trace += got.dX[k * d + k];
      auto F = [&](double l) {
        std::vector<double> X(d * d, 0.0);
        for (std::size_t k = 0; k < d; ++k) X[k * d + k] = l;
        return L(in, X, params.scale);
      };
      const double h = 1e-5, dF = (F(lambda + h) - F(lambda - h)) / (2 * h);
      CHECK(std::fabs(dF) > 1e-3);
      CHECK(trace == doctest::Approx(dF).epsilon(std::string(method) == "loss_exact" ? 1e-4 : 1e-6));
    }
  }
}

TEST_CASE("grad loss: loss_exact agrees with the reference (≤ 1e-4), awkward n, d = 1, large scores, threads") {
  struct Case {
    std::size_t n, d;
    double x, a, scale;
  };
  // n not a multiple of 64 (1, 65, 130), d = 1 and odd; the last case puts scores near
  // 4·4·4·8 = 512 (scale 1): exp overflows float32, the log-sum-exp form does not.
  for (const Case c : {Case{1, 1, 1, 1, 0}, Case{65, 1, 1, 1, 0}, Case{130, 7, 0.3, 1, 0}, Case{200, 16, 0.1, 1, 0},
                       Case{100, 8, 0.5, 4, 1}}) {
    for (int threads : {1, 2}) {
      if (threads > max_threads()) continue;
      CAPTURE(c.n);
      CAPTURE(c.d);
      CAPTURE(threads);
      const Inputs in = inputs(c.n, c.d, c.x, 200 + c.n, c.a);
      grad::Params params;
      params.scale = c.scale;
      params.threads = threads;
      const Result ref = call("loss_reference", in, params);
      const Result got = call("loss_exact", in, params);
      CHECK(rel(got.dX, ref.dX) <= 1e-4);
      CHECK(got.loss == doctest::Approx(ref.loss).epsilon(1e-5));
      CHECK(stat(got.stats, "entry_bound") == doctest::Approx(stat(ref.stats, "entry_bound")).epsilon(1e-5));
    }
  }
}

TEST_CASE("grad loss: loss_polynomial approaches the reference at small entries and high degree") {
  const std::size_t n = 300, d = 4;
  // ‖A₁X‖∞ ≤ 4·0.125 = 0.5 and ‖A₂‖∞ ≤ 1: deep inside the regime.
  const Inputs in = inputs(n, d, 0.125, 31);
  grad::Params params;
  params.scale = 1.0 / d;
  const Result ref = call("loss_reference", in, params);
  double previous = INFINITY;
  for (int g : {1, 3, 5}) {
    for (int threads : {1, 2}) {
      if (threads > max_threads()) continue;
      params.degree = g;
      params.threads = threads;
      const Result got = call("loss_polynomial", in, params);
      const double err = rel(got.dX, ref.dX), lerr = std::fabs(got.loss - ref.loss) / ref.loss;
      CAPTURE(g);
      CAPTURE(threads);
      CAPTURE(err);
      CAPTURE(lerr);
      if (threads == 1) CHECK(err < previous);
      if (threads == 1) previous = err;
      CHECK(stat(got.stats, "rank") == doctest::Approx(attention::poly_rank(d, g)));
      CHECK(stat(got.stats, "negative_denominators") == 0);
      if (g == 5) {
        CHECK(err <= 1e-4);
        CHECK(lerr <= 1e-5);
      }
    }
  }
  // And far outside it the same degree is measurably off (the cliff the training run shows).
  const Inputs wide = inputs(n, d, 2.0, 31, 2.0);
  params.degree = 3;
  params.threads = 1;
  const double far = rel(call("loss_polynomial", wide, params).dX, call("loss_reference", wide, params).dX);
  CAPTURE(far);
  CHECK(far > 1e-2);
}

TEST_CASE("grad loss: loss_polynomial is close to finite differences of L at small entries") {
  const Inputs in = inputs(50, 3, 0.2, 77);
  grad::Params params;
  params.degree = 6;
  const double s = grad::resolved_scale(params, 3);
  const Result got = call("loss_polynomial", in, params);
  const std::vector<double> X = as_double(in.X);
  std::vector<double> fd(9);
  for (std::size_t t = 0; t < 9; ++t) {
    std::vector<double> up = X, down = X;
    up[t] += 1e-5;
    down[t] -= 1e-5;
    fd[t] = (L(in, up, s) - L(in, down, s)) / 2e-5;
  }
  CHECK(relative_error(got.dX.data(), fd.data(), 9) <= 1e-4);
  CHECK(got.loss == doctest::Approx(L(in, X, s)).epsilon(1e-5));
}

TEST_CASE("grad loss: bad input is refused naming the parameter; the family keeps working") {
  const std::size_t n = 10, d = 3;
  Inputs in = inputs(n, d, 0.5, 9);
  std::vector<float> dX(d * d);
  grad::Stats stats;
  for (const char* method : {"loss_reference", "loss_exact", "loss_polynomial"}) {
    CAPTURE(std::string(method));
    auto msg = [&](grad::LossProblem p) { return message_of([&] { grad::run_loss(method, p, {}, dX.data(), stats); }); };
    const grad::LossProblem good = in.problem();
    grad::LossProblem p = good;
    p.A2.size = (n - 1) * d;
    CHECK(msg(p).rfind("A2: length 27 does not match n·d = 30", 0) == 0);
    p = good;
    p.X.size = n * d;
    CHECK(msg(p).rfind("X: length 30 does not match d·d = 9", 0) == 0);
    p = good;
    p.Y.data = nullptr;
    CHECK(msg(p).rfind("Y: missing", 0) == 0);
    p = good;
    p.E.size = 0;
    CHECK(msg(p).rfind("E: length 0", 0) == 0);
    for (float bad : {NAN, INFINITY, 2e6f}) {
      in.E[4] = bad;
      CHECK(msg(good).rfind("E: entry 4", 0) == 0);
      in.E[4] = 0.25f;
      in.X[8] = bad;
      CHECK(msg(good).rfind("X: entry 8", 0) == 0);
      in.X[8] = 0.25f;
    }
    CHECK(msg(good).empty());
  }
  // Rank beyond the memory budget, named by degree (C(72, 8) ≈ 1.2e10 at d = 64).
  Inputs wide = inputs(64, 64, 0.001, 3);
  std::vector<float> dXw(64 * 64);
  grad::Params params;
  params.degree = 8;
  params.threads = 1;
  const std::string m = message_of([&] { grad::run_loss("loss_polynomial", wide.problem(), params, dXw.data(), stats); });
  CHECK(m.rfind("degree: got 8: rank C(d+g, g) = ", 0) == 0);
  CHECK(m.find("memory budget is") != std::string::npos);
  // Scores too wide for the polynomial's float32 sums: named by R.
  Inputs big = inputs(20, 2, 40.0, 4, 5.0);
  params.degree = 3;
  CHECK(message_of([&] { grad::run_loss("loss_polynomial", big.problem(), params, dX.data(), stats); }).rfind("R: got ", 0) == 0);
  // Options the loss methods do not take; unknown names.
  Options o;
  o.set("causal", "true");
  CHECK(message_of([&] { grad::params_from(o, d, "loss_exact"); }).rfind("causal: unknown option for loss_exact", 0) == 0);
  o = Options{};
  o.set("degree", "3");
  CHECK(message_of([&] { grad::params_from(o, d, "loss_exact"); }).rfind("degree: unknown option for loss_exact", 0) == 0);
  CHECK(message_of([] { grad::find_loss_method("loss_exakt"); }).rfind("method: unknown grad loss method 'loss_exakt'", 0) == 0);
  CHECK(message_of([&] { grad::run_loss("loss_exact", in.problem(), {}, dX.data(), stats); }).empty());
}
