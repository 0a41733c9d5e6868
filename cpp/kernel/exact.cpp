// The exact product, blocked and fused: for 4 rows × 8 columns the
// micro-kernel keeps 2⟨x̃_i, x̃_j⟩ in eight registers (x̃ centred and divided
// by h, the 2 folded into the packed operand, K = d), subtracts
// ‖x̃_i‖² + ‖x̃_j‖², takes the exponential and multiplies it into the weights,
// all in registers — the tile never goes to memory. Row blocks of 48 rows go
// to threads; within one, panels of 128 columns (packed 8-column strips,
// d×8 floats each, L1-resident) are swept by the twelve 4-row groups, and each
// panel's float sums are added to a double per row. It is exp-bound: one
// exponential per pair against 2d + 4 + 2c other flops.
//
// The exponential: every exponent is ≤ 0 (up to rounding), so the features are
// pre-scaled by √log2(e) and simd::exp2_nonpositive (no upper clamp, no
// underflow select: two thirds of simd::exp's operations) gives e^{−t}; its
// relative error is ≤ 2e-7. Memory: float points, packed strips, norms, float
// weights — never n².
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/threads.hpp"
#include "kernel/kernel.hpp"
#include "simd/simd.hpp"
#include "simd/tile.hpp"

namespace subquad::kernel {

namespace {

constexpr std::size_t kRows = 48, kPanel = 128, kGroup = 4;
static_assert(kRows % kGroup == 0 && kPanel % simd::kStrip == 0, "whole groups and strips");

// Rows A[0..4) (d floats each, pre-scaled) against the strips of one panel:
// sums[r·C + k] += Σ_j 2^{s_rj} w_kj, s_rj = 2⟨a_r, b_j⟩ − nx_r − ny_j (log2 units).
template <int C>
inline void group_panel(std::size_t d, const float* A, const float* nx, const float* packed, const float* ny,
                        const float* w, std::size_t ldw, std::size_t strips, double* sums) {
  using simd::f32x4;
  f32x4 y[kGroup][C];
  for (std::size_t r = 0; r < kGroup; ++r)
    for (int k = 0; k < C; ++k) y[r][k] = simd::splat(0.0f);
  const f32x4 x0 = simd::splat(nx[0]), x1 = simd::splat(nx[1]), x2 = simd::splat(nx[2]), x3 = simd::splat(nx[3]);
  for (std::size_t s = 0; s < strips; ++s) {
    const float* b = packed + s * simd::kStrip * d;
    f32x4 c00 = simd::splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    for (std::size_t k = 0; k < d; ++k, b += simd::kStrip) {
      const f32x4 b0 = simd::load(b), b1 = simd::load(b + 4);
      f32x4 a = simd::splat(A[k]);
      c00 = simd::madd(a, b0, c00);
      c01 = simd::madd(a, b1, c01);
      a = simd::splat(A[d + k]);
      c10 = simd::madd(a, b0, c10);
      c11 = simd::madd(a, b1, c11);
      a = simd::splat(A[2 * d + k]);
      c20 = simd::madd(a, b0, c20);
      c21 = simd::madd(a, b1, c21);
      a = simd::splat(A[3 * d + k]);
      c30 = simd::madd(a, b0, c30);
      c31 = simd::madd(a, b1, c31);
    }
    const f32x4 n0 = simd::load(ny + s * simd::kStrip), n1 = simd::load(ny + s * simd::kStrip + 4);
    f32x4 w0[C], w1[C];
    for (int k = 0; k < C; ++k) {
      w0[k] = simd::load(w + k * ldw + s * simd::kStrip);
      w1[k] = simd::load(w + k * ldw + s * simd::kStrip + 4);
    }
    const auto add = [&](std::size_t r, f32x4 acc0, f32x4 acc1, f32x4 xr) {
      const f32x4 e0 = simd::exp2_nonpositive(acc0 - (xr + n0)), e1 = simd::exp2_nonpositive(acc1 - (xr + n1));
      for (int k = 0; k < C; ++k) y[r][k] += simd::madd(e1, w1[k], e0 * w0[k]);
    };
    add(0, c00, c01, x0);
    add(1, c10, c11, x1);
    add(2, c20, c21, x2);
    add(3, c30, c31, x3);
  }
  for (std::size_t r = 0; r < kGroup; ++r)
    for (int k = 0; k < C; ++k) sums[r * C + k] += simd::hsum(y[r][k]);
}

}  // namespace

void exact_core(const Points& pts, const Params& params, const double* W, std::size_t c, double* Y, Stats& stats) {
  if (c < 1 || c > 2) throw Error("columns", "the exact core takes 1 or 2 weight columns");
  const std::size_t n = pts.n, d = pts.d;
  const std::size_t npad = (n + kPanel - 1) / kPanel * kPanel;  // ≥ rows padded to groups of 4
  // Scaled by √log2(e): 2^{2⟨x,y⟩ − ‖x‖² − ‖y‖²} in these units is e^{−‖x̃ − ỹ‖²}.
  const double scale = std::sqrt(1.4426950408889634);
  std::vector<float> xf(npad * d, 0.0f);
  for (std::size_t i = 0; i < n * d; ++i) xf[i] = static_cast<float>(pts.x[i] * scale);
  // 2x̃ᵀ in strips of 8 columns (d × 8 contiguous), zero past n; norms and
  // weights zero-padded, so padded columns add 2^{·}·0 and padded rows are dropped.
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
  const std::size_t blocks = (n + kRows - 1) / kRows, strips = kPanel / simd::kStrip;
  parallel_for(blocks, 1, threads, [&](std::size_t b0, std::size_t b1, int) {
    for (std::size_t b = b0; b < b1; ++b) {
      throw_if_cancelled();
      const std::size_t i0 = b * kRows, rows = std::min(kRows, n - i0);
      const std::size_t groups = (rows + kGroup - 1) / kGroup;
      double sums[kRows * 2] = {};
      for (std::size_t j0 = 0; j0 < npad; j0 += kPanel) {
        const float* panel = packed.data() + j0 * d;
        for (std::size_t g = 0; g < groups; ++g) {
          const std::size_t r0 = i0 + g * kGroup;
          if (c == 1)
            group_panel<1>(d, xf.data() + r0 * d, norms.data() + r0, panel, norms.data() + j0, wf.data() + j0, npad,
                           strips, sums + g * kGroup);
          else
            group_panel<2>(d, xf.data() + r0 * d, norms.data() + r0, panel, norms.data() + j0, wf.data() + j0, npad,
                           strips, sums + g * kGroup * 2);
        }
      }
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t k = 0; k < c; ++k) Y[k * n + i0 + r] = sums[r * c + k];
    }
  });
  stats.emplace_back("threads", threads);
}

}  // namespace subquad::kernel
