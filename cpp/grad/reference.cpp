// The yardstick: obvious loops in double. Row i of P = softmax(s·q_i Kᵀ)
// (max-subtracted), o_i = P_i V, D_i = dO_i·o_i; then for every key j
//   dP_ij = dO_i·v_j,  dS_ij = P_ij (dP_ij − D_i),
//   dQ_i += s dS_ij k_j,  dK_j += s dS_ij q_i,  dV_j += P_ij dO_i.
// O and lse, when given, are ignored: everything is recomputed in double.
// Extra memory: dK and dV accumulated in double (n_k×d each), a row of n_k.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/threads.hpp"
#include "grad/grad.hpp"

namespace subquad::grad {

void reference(const Problem& p, const Params& params, const Output& out, Stats&) {
  const std::size_t n = p.n, nk = p.keys(), d = p.d;
  const double s = resolved_scale(params, d);
  const float *Q = p.Q.data, *K = p.K.data, *V = p.V.data, *dO = p.dO.data;
  std::vector<double> dK(nk * d, 0.0), dV(nk * d, 0.0), P(nk), dq(d), o(d);
  for (std::size_t i = 0; i < n; ++i) {
    if ((i & 15) == 0) throw_if_cancelled();
    // Causal: query i is key position i + n_k − n (prepare checks n_k ≥ n).
    const std::size_t keys = params.causal ? i + (nk - n) + 1 : nk;
    double m = -INFINITY;
    for (std::size_t j = 0; j < keys; ++j) {
      double dot = 0;
      for (std::size_t k = 0; k < d; ++k) dot += double(Q[i * d + k]) * K[j * d + k];
      P[j] = s * dot;
      m = std::max(m, P[j]);
    }
    double sum = 0;
    for (std::size_t j = 0; j < keys; ++j) sum += (P[j] = std::exp(P[j] - m));
    std::fill(o.begin(), o.end(), 0.0);
    for (std::size_t j = 0; j < keys; ++j) {
      P[j] /= sum;
      for (std::size_t k = 0; k < d; ++k) o[k] += P[j] * V[j * d + k];
    }
    double D = 0;
    for (std::size_t k = 0; k < d; ++k) D += double(dO[i * d + k]) * o[k];
    std::fill(dq.begin(), dq.end(), 0.0);
    for (std::size_t j = 0; j < keys; ++j) {
      double dp = 0;
      for (std::size_t k = 0; k < d; ++k) dp += double(dO[i * d + k]) * V[j * d + k];
      const double ds = P[j] * (dp - D);
      for (std::size_t k = 0; k < d; ++k) {
        dq[k] += s * ds * K[j * d + k];
        dK[j * d + k] += s * ds * Q[i * d + k];
        dV[j * d + k] += P[j] * dO[i * d + k];
      }
    }
    for (std::size_t k = 0; k < d; ++k) out.dQ[i * d + k] = static_cast<float>(dq[k]);
  }
  for (std::size_t t = 0; t < nk * d; ++t) {
    out.dK[t] = static_cast<float>(dK[t]);
    out.dV[t] = static_cast<float>(dV[t]);
  }
}

}  // namespace subquad::grad
