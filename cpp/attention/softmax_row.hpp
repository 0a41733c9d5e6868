// The softmax numerators of one row of scores, shared by the row-blocked
// kernels (exact, window, lsh): row[lo..hi) ← exp(scale·(row − max)), where
// max is taken over [lo, hi), and the rest of row[0..width) ← 0, so a product
// of the whole row with V counts only [lo, hi). Entries of −inf inside
// [lo, hi) (masked keys) become exactly 0. Returns the sum; *max_out gets the
// max. Internal to cpp/attention/.
#pragma once

#include <algorithm>
#include <cstddef>

#include "simd/simd.hpp"

namespace subquad::attention {

inline float softmax_numerators(float* row, std::size_t lo, std::size_t hi, std::size_t width, float scale,
                                float* max_out = nullptr) {
  using namespace simd;
  const float m = max_of(row + lo, hi - lo);
  if (max_out) *max_out = m;
  std::fill(row, row + lo, 0.0f);
  std::fill(row + hi, row + width, 0.0f);
  const f32x4 vm = splat(m), vs = splat(scale);
  f32x4 vsum = splat(0.0f);
  std::size_t j = lo;
  for (; j + 4 <= hi; j += 4) {
    const f32x4 e = simd::exp((load(row + j) - vm) * vs);
    store(row + j, e);
    vsum += e;
  }
  float sum = hsum(vsum);
  for (; j < hi; ++j) {
    row[j] = simd::exp((row[j] - m) * scale);
    sum += row[j];
  }
  return sum;
}

}  // namespace subquad::attention
