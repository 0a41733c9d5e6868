// Attention with general diagonal position matrices (THEORY-2.md §1, the
// "ARAttC" problem with supp(W_Δ) on the diagonal), the yardstick:
//   A_ij = exp(scale · Σ_l q_il · w_{i−j, l} · k_jl),  O = D⁻¹ A V,  j ≤ i when causal,
// W given as (2n−1)×d rows, row Δ + n − 1 = w_Δ for Δ = i − j ∈ (−n, n).
// Obvious dense loops, double accumulation, max-subtracted softmax.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "attention/reference_row.hpp"
#include "common/threads.hpp"

namespace subquad::attention {

void positional_reference_row(const Problem& p, const Params& params, std::size_t i, double* o) {
  const std::size_t n = p.n, d = p.d, keys = params.causal ? i + 1 : n;
  const double scale = resolved_scale(params, d);
  std::vector<double> s(keys);
  for (std::size_t j = 0; j < keys; ++j) {
    const float* w = p.W + (i + n - 1 - j) * d;  // w_{i−j}
    double dot = 0;
    for (std::size_t k = 0; k < d; ++k)
      dot += double(p.Q[i * d + k]) * double(w[k]) * double(p.K[j * d + k]);
    s[j] = scale * dot;
  }
  softmax_average(s.data(), keys, p.V, d, o);
}

void positional_reference(const Problem& p, const Params& params, float* O, float*, Stats&) {
  std::vector<double> o(p.d);
  for (std::size_t i = 0; i < p.n; ++i) {
    if ((i & 15) == 0) throw_if_cancelled();
    positional_reference_row(p, params, i, o.data());
    for (std::size_t k = 0; k < p.d; ++k) O[i * p.d + k] = static_cast<float>(o[k]);
  }
}

}  // namespace subquad::attention
