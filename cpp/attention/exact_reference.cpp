// The yardstick: obvious loops, double accumulation, max-subtracted softmax.
// Query i attends to keys j < n_k, or j ≤ i + (n_k − n) when causal (the
// queries are the last n positions of the n_k keys, as in decoding).
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "attention/reference_row.hpp"
#include "common/threads.hpp"

namespace subquad::attention {

namespace {

// ln Σ_j exp(s_j) of row i, with the row's output in o.
double reference_row(const Problem& p, const Params& params, std::size_t i, double* o) {
  const std::size_t nk = p.keys(), d = p.d;
  const double scale = resolved_scale(params, d);
  std::vector<double> s(nk);
  const std::size_t keys = params.causal ? i + (nk - p.n) + 1 : nk;
  for (std::size_t j = 0; j < keys; ++j) {
    if (params.diagonal && j == i) {
      s[j] = -INFINITY;
      continue;
    }
    double dot = 0;
    for (std::size_t k = 0; k < d; ++k) dot += double(p.Q[i * d + k]) * double(p.K[j * d + k]);
    s[j] = scale * dot;
  }
  return softmax_average(s.data(), keys, p.V, d, o);
}

}  // namespace

void exact_reference_row(const Problem& p, const Params& params, std::size_t i, double* o) {
  reference_row(p, params, i, o);
}

void exact_reference(const Problem& p, const Params& params, float* O, float* lse, Stats&) {
  std::vector<double> o(p.d);
  for (std::size_t i = 0; i < p.n; ++i) {
    if ((i & 15) == 0) throw_if_cancelled();  // a row is O(n_k·d): check every 16
    const double l = reference_row(p, params, i, o.data());
    if (lse) lse[i] = static_cast<float>(l);
    for (std::size_t k = 0; k < p.d; ++k) O[i * p.d + k] = static_cast<float>(o[k]);
  }
}

}  // namespace subquad::attention
