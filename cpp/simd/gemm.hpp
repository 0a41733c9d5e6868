// Register-blocked SIMD matrix product, the workhorse of every kernel:
//   C[M×N] = (accumulate ? C : 0) + A[M×K] · B[K×N], all row-major.
// The micro-kernel holds a 6×8 tile of C in 12 vector registers, broadcasts
// one A entry per row and loads two 4-float vectors of B per k — the shape that
// reaches ~24 GFLOP/s per core in WASM SIMD here (../shared/TOOLCHAIN.md).
#pragma once

#include <cstddef>

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

template <int MR>
inline void gemm_rows(std::size_t N, std::size_t K, const float* A, std::size_t lda, const float* B,
                      std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
  std::size_t j = 0;
  for (; j + 8 <= N; j += 8) gemm_tile<MR, 2>(K, A, lda, B + j, ldb, C + j, ldc, accumulate);
  for (; j + 4 <= N; j += 4) gemm_tile<MR, 1>(K, A, lda, B + j, ldb, C + j, ldc, accumulate);
  if (j < N) gemm_tile_partial<MR>(K, N - j, A, lda, B + j, ldb, C + j, ldc, accumulate);
}

}  // namespace detail

constexpr int kGemmRows = 6;  // MR of the micro-kernel: row blocks should be multiples of it

inline void gemm(std::size_t M, std::size_t N, std::size_t K, const float* A, std::size_t lda,
                 const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
  std::size_t i = 0;
  for (; i + 6 <= M; i += 6)
    detail::gemm_rows<6>(N, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc, accumulate);
  const float* a = A + i * lda;
  float* c = C + i * ldc;
  switch (M - i) {
    case 5: detail::gemm_rows<5>(N, K, a, lda, B, ldb, c, ldc, accumulate); break;
    case 4: detail::gemm_rows<4>(N, K, a, lda, B, ldb, c, ldc, accumulate); break;
    case 3: detail::gemm_rows<3>(N, K, a, lda, B, ldb, c, ldc, accumulate); break;
    case 2: detail::gemm_rows<2>(N, K, a, lda, B, ldb, c, ldc, accumulate); break;
    case 1: detail::gemm_rows<1>(N, K, a, lda, B, ldb, c, ldc, accumulate); break;
    default: break;
  }
}


// C[rows4 × cols8] = A[rows4 × K] · Bp[K × cols8] for row counts that are
// multiples of 4 and column counts that are multiples of 8 (callers pad): the
// 4×8 register tile (8 accumulators, 2 B vectors, 1 broadcast — fits the 16
// SSE registers with room, and the 64-row tiles of the fused kernels divide
// by 4). Kept out of line so the compiler allocates its registers on its own.
__attribute__((noinline)) inline void gemm_4x8(std::size_t rows4, std::size_t cols8,
                                               std::size_t K, const float* A,
                                               std::size_t lda, const float* Bp,
                                               std::size_t ldb, float* C,
                                               std::size_t ldc) noexcept {
  for (std::size_t i = 0; i < rows4; i += 4) {
    const float* a = A + i * lda;
    for (std::size_t j = 0; j < cols8; j += 8) {
      f32x4 c00 = splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
            c30 = c00, c31 = c00;
      const float* b = Bp + j;
      for (std::size_t k = 0; k < K; ++k, b += ldb) {
        const f32x4 b0 = load(b), b1 = load(b + 4);
        f32x4 x = splat(a[k]);
        c00 += x * b0;
        c01 += x * b1;
        x = splat(a[lda + k]);
        c10 += x * b0;
        c11 += x * b1;
        x = splat(a[2 * lda + k]);
        c20 += x * b0;
        c21 += x * b1;
        x = splat(a[3 * lda + k]);
        c30 += x * b0;
        c31 += x * b1;
      }
      float* c = C + i * ldc + j;
      store(c, c00);
      store(c + 4, c01);
      store(c + ldc, c10);
      store(c + ldc + 4, c11);
      store(c + 2 * ldc, c20);
      store(c + 2 * ldc + 4, c21);
      store(c + 3 * ldc, c30);
      store(c + 3 * ldc + 4, c31);
    }
  }
}

}  // namespace subquad::simd
