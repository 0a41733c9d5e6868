// Register-blocked SIMD matrix product, the workhorse of every kernel:
//   C[M×N] = (accumulate ? C : 0) + A[M×K] · B[K×N], all row-major.
// Whole 8-column blocks go through the micro-kernel variant measured fastest
// on this machine (simd/gemm_variants.hpp: 4×8, 5×8 or 6×8 tiles of C in
// registers, one broadcast per A entry or four by shuffles, k unrolled or
// not); the tiles below handle the last columns.
#pragma once

#include <cstddef>

#include <type_traits>

#include "simd/gemm_variants.hpp"
#include "simd/simd.hpp"

namespace subquad::simd {

namespace detail {

// C tile of MR rows × (NV·4) columns; all columns in range.
template <int MR, int NV>
inline void gemm_tile(std::size_t K, const float* A, std::size_t lda, const float* B,
                      std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
  f32x4 acc[MR][NV];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = accumulate ? load(C + i * ldc + 4 * v) : splat(0.0f);
  for (std::size_t k = 0; k < K; ++k) {
    f32x4 b[NV];
    for (int v = 0; v < NV; ++v) b[v] = load(B + k * ldb + 4 * v);
    for (int i = 0; i < MR; ++i) {
      const f32x4 a = splat(A[i * lda + k]);
      for (int v = 0; v < NV; ++v) acc[i][v] += a * b[v];
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) store(C + i * ldc + 4 * v, acc[i][v]);
}

// Last (< 4) columns: one partial vector per row.
template <int MR>
inline void gemm_tile_partial(std::size_t K, std::size_t cols, const float* A, std::size_t lda,
                              const float* B, std::size_t ldb, float* C, std::size_t ldc,
                              bool accumulate) {
  f32x4 acc[MR];
  for (int i = 0; i < MR; ++i) acc[i] = accumulate ? load_partial(C + i * ldc, cols) : splat(0.0f);
  for (std::size_t k = 0; k < K; ++k) {
    const f32x4 b = load_partial(B + k * ldb, cols);
    for (int i = 0; i < MR; ++i) acc[i] += splat(A[i * lda + k]) * b;
  }
  for (int i = 0; i < MR; ++i) store_partial(C + i * ldc, acc[i], cols);
}

}  // namespace detail

constexpr int kGemmRows = 6;  // row blocks should be multiples of it (and of 4)

// C[M×N8] = A[M×K] · B[K×N8] (N8 a multiple of 8, callers pad): the fused
// kernels' tile products, through the micro-kernel variant picked for this
// machine (simd/gemm_variants.hpp).
inline void gemm_cols8(std::size_t M, std::size_t N8, std::size_t K, const float* A, std::size_t lda,
                       const float* B, std::size_t ldb, float* C, std::size_t ldc) {
  gemm_kernel()(M, N8, K, A, lda, B, ldb, C, ldc, false);
}

// Any shape: the whole 8-column blocks through the picked variant, the last
// (< 8) columns by the tiles above.
inline void gemm(std::size_t M, std::size_t N, std::size_t K, const float* A, std::size_t lda,
                 const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
  const std::size_t n8 = N / 8 * 8;
  if (n8) gemm_kernel()(M, n8, K, A, lda, B, ldb, C, ldc, accumulate);
  if (n8 == N) return;
  const std::size_t rest = N - n8;
  B += n8;
  C += n8;
  const auto rows = [&](auto mr, std::size_t i) {
    constexpr int MR = decltype(mr)::value;
    const float* a = A + i * lda;
    float* c = C + i * ldc;
    std::size_t j = 0;
    if (rest >= 4) {
      detail::gemm_tile<MR, 1>(K, a, lda, B, ldb, c, ldc, accumulate);
      j = 4;
    }
    if (j < rest) detail::gemm_tile_partial<MR>(K, rest - j, a, lda, B + j, ldb, c + j, ldc, accumulate);
  };
  std::size_t i = 0;
  for (; i + 6 <= M; i += 6) rows(std::integral_constant<int, 6>{}, i);
  switch (M - i) {
    case 5: rows(std::integral_constant<int, 5>{}, i); break;
    case 4: rows(std::integral_constant<int, 4>{}, i); break;
    case 3: rows(std::integral_constant<int, 3>{}, i); break;
    case 2: rows(std::integral_constant<int, 2>{}, i); break;
    case 1: rows(std::integral_constant<int, 1>{}, i); break;
    default: break;
  }
}

}  // namespace subquad::simd
