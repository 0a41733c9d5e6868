// The grad family (cpp/grad/): the reference against central finite
// differences of the forward pass, flash against the reference, bad input.
#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "grad/grad.hpp"
#include "support.hpp"

using namespace subquad;

using subquad::testing::message_of;
using subquad::testing::stat;

namespace {

struct Grads {
  std::vector<float> dQ, dK, dV;
};

Grads backward(const std::string& method, std::size_t n, std::size_t d, const std::vector<float>& Q,
               const std::vector<float>& K, const std::vector<float>& V, const std::vector<float>& dO,
               const grad::Params& params, const float* O = nullptr, const float* lse = nullptr) {
  Grads g{std::vector<float>(n * d), std::vector<float>(n * d), std::vector<float>(n * d)};
  grad::Problem p{n, d, {Q.data(), Q.size()}, {K.data(), K.size()}, {V.data(), V.size()}, {dO.data(), dO.size()},
                  {O, O ? n * d : 0}, {lse, lse ? n : 0}};
  grad::Stats stats;
  grad::run(method, p, params, {g.dQ.data(), g.dK.data(), g.dV.data()}, stats);
  return g;
}

// L(Q, K, V) = Σ dO ∘ softmax(s·QKᵀ)V in double: its gradient is the backward's output.
double loss(std::size_t n, std::size_t d, const std::vector<double>& Q, const std::vector<double>& K,
            const std::vector<double>& V, const std::vector<float>& dO, double s, bool causal) {
  double L = 0;
  std::vector<double> a(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t keys = causal ? i + 1 : n;
    double m = -INFINITY, sum = 0;
    for (std::size_t j = 0; j < keys; ++j) {
      double dot = 0;
      for (std::size_t k = 0; k < d; ++k) dot += Q[i * d + k] * K[j * d + k];
      a[j] = s * dot;
      m = std::max(m, a[j]);
    }
    for (std::size_t j = 0; j < keys; ++j) sum += (a[j] = std::exp(a[j] - m));
    for (std::size_t k = 0; k < d; ++k) {
      double o = 0;
      for (std::size_t j = 0; j < keys; ++j) o += a[j] * V[j * d + k];
      L += dO[i * d + k] * o / sum;
    }
  }
  return L;
}

double rel(const std::vector<float>& out, const std::vector<double>& ref) {
  return relative_error(out.data(), ref.data(), ref.size());
}

double rel_f(const std::vector<float>& out, const std::vector<float>& ref) {
  return relative_error(out.data(), ref.data(), ref.size());
}

Options one_option(const std::string& key, const std::string& value) {
  Options o;
  o.set(key, value);
  return o;
}

Grads backward_nk(const std::string& method, std::size_t n, std::size_t nk, std::size_t d, const std::vector<float>& Q,
                  const std::vector<float>& K, const std::vector<float>& V, const std::vector<float>& dO,
                  const grad::Params& params);

}  // namespace

TEST_CASE("grad: the reference is the gradient of Σ dO∘O (central finite differences, double)") {
  struct Shape {
    std::size_t n, d;
    bool causal;
  };
  for (const Shape sh : {Shape{1, 1, false}, Shape{1, 4, false}, Shape{5, 1, false}, Shape{7, 3, false},
                         Shape{7, 3, true}, Shape{12, 5, true}}) {
    const std::size_t n = sh.n, d = sh.d;
    CAPTURE(n);
    CAPTURE(d);
    CAPTURE(sh.causal);
    const auto Q = uniform_matrix(n, d, 1.0, 1), K = uniform_matrix(n, d, 1.0, 2), V = uniform_matrix(n, d, 1.0, 3),
               dO = uniform_matrix(n, d, 1.0, 4);
    grad::Params params;
    params.causal = sh.causal;
    const double s = grad::resolved_scale(params, d);
    const Grads g = backward("reference", n, d, Q, K, V, dO, params);
    const std::vector<double> q(Q.begin(), Q.end()), k(K.begin(), K.end()), v(V.begin(), V.end());
    const double h = 1e-5;
    auto fd = [&](int which) {  // 0: Q, 1: K, 2: V
      std::vector<double> out(n * d);
      for (std::size_t t = 0; t < n * d; ++t) {
        std::vector<double> x[3] = {q, k, v};
        x[which][t] += h;
        const double up = loss(n, d, x[0], x[1], x[2], dO, s, sh.causal);
        x[which][t] -= 2 * h;
        const double down = loss(n, d, x[0], x[1], x[2], dO, s, sh.causal);
        out[t] = (up - down) / (2 * h);
      }
      return out;
    };
    // The outputs are float32: the reference's rounding (6e-8) bounds the comparison, far below 1e-6.
    CHECK(rel(g.dQ, fd(0)) <= 1e-6);
    CHECK(rel(g.dK, fd(1)) <= 1e-6);
    CHECK(rel(g.dV, fd(2)) <= 1e-6);
  }
}

TEST_CASE("grad: flash agrees with the reference (≤ 1e-4), given O and lse or not, causal, awkward n") {
  struct Case {
    std::size_t n, d;
    bool causal;
    double B;
    double scale;  // 0 → 1/√d
  };
  // n not a multiple of 64 (1, 65, 130), d = 1 and not a multiple of 4 or 8; B = 4 with scale 1
  // puts scores near 4·4·d = 128 > 88: exp(score) overflows float32, the log-sum-exp form does not.
  for (const Case c : {Case{1, 1, false, 1, 0}, Case{65, 1, false, 1, 0}, Case{130, 7, false, 1, 0},
                       Case{130, 7, true, 1, 0}, Case{200, 64, false, 1, 0}, Case{257, 64, true, 1, 0},
                       Case{100, 8, false, 4, 1}, Case{100, 8, true, 4, 1}}) {
    for (int threads : {1, 2}) {
      if (threads > max_threads()) continue;
      const std::size_t n = c.n, d = c.d;
      CAPTURE(n);
      CAPTURE(d);
      CAPTURE(c.causal);
      CAPTURE(c.B);
      CAPTURE(threads);
      const auto Q = uniform_matrix(n, d, c.B, 5), K = uniform_matrix(n, d, c.B, 6), V = uniform_matrix(n, d, 1.0, 7),
                 dO = uniform_matrix(n, d, 1.0, 8);
      grad::Params params;
      params.causal = c.causal;
      params.scale = c.scale;
      params.threads = threads;
      const Grads ref = backward("reference", n, d, Q, K, V, dO, params);
      const Grads got = backward("flash", n, d, Q, K, V, dO, params);
      auto err = [](const std::vector<float>& a, const std::vector<float>& b) {
        return relative_error(a.data(), b.data(), b.size());
      };
      CHECK(err(got.dQ, ref.dQ) <= 1e-4);
      CHECK(err(got.dK, ref.dK) <= 1e-4);
      CHECK(err(got.dV, ref.dV) <= 1e-4);
      // With the forward's O and lse given (as a training step has them).
      std::vector<float> O(n * d), lse(n);
      attention::Params fp;
      fp.scale = grad::resolved_scale(params, d);
      fp.causal = c.causal;
      fp.return_lse = true;
      attention::Stats fs;
      attention::run("flash", {n, d, Q.data(), K.data(), V.data()}, fp, O.data(), fs, lse.data());
      const Grads given = backward("flash", n, d, Q, K, V, dO, params, O.data(), lse.data());
      CHECK(err(given.dQ, ref.dQ) <= 1e-4);
      CHECK(err(given.dK, ref.dK) <= 1e-4);
      CHECK(err(given.dV, ref.dV) <= 1e-4);
    }
  }
}

TEST_CASE("grad: bad input is refused naming the parameter; the family keeps working") {
  const std::size_t n = 10, d = 4;
  const auto Q = uniform_matrix(n, d, 1.0, 1), K = uniform_matrix(n, d, 1.0, 2), V = uniform_matrix(n, d, 1.0, 3);
  auto dO = uniform_matrix(n, d, 1.0, 4);
  std::vector<float> dQ(n * d), dK(n * d), dV(n * d), O(n * d), lse(n);
  const grad::Output out{dQ.data(), dK.data(), dV.data()};
  grad::Stats stats;
  for (const char* method : {"reference", "flash"}) {
    CAPTURE(std::string(method));
    auto call = [&](grad::Problem p) { return message_of([&] { grad::run(method, p, {}, out, stats); }); };
    const grad::Problem good{n, d, {Q.data(), n * d}, {K.data(), n * d}, {V.data(), n * d}, {dO.data(), n * d}, {}, {}};
    grad::Problem p = good;
    p.K.size = (n - 1) * d;
    CHECK(call(p).rfind("K: length 36 does not match n·d = 40", 0) == 0);
    p = good;
    p.dO.size = n * d + 1;
    CHECK(call(p).rfind("dO: length", 0) == 0);
    p = good;
    p.V.data = nullptr;
    CHECK(call(p).rfind("V: missing", 0) == 0);
    p = good;
    p.O = {O.data(), n * d};
    CHECK(call(p).rfind("lse: missing", 0) == 0);
    p.lse = {lse.data(), n - 1};
    CHECK(call(p).rfind("lse: length", 0) == 0);
    for (float bad : {NAN, INFINITY}) {
      dO[7] = bad;
      CHECK(call(good).rfind("dO: entry 7 is", 0) == 0);
      dO[7] = 0.5f;
    }
    lse[3] = NAN;
    p = good;
    p.O = {O.data(), n * d};
    p.lse = {lse.data(), n};
    CHECK(call(p).rfind("lse: entry 3", 0) == 0);
    lse[3] = 0;
    CHECK(call(good).empty());
  }
  CHECK(message_of([] { grad::find_method("polynomal"); }).rfind("method: unknown grad method 'polynomal'", 0) == 0);
  Options o;
  o.set("degree", "3");
  CHECK(message_of([&] { grad::params_from(o, 4, "flash"); }).rfind("degree: unknown option for flash", 0) == 0);
}

namespace {

// Σ dO ∘ Ô for the polynomial attention Ô = A V / rowsum(A), A_ij = P(s·q_i·k_j), in double.
double poly_loss(std::size_t n, std::size_t d, const std::vector<double>& Q, const std::vector<double>& K,
                 const std::vector<double>& V, const std::vector<float>& dO, double s, const std::vector<double>& c,
                 bool causal = false) {
  double L = 0;
  std::vector<double> a(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    double den = 0;
    std::fill(a.begin(), a.end(), 0.0);
    for (std::size_t j = 0; j < (causal ? i + 1 : n); ++j) {
      double t = 0;
      for (std::size_t k = 0; k < d; ++k) t += Q[i * d + k] * K[j * d + k];
      t *= s;
      double pv = 0;
      for (std::size_t k = c.size(); k-- > 0;) pv = pv * t + c[k];
      den += (a[j] = pv);
    }
    for (std::size_t k = 0; k < d; ++k) {
      double o = 0;
      for (std::size_t j = 0; j < n; ++j) o += a[j] * V[j * d + k];
      L += dO[i * d + k] * o / den;
    }
  }
  return L;
}

}  // namespace

TEST_CASE("grad: polynomial is the exact gradient of the polynomial attention (finite differences, fixed R)") {
  struct Case {
    std::size_t n, d;
    int degree;
    const char* poly;
  };
  for (const Case c : {Case{1, 1, 2, "taylor"}, Case{5, 2, 3, "chebyshev"}, Case{70, 3, 4, "taylor"},
                       Case{70, 3, 3, "chebyshev"}}) {
    const std::size_t n = c.n, d = c.d;
    CAPTURE(n);
    CAPTURE(d);
    CAPTURE(c.degree);
    CAPTURE(std::string(c.poly));
    const auto Q = uniform_matrix(n, d, 1.0, 21), K = uniform_matrix(n, d, 1.0, 22), V = uniform_matrix(n, d, 1.0, 23),
               dO = uniform_matrix(n, d, 1.0, 24);
    grad::Params params;
    params.degree = c.degree;
    params.poly = c.poly;
    params.R = 2;  // fixed, so P does not move with the inputs
    params.threads = std::min(2, max_threads());
    const double s = grad::resolved_scale(params, d);
    const std::vector<double> coef = attention::poly_coefficients(c.poly, c.degree, params.R);
    const Grads g = backward("polynomial", n, d, Q, K, V, dO, params);
    const std::vector<double> q(Q.begin(), Q.end()), k(K.begin(), K.end()), v(V.begin(), V.end());
    const double h = 1e-5;
    auto fd = [&](int which) {
      std::vector<double> out(n * d);
      for (std::size_t t = 0; t < n * d; ++t) {
        std::vector<double> x[3] = {q, k, v};
        x[which][t] += h;
        const double up = poly_loss(n, d, x[0], x[1], x[2], dO, s, coef);
        x[which][t] -= 2 * h;
        const double down = poly_loss(n, d, x[0], x[1], x[2], dO, s, coef);
        out[t] = (up - down) / (2 * h);
      }
      return out;
    };
    CHECK(rel(g.dQ, fd(0)) <= 1e-4);  // float32 features and sums
    CHECK(rel(g.dK, fd(1)) <= 1e-4);
    CHECK(rel(g.dV, fd(2)) <= 1e-4);
  }
}

TEST_CASE("grad: polynomial approaches the exact gradient at small entries and high degree") {
  const std::size_t n = 300, d = 4;
  const auto Q = uniform_matrix(n, d, 0.5, 31), K = uniform_matrix(n, d, 0.5, 32), V = uniform_matrix(n, d, 1.0, 33),
             dO = uniform_matrix(n, d, 1.0, 34);
  grad::Params params;
  params.scale = 1.0 / d;
  const Grads ref = backward("reference", n, d, Q, K, V, dO, params);
  double previous = INFINITY;
  for (int g : {2, 4, 6}) {
    params.degree = g;
    const Grads got = backward("polynomial", n, d, Q, K, V, dO, params);
    const double err = std::max({relative_error(got.dQ.data(), ref.dQ.data(), n * d),
                                 relative_error(got.dK.data(), ref.dK.data(), n * d),
                                 relative_error(got.dV.data(), ref.dV.data(), n * d)});
    CAPTURE(g);
    CAPTURE(err);
    CHECK(err < previous);
    previous = err;
  }
  CHECK(previous <= 1e-4);
}

TEST_CASE("grad: polynomial refuses a rank beyond the memory budget by 'degree', and causal by name") {
  const std::size_t n = 64, d = 64;
  const auto Q = uniform_matrix(n, d, 0.1, 1), K = uniform_matrix(n, d, 0.1, 2), V = uniform_matrix(n, d, 1.0, 3),
             dO = uniform_matrix(n, d, 1.0, 4);
  grad::Params params;
  params.degree = 8;  // rank C(72, 8) ≈ 1.2e10
  params.threads = 1;
  const std::string msg = message_of([&] { backward("polynomial", n, d, Q, K, V, dO, params); });
  CHECK(msg.rfind("degree: got 8: rank C(d+g, g) = ", 0) == 0);
  CHECK(msg.find("memory budget is") != std::string::npos);
  params.degree = 2;
  params.causal = true;
  CHECK(message_of([&] { backward_nk("polynomial", n, n + 1, d, Q, uniform_matrix(n + 1, d, 0.1, 2),
                                     uniform_matrix(n + 1, d, 1.0, 3), dO, params); })
            .rfind("n_k: got 65 ≠ n = 64; the causal polynomial gradient needs n_k = n", 0) == 0);
  CHECK(message_of([] { grad::family().cost("polynomial", {{"n", 8}, {"n_k", 9}, {"d", 2}}, one_option("causal", "true")); })
            .rfind("n_k: got 9 ≠ n = 8", 0) == 0);
  params.causal = false;
  CHECK(message_of([&] { backward("polynomial", n, d, Q, K, V, dO, params); }).empty());
}

namespace {

// Σ dO ∘ softmax(s·QKᵀ)V with n_k keys (query i is key position i + n_k − n when causal), double.
double loss_nk(std::size_t n, std::size_t nk, std::size_t d, const std::vector<double>& Q, const std::vector<double>& K,
               const std::vector<double>& V, const std::vector<float>& dO, double s, bool causal) {
  double L = 0;
  std::vector<double> a(nk);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t keys = causal ? i + (nk - n) + 1 : nk;
    double m = -INFINITY, sum = 0;
    for (std::size_t j = 0; j < keys; ++j) {
      double dot = 0;
      for (std::size_t k = 0; k < d; ++k) dot += Q[i * d + k] * K[j * d + k];
      m = std::max(m, a[j] = s * dot);
    }
    for (std::size_t j = 0; j < keys; ++j) sum += (a[j] = std::exp(a[j] - m));
    for (std::size_t k = 0; k < d; ++k) {
      double o = 0;
      for (std::size_t j = 0; j < keys; ++j) o += a[j] * V[j * d + k];
      L += dO[i * d + k] * o / sum;
    }
  }
  return L;
}

Grads backward_nk(const std::string& method, std::size_t n, std::size_t nk, std::size_t d, const std::vector<float>& Q,
                  const std::vector<float>& K, const std::vector<float>& V, const std::vector<float>& dO,
                  const grad::Params& params) {
  Grads g{std::vector<float>(n * d), std::vector<float>(nk * d), std::vector<float>(nk * d)};
  grad::Problem p{n, d, {Q.data(), Q.size()}, {K.data(), K.size()}, {V.data(), V.size()}, {dO.data(), dO.size()},
                  {}, {}, nk};
  grad::Stats stats;
  grad::run(method, p, params, {g.dQ.data(), g.dK.data(), g.dV.data()}, stats);
  return g;
}

}  // namespace

TEST_CASE("grad: n_k ≠ n — reference vs finite differences, flash and polynomial vs reference, causal offsets") {
  struct Shape {
    std::size_t n, nk, d;
    bool causal;
  };
  for (const Shape sh : {Shape{1, 4, 2, false}, Shape{5, 9, 3, true}, Shape{6, 3, 2, false}, Shape{4, 11, 1, true}}) {
    const std::size_t n = sh.n, nk = sh.nk, d = sh.d;
    CAPTURE(n);
    CAPTURE(nk);
    CAPTURE(sh.causal);
    const auto Q = uniform_matrix(n, d, 1.0, 41), K = uniform_matrix(nk, d, 1.0, 42), V = uniform_matrix(nk, d, 1.0, 43),
               dO = uniform_matrix(n, d, 1.0, 44);
    grad::Params params;
    params.causal = sh.causal;
    const double s = grad::resolved_scale(params, d);
    const Grads g = backward_nk("reference", n, nk, d, Q, K, V, dO, params);
    const std::vector<double> q(Q.begin(), Q.end()), k(K.begin(), K.end()), v(V.begin(), V.end());
    auto fd = [&](int which) {
      std::vector<double> x[3] = {q, k, v};
      std::vector<double> out(x[which].size());
      for (std::size_t t = 0; t < out.size(); ++t) {
        const double keep = x[which][t];
        x[which][t] = keep + 1e-5;
        const double up = loss_nk(n, nk, d, x[0], x[1], x[2], dO, s, sh.causal);
        x[which][t] = keep - 1e-5;
        const double down = loss_nk(n, nk, d, x[0], x[1], x[2], dO, s, sh.causal);
        x[which][t] = keep;
        out[t] = (up - down) / 2e-5;
      }
      return out;
    };
    CHECK(rel(g.dQ, fd(0)) <= 1e-6);
    CHECK(rel(g.dK, fd(1)) <= 1e-6);
    CHECK(rel(g.dV, fd(2)) <= 1e-6);
  }
  // flash: n, n_k not multiples of 64, causal offsets that do not align with the tiles.
  struct Case {
    std::size_t n, nk, d;
    bool causal;
  };
  for (const Case c : {Case{65, 130, 7, true}, Case{130, 70, 5, false}, Case{1, 200, 8, true}, Case{100, 257, 16, true},
                       Case{64, 64, 4, true}}) {
    for (int threads : {1, 2}) {
      if (threads > max_threads()) continue;
      CAPTURE(c.n);
      CAPTURE(c.nk);
      CAPTURE(c.causal);
      CAPTURE(threads);
      const auto Q = uniform_matrix(c.n, c.d, 1.0, 51), K = uniform_matrix(c.nk, c.d, 1.0, 52),
                 V = uniform_matrix(c.nk, c.d, 1.0, 53), dO = uniform_matrix(c.n, c.d, 1.0, 54);
      grad::Params params;
      params.causal = c.causal;
      params.threads = threads;
      const Grads ref = backward_nk("reference", c.n, c.nk, c.d, Q, K, V, dO, params);
      const Grads got = backward_nk("flash", c.n, c.nk, c.d, Q, K, V, dO, params);
      CHECK(rel_f(got.dQ, ref.dQ) <= 1e-4);
      CHECK(rel_f(got.dK, ref.dK) <= 1e-4);
      CHECK(rel_f(got.dV, ref.dV) <= 1e-4);
    }
  }
  {
    const std::size_t n = 90, nk = 150, d = 4;
    const auto Q = uniform_matrix(n, d, 0.5, 61), K = uniform_matrix(nk, d, 0.5, 62), V = uniform_matrix(nk, d, 1.0, 63),
               dO = uniform_matrix(n, d, 1.0, 64);
    grad::Params params;
    params.scale = 1.0 / d;
    params.degree = 6;
    const Grads ref = backward_nk("reference", n, nk, d, Q, K, V, dO, params);
    const Grads got = backward_nk("polynomial", n, nk, d, Q, K, V, dO, params);
    CHECK(rel_f(got.dQ, ref.dQ) <= 1e-4);
    CHECK(rel_f(got.dK, ref.dK) <= 1e-4);
    CHECK(rel_f(got.dV, ref.dV) <= 1e-4);
  }
  // Refused by name: causal with fewer keys than queries, K of the wrong length, n_k for a loss method.
  const auto Q = uniform_matrix(10, 2, 1.0, 1), K = uniform_matrix(6, 2, 1.0, 2);
  grad::Params causal;
  causal.causal = true;
  CHECK(message_of([&] { backward_nk("flash", 10, 6, 2, Q, K, K, Q, causal); }).rfind("n_k: got 6, must be >= n when causal", 0) == 0);
  CHECK(message_of([&] { backward_nk("reference", 10, 7, 2, Q, K, K, Q, {}); }).rfind("K: length 12 does not match n_k·d = 14", 0) == 0);
  CHECK(message_of([] { grad::family().cost("loss_exact", {{"n", 8}, {"n_k", 9}, {"d", 2}}, {}); }).rfind("n_k: got 9 ≠ n = 8; the loss methods take n_k = n", 0) == 0);
  CHECK(grad::family().cost("flash", {{"n", 8}, {"n_k", 16}, {"d", 2}}, {}).flops == doctest::Approx(10.0 * 8 * 16 * 2));
  CHECK(message_of([&] { backward_nk("flash", 10, 6, 2, Q, K, K, Q, {}); }).empty());
}

TEST_CASE("grad: causal polynomial — the exact gradient of the causal polynomial attention, and its convergence") {
  struct Case {
    std::size_t n, d;
    int degree;
    const char* poly;
  };
  // n across block edges (64), d = 1.
  for (const Case c : {Case{2, 2, 2, "taylor"}, Case{7, 1, 3, "chebyshev"}, Case{70, 3, 3, "taylor"},
                       Case{130, 2, 4, "chebyshev"}}) {
    const std::size_t n = c.n, d = c.d;
    CAPTURE(n);
    CAPTURE(d);
    const auto Q = uniform_matrix(n, d, 1.0, 71), K = uniform_matrix(n, d, 1.0, 72), V = uniform_matrix(n, d, 1.0, 73),
               dO = uniform_matrix(n, d, 1.0, 74);
    grad::Params params;
    params.degree = c.degree;
    params.poly = c.poly;
    params.R = 2;
    params.causal = true;
    const double s = grad::resolved_scale(params, d);
    const std::vector<double> coef = attention::poly_coefficients(c.poly, c.degree, params.R);
    const Grads g = backward("polynomial", n, d, Q, K, V, dO, params);
    const std::vector<double> q(Q.begin(), Q.end()), k(K.begin(), K.end()), v(V.begin(), V.end());
    auto fd = [&](int which) {
      std::vector<double> x[3] = {q, k, v};
      std::vector<double> out(n * d);
      for (std::size_t t = 0; t < n * d; ++t) {
        const double keep = x[which][t];
        x[which][t] = keep + 1e-5;
        const double up = poly_loss(n, d, x[0], x[1], x[2], dO, s, coef, true);
        x[which][t] = keep - 1e-5;
        const double down = poly_loss(n, d, x[0], x[1], x[2], dO, s, coef, true);
        x[which][t] = keep;
        out[t] = (up - down) / 2e-5;
      }
      return out;
    };
    CHECK(rel(g.dQ, fd(0)) <= 1e-4);
    CHECK(rel(g.dK, fd(1)) <= 1e-4);
    CHECK(rel(g.dV, fd(2)) <= 1e-4);
  }
  {
    // n = 1: one key, whatever the scores: dQ = dK = 0 up to float rounding, dV = dO.
    const auto q = uniform_matrix(1, 3, 1.0, 91), v = uniform_matrix(1, 3, 1.0, 92), o = uniform_matrix(1, 3, 1.0, 93);
    grad::Params params;
    params.causal = true;
    const Grads g = backward("polynomial", 1, 3, q, q, v, o, params);
    for (std::size_t k = 0; k < 3; ++k) {
      CHECK(std::fabs(g.dQ[k]) <= 1e-6);
      CHECK(std::fabs(g.dK[k]) <= 1e-6);
      CHECK(g.dV[k] == doctest::Approx(o[k]).epsilon(1e-6));
    }
  }
  const std::size_t n = 200, d = 4;
  const auto Q = uniform_matrix(n, d, 0.5, 81), K = uniform_matrix(n, d, 0.5, 82), V = uniform_matrix(n, d, 1.0, 83),
             dO = uniform_matrix(n, d, 1.0, 84);
  grad::Params params;
  params.scale = 1.0 / d;
  params.causal = true;
  const Grads ref = backward("reference", n, d, Q, K, V, dO, params);
  double previous = INFINITY;
  for (int g : {2, 4, 6}) {
    params.degree = g;
    const Grads got = backward("polynomial", n, d, Q, K, V, dO, params);
    const double err = std::max({rel_f(got.dQ, ref.dQ), rel_f(got.dK, ref.dK), rel_f(got.dV, ref.dV)});
    CAPTURE(g);
    CAPTURE(err);
    CHECK(err < previous);
    previous = err;
  }
  CHECK(previous <= 1e-4);
}
