// One row of a score tile in the online softmax (FlashAttention's running max):
// shared by attention's flash and tensor attention's per-query pass over key pairs.
#pragma once

#include <algorithm>
#include <cstddef>

#include "simd/simd.hpp"

namespace subquad::simd {

// Scores are in log2 units. row[0..valid) ← 2^(row − m_new) with
// m_new = max(*m, max of the row); returns the row's sum, sets *m = m_new and
// *alpha = 2^(m_old − m_new), the factor earlier sums and outputs are rescaled by.
inline float online_row(float* row, std::size_t valid, float* m, float* alpha) {
  const float m_new = std::max(*m, max_of(row, valid));
  *alpha = simd::exp2(*m - m_new);  // m = −inf on the first tile → 0
  *m = m_new;
  const f32x4 vm = splat(m_new);
  f32x4 vsum = splat(0.0f);
  std::size_t j = 0;
  for (; j + 4 <= valid; j += 4) {
    const f32x4 e = simd::exp2(load(row + j) - vm);
    store(row + j, e);
    vsum += e;
  }
  float sum = hsum(vsum);
  for (; j < valid; ++j) {
    row[j] = simd::exp2(row[j] - m_new);
    sum += row[j];
  }
  return sum;
}

}  // namespace subquad::simd
