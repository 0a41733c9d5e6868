// A column strip of a matrix product against a packed operand:
//   C[M×8] = A[M×K] · Bp[K×8], Bp contiguous (row k of the strip at Bp + 8k).
// Packing B in strips of 8 columns (BLIS-style) lets the micro-kernel stream
// its B operand sequentially from L1 (a 128-row strip is 4 KiB) while it
// sweeps many row tiles of A. The micro-kernel is the variant picked for this
// machine (simd/gemm_variants.hpp).
#pragma once

#include <cstddef>

#include "simd/gemm.hpp"

namespace subquad::simd {

constexpr std::size_t kStrip = 8;

inline void gemm_strip(std::size_t M, std::size_t K, const float* A, std::size_t lda, const float* Bp, float* C,
                       std::size_t ldc) {
  gemm_kernel()(M, kStrip, K, A, lda, Bp, kStrip, C, ldc, false);
}

}  // namespace subquad::simd
