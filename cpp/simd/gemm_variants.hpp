// GEMM micro-kernel variants, chosen by measurement (as XNNPACK does): the
// same product in a few register tiles and load patterns. Which one is
// fastest depends on the CPU and on how the engine (V8, or the native
// compiler) allocates registers, so the module times every variant on the
// fused kernels' real shape when it starts and every kernel calls the winner.
//
//   C[M×N8] = (accumulate ? C : 0) + A[M×K] · B[K×N8]
//
// row-major, any M, N8 a multiple of 8, no alignment. Callers: simd::gemm
// (its full 8-column blocks), simd::gemm_cols8 (flash, its backward, the loss
// gradient, tensor attention's pair pass) and simd::gemm_strip (pair search).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace subquad::simd {

using GemmKernel = void (*)(std::size_t M, std::size_t N8, std::size_t K, const float* A,
                            std::size_t lda, const float* B, std::size_t ldb, float* C,
                            std::size_t ldc, bool accumulate);

struct GemmVariant {
  std::string name;     // gemm_f32_<tile>_<isa>_<pattern>, e.g. gemm_f32_6x8_wasmsimd_splat
  std::string tile;     // register tile of C: "4x8", "6x8", …
  std::string pattern;  // how A reaches the lanes: "splat" (one broadcast load per entry),
                        // "splat_k2" (k unrolled ×2), "shuffle_k4" (four entries loaded as
                        // one vector, lanes broadcast by shuffles), "splat_fused" (the
                        // 4×8 splat tile with its loops in one body: the first wave's gemm_4x8)
  GemmKernel fn;
};

/** Every variant this build has, in a fixed order; the first is the fallback. */
const std::vector<GemmVariant>& gemm_variants();

/** The variant the kernels call now. */
const GemmVariant& gemm_picked();

/** How it was picked: "default" (not measured yet), "measured" or "forced". */
const char* gemm_pick_reason();

/** Forces a variant by name; Error("variant", …) naming the list for an unknown one. */
void gemm_force(const std::string& name);

struct GemmTiming {
  std::string name;
  double gflops;  // fastest batch on flash's QKᵀ shape (64×64 tile, K = 64), one thread
};

/**
 * Times every variant on flash's QKᵀ shape, interleaved over rounds (so a
 * burst of load hits them all), picks the fastest and returns every figure.
 * About `ms` milliseconds in all.
 */
std::vector<GemmTiming> gemm_autoselect(double ms);

/** The figures of the last gemm_autoselect (empty before). */
const std::vector<GemmTiming>& gemm_timings();

/** The variant's kernel pointer: one relaxed atomic load. */
GemmKernel gemm_kernel() noexcept;

}  // namespace subquad::simd
