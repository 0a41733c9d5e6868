// The fast selective scan (THEORY.md §4): sequential in t, vectorised across
// channels — each f32x4 holds one state index k of four neighbouring channels,
// so the update h ← exp(Δ·A)·h + Δ·B_t·x and the readout Σ_k C_t[k]·h[k] need
// no horizontal sums. A block of 16 channels (four vectors) keeps its N·4 state
// vectors in L1; each thread takes a contiguous group of blocks and sweeps time
// in tiles across its group. Memory: the D×N state only. The cost is dominated by the
// L·D·N decay factors exp(Δ·A) = 2^(Δ·A·log2 e): A·log2 e is folded in once per
// block and the factor is simd::exp2_nonpositive (Δ ≥ 0, A ≤ 0 are validated).
#include <algorithm>
#include <vector>

#include "common/threads.hpp"
#include "simd/simd.hpp"
#include "ssm/ssm.hpp"

namespace subquad::ssm {

namespace {

using simd::f32x4;

constexpr std::size_t kVectors = 4;                    // vectors per channel block
constexpr std::size_t kBlock = kVectors * simd::kWidth;  // channels per block
constexpr std::size_t kTimeTile = 64;  // steps per tile: B, C tiles stay in L1; cancel polled per tile

// Steps t ∈ [t0, t1) of the channels [c0, c0 + width), width ≤ 16. `Full`
// blocks load whole vectors; the last block loads partial ones (missing lanes
// are zero: Δ = 0, x = 0 keep their state 0). h and At (= A·log2 e) are N × kVectors.
template <bool Full>
void scan_block(const Problem& p, std::size_t c0, std::size_t width, std::size_t t0,
                std::size_t t1, f32x4* h, const f32x4* At, const f32x4* Dv, float* y) {
  const std::size_t D = p.D, N = p.N;
  auto lanes = [&](std::size_t v) {
    return std::min<std::size_t>(simd::kWidth, width > 4 * v ? width - 4 * v : 0);
  };
  for (std::size_t t = t0; t < t1; ++t) {
    const float* xr = p.x + t * D + c0;
    const float* dr = p.delta + t * D + c0;
    f32x4 dv[kVectors], du[kVectors], acc[kVectors];
    for (std::size_t v = 0; v < kVectors; ++v) {
      const f32x4 xv = Full ? simd::load(xr + 4 * v) : simd::load_partial(xr + 4 * v, lanes(v));
      dv[v] = Full ? simd::load(dr + 4 * v) : simd::load_partial(dr + 4 * v, lanes(v));
      du[v] = dv[v] * xv;
      acc[v] = Dv[v] * xv;
    }
    const float* Bt = p.B + t * N;
    const float* Ct = p.C + t * N;
    for (std::size_t k = 0; k < N; ++k) {
      const f32x4 b = simd::splat(Bt[k]), c = simd::splat(Ct[k]);
      f32x4* hk = h + k * kVectors;
      const f32x4* ak = At + k * kVectors;
      for (std::size_t v = 0; v < kVectors; ++v) {
        const f32x4 next = simd::exp2_nonpositive(dv[v] * ak[v]) * hk[v] + du[v] * b;
        hk[v] = next;
        acc[v] += c * next;
      }
    }
    float* yr = y + t * D + c0;
    for (std::size_t v = 0; v < kVectors; ++v) {
      if (Full) simd::store(yr + 4 * v, acc[v]);
      else simd::store_partial(yr + 4 * v, acc[v], lanes(v));
    }
  }
}

}  // namespace

void scan_with_state(const Problem& p, int threads, float* state, float* y) {
  const std::size_t D = p.D, N = p.N;
  const std::size_t blocks = (D + kBlock - 1) / kBlock;
  const std::size_t groups = std::min<std::size_t>(blocks, static_cast<std::size_t>(threads));
  // Each worker owns a contiguous group of channel blocks and sweeps time in
  // tiles across all of them, so it streams whole row segments of x and Δ
  // (prefetch-friendly) and reuses each tile of B and C from L1.
  parallel_for(groups, 1, threads, [&](std::size_t g0, std::size_t g1, int) {
    for (std::size_t g = g0; g < g1; ++g) {
      const std::size_t b0 = g * blocks / groups, b1 = (g + 1) * blocks / groups;
      const std::size_t count = b1 - b0;
      std::vector<f32x4> h(count * N * kVectors), At(count * N * kVectors);
      std::vector<f32x4> Dv(count * kVectors);
      // Gather A·log2 e, Dskip and the state into the lane layout (lane = channel); missing lanes 0.
      for (std::size_t i = 0; i < count; ++i) {
        const std::size_t c0 = (b0 + i) * kBlock, width = std::min(kBlock, D - c0);
        f32x4* hb = h.data() + i * N * kVectors;
        f32x4* ab = At.data() + i * N * kVectors;
        for (std::size_t v = 0; v < kVectors; ++v) {
          Dv[i * kVectors + v] = simd::splat(0.0f);
          for (std::size_t k = 0; k < N; ++k) ab[k * kVectors + v] = hb[k * kVectors + v] = simd::splat(0.0f);
        }
        for (std::size_t c = c0; c < c0 + width; ++c) {
          const std::size_t v = (c - c0) / 4, lane = (c - c0) % 4;
          Dv[i * kVectors + v][lane] = p.Dskip[c];
          for (std::size_t k = 0; k < N; ++k) {
            ab[k * kVectors + v][lane] = p.A[c * N + k] * 1.44269504088896341f;  // log2 e
            hb[k * kVectors + v][lane] = state[c * N + k];
          }
        }
      }
      for (std::size_t t0 = 0; t0 < p.L; t0 += kTimeTile) {
        throw_if_cancelled();
        const std::size_t t1 = std::min(p.L, t0 + kTimeTile);
        for (std::size_t i = 0; i < count; ++i) {
          const std::size_t c0 = (b0 + i) * kBlock, width = std::min(kBlock, D - c0);
          f32x4* hb = h.data() + i * N * kVectors;
          const f32x4* ab = At.data() + i * N * kVectors;
          const f32x4* db = Dv.data() + i * kVectors;
          if (width == kBlock) scan_block<true>(p, c0, width, t0, t1, hb, ab, db, y);
          else scan_block<false>(p, c0, width, t0, t1, hb, ab, db, y);
        }
      }
      for (std::size_t i = 0; i < count; ++i) {
        const std::size_t c0 = (b0 + i) * kBlock, width = std::min(kBlock, D - c0);
        const f32x4* hb = h.data() + i * N * kVectors;
        for (std::size_t c = c0; c < c0 + width; ++c)
          for (std::size_t k = 0; k < N; ++k)
            state[c * N + k] = hb[k * kVectors + (c - c0) / 4][(c - c0) % 4];
      }
    }
  });
}

void scan(const Problem& p, const Params& params, float* y, Stats&) {
  std::vector<float> state(p.D * p.N, 0.0f);
  scan_with_state(p, resolve_threads(params.threads), state.data(), y);
}

}  // namespace subquad::ssm
