// A column strip of a matrix product against a packed operand:
//   C[M×8] = A[M×K] · Bp[K×8], Bp contiguous (row k of the strip at Bp + 8k).
// Packing B in strips of 8 columns (BLIS-style) lets the 6×8 micro-kernel of
// gemm.hpp stream its B operand sequentially from L1 (a 128-row strip is
// 4 KiB) while it sweeps many row tiles of A.
#pragma once

#include <cstddef>

#include "simd/gemm.hpp"

namespace subquad::simd {

constexpr std::size_t kStrip = 8;

inline void gemm_strip(std::size_t M, std::size_t K, const float* A, std::size_t lda, const float* Bp, float* C,
                       std::size_t ldc) {
  std::size_t i = 0;
  for (; i + 6 <= M; i += 6) detail::gemm_tile<6, 2>(K, A + i * lda, lda, Bp, kStrip, C + i * ldc, ldc, false);
  const float* a = A + i * lda;
  float* c = C + i * ldc;
  switch (M - i) {
    case 5: detail::gemm_tile<5, 2>(K, a, lda, Bp, kStrip, c, ldc, false); break;
    case 4: detail::gemm_tile<4, 2>(K, a, lda, Bp, kStrip, c, ldc, false); break;
    case 3: detail::gemm_tile<3, 2>(K, a, lda, Bp, kStrip, c, ldc, false); break;
    case 2: detail::gemm_tile<2, 2>(K, a, lda, Bp, kStrip, c, ldc, false); break;
    case 1: detail::gemm_tile<1, 2>(K, a, lda, Bp, kStrip, c, ldc, false); break;
    default: break;
  }
}

}  // namespace subquad::simd
