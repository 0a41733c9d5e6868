// The yardstick of the paper's problem: dense, double, the formulas as
// written (arXiv 2402.04497 Lemma B.1 / C.7, with the scale s in front):
// Q = A₁X, h = A₃Y, f = row-softmax(s·QA₂ᵀ) (n×n, stored), O = f h,
// c = O − E, q = c hᵀ (n×n, stored), p_j = (diag(f_j) − f_j f_jᵀ) q_j
// = f_j ∘ q_j − f_j ⟨f_j, q_j⟩, dL/dX = s·A₁ᵀ p A₂, L = ½‖c‖²_F.
// O(n²d) time, O(n²) memory (two n×n doubles): small n only.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/threads.hpp"
#include "grad/grad.hpp"

namespace subquad::grad {

double product_max_abs(const float* A, const float* B, std::size_t n, std::size_t d) {
  double m = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t b = 0; b < d; ++b) {
      double v = 0;
      for (std::size_t k = 0; k < d; ++k) v += double(A[i * d + k]) * B[k * d + b];
      m = std::max(m, std::fabs(v));
    }
  return m;
}

namespace {

// C (n×d) = A (n×d) · B (d×d) in double.
std::vector<double> times(const float* A, const float* B, std::size_t n, std::size_t d) {
  std::vector<double> C(n * d, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < d; ++k)
      for (std::size_t b = 0; b < d; ++b) C[i * d + b] += double(A[i * d + k]) * B[k * d + b];
  return C;
}

}  // namespace

LossParts loss_parts(const LossProblem& p, const Params& params) {
  const std::size_t n = p.n, d = p.d;
  const double s = resolved_scale(params, d);
  const std::vector<double> Q = times(p.A1.data, p.X.data, n, d);
  LossParts out;
  out.h = times(p.A3.data, p.Y.data, n, d);
  out.f.assign(n * n, 0.0);
  out.q.assign(n * n, 0.0);
  out.O.assign(n * d, 0.0);
  out.c.assign(n * d, 0.0);
  const float* K = p.A2.data;
  for (std::size_t i = 0; i < n; ++i) {
    if ((i & 15) == 0) throw_if_cancelled();
    double* f = out.f.data() + i * n;
    double m = -INFINITY, sum = 0;
    for (std::size_t j = 0; j < n; ++j) {
      double dot = 0;
      for (std::size_t k = 0; k < d; ++k) dot += Q[i * d + k] * K[j * d + k];
      f[j] = s * dot;
      m = std::max(m, f[j]);
    }
    for (std::size_t j = 0; j < n; ++j) sum += (f[j] = std::exp(f[j] - m));
    for (std::size_t j = 0; j < n; ++j) {
      f[j] /= sum;
      for (std::size_t k = 0; k < d; ++k) out.O[i * d + k] += f[j] * out.h[j * d + k];
    }
    for (std::size_t k = 0; k < d; ++k) {
      out.c[i * d + k] = out.O[i * d + k] - p.E.data[i * d + k];
      out.loss += 0.5 * out.c[i * d + k] * out.c[i * d + k];
    }
    for (std::size_t j = 0; j < n; ++j) {
      double dot = 0;
      for (std::size_t k = 0; k < d; ++k) dot += out.c[i * d + k] * out.h[j * d + k];
      out.q[i * n + j] = dot;
    }
  }
  return out;
}

double loss_reference(const LossProblem& p, const Params& params, float* dX, Stats& stats) {
  const std::size_t n = p.n, d = p.d;
  const double s = resolved_scale(params, d);
  const LossParts parts = loss_parts(p, params);
  // g = A₁ᵀ p A₂, one row of p at a time: (p_j A₂) is d wide, then A₁_jᵀ ⊗ it.
  std::vector<double> g(d * d, 0.0), pA(d);
  for (std::size_t i = 0; i < n; ++i) {
    const double* f = parts.f.data() + i * n;
    const double* q = parts.q.data() + i * n;
    double r = 0;
    for (std::size_t j = 0; j < n; ++j) r += f[j] * q[j];
    std::fill(pA.begin(), pA.end(), 0.0);
    for (std::size_t j = 0; j < n; ++j) {
      const double pj = f[j] * q[j] - f[j] * r;
      for (std::size_t b = 0; b < d; ++b) pA[b] += pj * p.A2.data[j * d + b];
    }
    for (std::size_t x = 0; x < d; ++x)
      for (std::size_t b = 0; b < d; ++b) g[x * d + b] += double(p.A1.data[i * d + x]) * pA[b];
  }
  for (std::size_t t = 0; t < d * d; ++t) dX[t] = static_cast<float>(s * g[t]);
  stats.push_back({"entry_bound", product_max_abs(p.A1.data, p.X.data, n, d)});
  return parts.loss;
}

}  // namespace subquad::grad
