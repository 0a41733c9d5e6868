// The exact product, blocked: for a block of 48 rows and a panel of 128
// columns the micro-kernel of simd/gemm.hpp makes 2⟨x̃_i, x̃_j⟩ (x̃ centred
// and divided by h, the 2 folded into the packed operand), the epilogue
// subtracts ‖x̃_i‖² + ‖x̃_j‖², takes simd::exp and multiplies into the
// weights, four columns at a time. It is exp-bound: one exp per pair against
// 2d + 3 + 2c other flops. Each panel's partial sums go to a double per row.
// Memory: the float points, packed 2x̃ᵀ strips, norms, float weights and one
// 48×128 tile per thread — never n².
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/threads.hpp"
#include "kernel/kernel.hpp"
#include "simd/gemm.hpp"
#include "simd/simd.hpp"
#include "simd/tile.hpp"

namespace subquad::kernel {

namespace {

constexpr std::size_t kRows = 48, kCols = 128;
static_assert(kRows % simd::kGemmRows == 0 && kCols % simd::kStrip == 0, "tiles of whole micro-kernel blocks");

// One row of a tile against one panel: Σ_j exp(s_ij) w_kj for the C columns k.
template <int C>
inline void row_sums(const float* tile, float nx, const float* ny, const float* w, std::size_t ldw, double* acc) {
  using simd::f32x4;
  const f32x4 vx = simd::splat(nx);
  f32x4 a[C];
  for (int k = 0; k < C; ++k) a[k] = simd::splat(0.0f);
  for (std::size_t j = 0; j < kCols; j += 4) {
    const f32x4 e = simd::exp(simd::load(tile + j) - (vx + simd::load(ny + j)));
    for (int k = 0; k < C; ++k) a[k] += e * simd::load(w + k * ldw + j);
  }
  for (int k = 0; k < C; ++k) acc[k] += simd::hsum(a[k]);
}

}  // namespace

void exact_core(const Points& pts, const Params& params, const double* W, std::size_t c, double* Y, Stats& stats) {
  if (c < 1 || c > 2) throw Error("columns", "the exact core takes 1 or 2 weight columns");
  const std::size_t n = pts.n, d = pts.d;
  const std::size_t npad = (n + kCols - 1) / kCols * kCols;
  std::vector<float> xf(n * d);
  for (std::size_t i = 0; i < n * d; ++i) xf[i] = static_cast<float>(pts.x[i]);
  // 2x̃ᵀ in strips of 8 columns (simd/tile.hpp), zero past n; norms and weights zero-padded,
  // so padded columns add exp(·)·0.
  std::vector<float> packed(npad * d, 0.0f), norms(npad, 0.0f), wf(npad * c, 0.0f);
  for (std::size_t j = 0; j < n; ++j) {
    float* strip = packed.data() + (j / simd::kStrip) * simd::kStrip * d + j % simd::kStrip;
    double s = 0;
    for (std::size_t k = 0; k < d; ++k) {
      strip[k * simd::kStrip] = 2.0f * xf[j * d + k];
      s += double(xf[j * d + k]) * xf[j * d + k];
    }
    norms[j] = static_cast<float>(s);
    for (std::size_t k = 0; k < c; ++k) wf[k * npad + j] = static_cast<float>(W[k * n + j]);
  }
  const int threads = resolve_threads(params.threads);
  std::vector<float> tiles(std::size_t(threads) * kRows * kCols);
  const std::size_t blocks = (n + kRows - 1) / kRows;
  parallel_for(blocks, 1, threads, [&](std::size_t b0, std::size_t b1, int worker) {
    float* tile = tiles.data() + std::size_t(worker) * kRows * kCols;
    for (std::size_t b = b0; b < b1; ++b) {
      throw_if_cancelled();
      const std::size_t i0 = b * kRows, rows = std::min(kRows, n - i0);
      double acc[kRows][2] = {};
      for (std::size_t j0 = 0; j0 < npad; j0 += kCols) {
        for (std::size_t s = 0; s < kCols; s += simd::kStrip)
          simd::gemm_strip(rows, d, xf.data() + i0 * d, d, packed.data() + (j0 + s) * d, tile + s, kCols);
        for (std::size_t r = 0; r < rows; ++r) {
          if (c == 1)
            row_sums<1>(tile + r * kCols, norms[i0 + r], norms.data() + j0, wf.data() + j0, npad, acc[r]);
          else
            row_sums<2>(tile + r * kCols, norms[i0 + r], norms.data() + j0, wf.data() + j0, npad, acc[r]);
        }
      }
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t k = 0; k < c; ++k) Y[k * n + i0 + r] = acc[r][k];
    }
  });
  stats.emplace_back("threads", threads);
}

}  // namespace subquad::kernel
