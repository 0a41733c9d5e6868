// Σ_m mono[m]·S[m·C + k] for the C weight columns, with four partial sums per
// column (double reductions are not reassociated by the compiler on its own).
#pragma once

#include <cstddef>

namespace subquad::kernel {

template <int C>
inline void dot_columns(const double* mono, const double* S, std::size_t r, double* out) {
  double acc[4][C] = {};
  std::size_t m = 0;
  for (; m + 4 <= r; m += 4)
    for (int q = 0; q < 4; ++q)
      for (int k = 0; k < C; ++k) acc[q][k] += mono[m + q] * S[(m + q) * C + k];
  for (; m < r; ++m)
    for (int k = 0; k < C; ++k) acc[0][k] += mono[m] * S[m * C + k];
  for (int k = 0; k < C; ++k) out[k] = (acc[0][k] + acc[1][k]) + (acc[2][k] + acc[3][k]);
}

}  // namespace subquad::kernel
