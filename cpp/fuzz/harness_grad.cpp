// The attention backward under fuzzing: any method, any small shape (n up
// to 140, so flash crosses its 64-row tiles), any values, O and lse given,
// half-given or not. Invalid input must raise subquad::Error (nothing else).
// Valid input: flash must agree with the double reference within a tolerance
// that grows with the scores' float uncertainty, whenever the reference's
// gradients are representable in float. polynomial (an approximation) must
// not crash (nor take causal with n_k ≠ n); its degree is kept to ranks ≤ 4096 so the fuzzer stays fast.
// A last byte (zero in the older seeds, so they decode as before) switches
// to the paper's problem: the loss_* methods with A₁, A₂, A₃, E = the arrays
// above and X, Y from further bytes; loss_exact must agree with
// loss_reference (dX and L), loss_polynomial must not crash. Otherwise one more
// byte sets n_k (0: n_k = n, as the older seeds decode).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "fuzz/harness.hpp"
#include "grad/grad.hpp"

namespace subquad::fuzz {

namespace {

double max_abs(const std::vector<float>& x) {
  double m = 0;
  for (float v : x) m = std::max(m, std::fabs(double(v)));
  return m;
}

// The loss methods on A₁ = Q, A₂ = K, A₃ = V, E = dO and X, Y decoded here.
int grad_loss(Bytes& in, std::size_t n, std::size_t d, const std::vector<float>& A1, const std::vector<float>& A2,
              const std::vector<float>& A3, const std::vector<float>& E, grad::Params params) {
  const auto& list = grad::loss_methods();
  const std::string name = list[in.u8() % list.size()].name;
  const float xs = 0.05f * (1 + in.u8() % 32);
  std::vector<float> X(d * d), Y(d * d), dX(d * d), rX(d * d);
  for (auto& x : X) x = in.value(xs);
  for (auto& y : Y) y = in.value(1.0f);
  // Ranks and the d² contraction small enough for the fuzzer's pace.
  while (params.degree > 0 && params.degree <= 12 && attention::poly_rank(d, params.degree) * (d * d + 2 * d + 1) > 2e5)
    --params.degree;
  const std::size_t nd = n * d, dd = d * d;
  const grad::LossProblem p{n, d, {A1.data(), nd}, {A2.data(), nd}, {A3.data(), nd}, {E.data(), nd}, {X.data(), dd},
                            {Y.data(), dd}};
  grad::Stats stats;
  double loss = 0;
  try {
    loss = grad::run_loss(name, p, params, dX.data(), stats);
  } catch (const Error&) {
    return 0;
  }
  if (params.causal) {
    std::fprintf(stderr, "%s accepted causal\n", name.c_str());
    std::abort();
  }
  if (name != "loss_exact") return 0;
  grad::Params ref_params = params;
  ref_params.threads = 0;
  const double ref_loss = grad::run_loss("loss_reference", p, ref_params, rX.data(), stats);
  for (float x : rX)
    if (!std::isfinite(x)) return 0;
  if (!std::isfinite(ref_loss) || ref_loss > 1e30) return 0;
  // Scores s·Σ|Q_ik K_jk| with Q = A₁X rounded to float; the sizes of h = A₃Y,
  // c = O − E and dX = s·A₁ᵀ[f∘(q − r)]A₂ bounded by their formulas.
  const double s = grad::resolved_scale(params, d);
  const double a1 = max_abs(A1), a2 = max_abs(A2), a3 = max_abs(A3), e = max_abs(E), x = max_abs(X), y = max_abs(Y);
  const double q = d * a1 * x, h = d * a3 * y, c = h + e;
  const double eps = 1e-5 + 32 * 6e-8 * (s * d * q * a2) * d;
  const double bound = s * n * a1 * a2 * 2 * d * c * h;
  if (!std::isfinite(bound) || bound > 1e30) return 0;
  for (std::size_t t = 0; t < dd; ++t) {
    const double diff = std::fabs(double(dX[t]) - double(rX[t]));
    if (!(diff <= 8 * eps * bound + 1e-35)) {
      std::fprintf(stderr, "loss_exact dX[%zu] = %.9g vs reference %.9g (bound %g, eps %g; n=%zu d=%zu)\n", t, dX[t],
                   rX[t], bound, eps, n, d);
      std::abort();
    }
  }
  if (!(std::fabs(loss - ref_loss) <= 8 * eps * n * d * c * h + 1e-30)) {
    std::fprintf(stderr, "loss_exact L = %.12g vs reference %.12g (n=%zu d=%zu)\n", loss, ref_loss, n, d);
    std::abort();
  }
  return 0;
}

}  // namespace

int grad(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  const auto& list = grad::methods();
  const std::string name = list[in.u8() % list.size()].name;
  const std::size_t n = 1 + in.u8() % 140, d = 1 + in.u8() % 12;
  grad::Params params;
  params.causal = in.u8() & 1;
  params.threads = in.u8() % 3;  // 2 may exceed the pool: must be an Error
  const std::uint8_t given = in.u8() % 4;  // 0, 1: no O/lse; 2: both; 3: O alone (refused)
  const float scale = 0.5f + static_cast<float>(in.u8() % 16);
  std::vector<float> Q(n * d), K(n * d), V(n * d), dO(n * d);
  for (auto* m : {&Q, &K, &V, &dO})
    for (auto& x : *m) x = in.value(scale);
  // polynomial's parameters after the values (so the seeds without them decode as before).
  int b = in.u8();
  params.degree = b == 255 ? 13 : b % 13;
  params.poly = (in.u8() & 1) ? "taylor" : "chebyshev";
  b = in.u8();
  params.R = b == 255 ? 70 : (b < 128 ? 0 : (b - 127) * 0.1);
  while (params.degree > 0 && params.degree <= 12 && attention::poly_rank(d, params.degree) > 4096) --params.degree;

  if (in.u8() & 1) return grad_loss(in, n, d, Q, K, V, dO, params);
  // Then the key count (0, as in the older seeds: n_k = n): K and V cut to n_k rows or grown by more values.
  b = in.u8();
  const std::size_t nk = b == 0 ? n : 1 + b % 200;
  K.resize(nk * d);
  V.resize(nk * d);
  for (std::size_t t = n * d; t < nk * d; ++t) {
    K[t] = in.value(scale);
    V[t] = in.value(scale);
  }

  std::vector<float> O(n * d), lse(n), dQ(n * d), dK(nk * d), dV(nk * d), rQ(n * d), rK(nk * d), rV(nk * d);
  grad::Problem p{n, d, {Q.data(), Q.size()}, {K.data(), K.size()}, {V.data(), V.size()}, {dO.data(), dO.size()},
                  {}, {}, nk};
  grad::Stats stats;
  try {
    if (given >= 2) {
      attention::Params fp;
      fp.scale = grad::resolved_scale(params, d);
      fp.causal = params.causal;
      fp.return_lse = true;
      attention::Stats fs;
      attention::run("flash", {n, d, Q.data(), K.data(), V.data(), nk}, fp, O.data(), fs, lse.data());
      p.O = {O.data(), O.size()};
      if (given == 2) p.lse = {lse.data(), lse.size()};
    }
    grad::run(name, p, params, {dQ.data(), dK.data(), dV.data()}, stats);
  } catch (const Error&) {
    return 0;  // refused with a named error: fine
  }
  if (given == 3) {
    std::fprintf(stderr, "O without lse was accepted\n");
    std::abort();
  }
  if (name == "polynomial") {
    if (params.causal && nk != n) {
      std::fprintf(stderr, "the causal polynomial gradient accepted n_k = %zu ≠ n = %zu\n", nk, n);
      std::abort();
    }
    return 0;
  }
  grad::Params ref_params = params;
  ref_params.threads = 0;
  grad::run("reference", p, ref_params, {rQ.data(), rK.data(), rV.data()}, stats);
  for (const auto* r : {&rQ, &rK, &rV})
    for (float x : *r)
      if (!std::isfinite(x)) return 0;  // the true gradient overflows float: nothing to compare
  double maxdot = 0, qk = 0, v = 0, g = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < nk; ++j) {
      double s = 0;
      for (std::size_t k = 0; k < d; ++k) s += std::fabs(double(Q[i * d + k]) * K[j * d + k]);
      maxdot = std::max(maxdot, s);
    }
  for (std::size_t t = 0; t < n * d; ++t) {
    qk = std::max(qk, std::fabs(double(Q[t])));
    g = std::max(g, std::fabs(double(dO[t])));
  }
  for (std::size_t t = 0; t < nk * d; ++t) {
    qk = std::max(qk, std::fabs(double(K[t])));
    v = std::max(v, std::fabs(double(V[t])));
  }
  const double s = grad::resolved_scale(params, d);
  // P's relative uncertainty from float scores (and the forward's lse), plus
  // float accumulation; the gradients' sizes bounded by their formulas:
  // |dV| ≤ n·max|dO|, |dS| ≤ 2·d·max|dO|·max|V|, |dQ|, |dK| ≤ s·n·d·max|Q, K|·max|dS|.
  const double eps = 1e-5 + 32 * 6e-8 * maxdot * s;
  const double dS = 2.0 * d * g * v;
  const double bound[3] = {s * nk * d * qk * dS, s * n * d * qk * dS, double(n) * g};
  const std::vector<float>* got[3] = {&dQ, &dK, &dV};
  const std::vector<float>* ref[3] = {&rQ, &rK, &rV};
  const char* names[3] = {"dQ", "dK", "dV"};
  for (int x = 0; x < 3; ++x) {
    if (!std::isfinite(bound[x]) || bound[x] > 1e30) continue;
    for (std::size_t t = 0; t < got[x]->size(); ++t) {
      const double diff = std::fabs(double((*got[x])[t]) - double((*ref[x])[t]));
      if (!(diff <= 8 * eps * bound[x] + 1e-35)) {
        std::fprintf(stderr, "%s %s[%zu] = %.9g vs reference %.9g (bound %g, eps %g; n=%zu n_k=%zu d=%zu causal=%d)\n",
                     name.c_str(), names[x], t, (*got[x])[t], (*ref[x])[t], bound[x], eps, n, nk, d, int(params.causal));
        std::abort();
      }
    }
  }
  return 0;
}

}  // namespace subquad::fuzz
