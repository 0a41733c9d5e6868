// The double-precision tail every reference shares: given one row's scores
// s[0..keys) (−inf for a masked key), o ← Σ_j softmax(s)_j · V_j, max-subtracted.
// Returns ln Σ_j exp(s_j). Internal to cpp/attention/.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace subquad::attention {

inline double softmax_average(const double* s, std::size_t keys, const float* V, std::size_t d, double* o) {
  double m = -INFINITY;
  for (std::size_t j = 0; j < keys; ++j) m = std::max(m, s[j]);
  double sum = 0;
  std::fill(o, o + d, 0.0);
  for (std::size_t j = 0; j < keys; ++j) {
    const double a = s[j] == -INFINITY ? 0.0 : std::exp(s[j] - m);
    sum += a;
    for (std::size_t k = 0; k < d; ++k) o[k] += a * double(V[j * d + k]);
  }
  for (std::size_t k = 0; k < d; ++k) o[k] /= sum;
  return m + std::log(sum);
}

}  // namespace subquad::attention
