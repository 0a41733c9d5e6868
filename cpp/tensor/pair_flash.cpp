// exact and windowed: per query i, a FlashAttention-style pass over its key
// pairs (THEORY-2.md §3, our formulation). For fixed i the score of (j, k) is
// a_j·k₂_k with a_j = scale·q_i ∘ k₁_j, so the rows a_j act as "queries"
// against the keys K₂ with values V₂: 64-row tiles of a_j (base 2, scaled by
// log2 e) times Kᵀ₂ tiles on the 4×8 SIMD micro-kernel (simd/gemm.hpp, as
// attention's flash), an online softmax per row j (running max m_j, sum ℓ_j,
// W_j = Σ_k 2^{s_jk − m_j} V₂[k]), then the rows merged into the query's
// output with one more running max: O_i ∝ Σ_j 2^{m_j − M} V₁[j] ∘ W_j.
// Two products of n²·d per query: 4n³d flops for exact, 4n·w₁·w₂·d windowed.
// Threads over queries. Memory O(n·d): exact packs K₂ᵀ (tiles of 64 keys)
// and V₂ (rows padded to 8) once; windowed packs each query's ≤ 2w₂ − 1 keys
// into per-thread buffers; per thread one 64×d tile of a, a 64×64 score tile,
// two 64×d8 blocks.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/threads.hpp"
#include "simd/gemm.hpp"
#include "simd/online_softmax.hpp"
#include "simd/simd.hpp"
#include "tensor/tensor.hpp"

namespace subquad::tensor {

namespace {

constexpr std::size_t kTile = 64;
constexpr float kLog2e = 1.4426950408889634f;

std::size_t round_up(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

using simd::online_row;

// K₂ᵀ in tiles of 64 keys (tile t: d rows of 64, key k0 + 64t + c in column c)
// and V₂ rows padded to d8 columns, for keys [k0, k1).
void pack_keys(const Problem& p, std::size_t k0, std::size_t k1, std::size_t d8, float* Kt, float* Vp) {
  const std::size_t d = p.d;
  for (std::size_t k = k0; k < k1; ++k) {
    const std::size_t c = k - k0;
    float* tile = Kt + (c / kTile) * d * kTile + c % kTile;
    const float* row = p.K2 + k * d;
    for (std::size_t l = 0; l < d; ++l) tile[l * kTile] = row[l];
    std::copy(row - p.K2 + p.V2, row - p.K2 + p.V2 + d, Vp + c * d8);
  }
}

struct Scratch {
  std::vector<float> A, S, acc, pv, m, l, alpha, out, Kt, Vp;
};

// One query row: pairs j ∈ [j0, j1) × the nk packed keys.
void one_query(const Problem& p, std::size_t i, float c, std::size_t j0, std::size_t j1, const float* Kt,
               const float* Vp, std::size_t nk, std::size_t d8, Scratch& s, float* O) {
  const std::size_t d = p.d;
  const float* q = p.Q + i * d;
  float M = -INFINITY, L = 0;
  std::fill(s.out.begin(), s.out.end(), 0.0f);
  const std::size_t tiles = (nk + kTile - 1) / kTile;
  for (std::size_t jt = j0; jt < j1; jt += kTile) {
    const std::size_t bj = std::min(kTile, j1 - jt), rows4 = round_up(bj, 4);
    for (std::size_t r = 0; r < bj; ++r) {
      const float* k1 = p.K1 + (jt + r) * d;
      for (std::size_t l = 0; l < d; ++l) s.A[r * d + l] = c * q[l] * k1[l];
    }
    std::fill(s.A.begin() + bj * d, s.A.begin() + rows4 * d, 0.0f);
    std::fill(s.m.begin(), s.m.end(), -INFINITY);
    std::fill(s.l.begin(), s.l.end(), 0.0f);
    std::fill(s.acc.begin(), s.acc.begin() + rows4 * d8, 0.0f);
    for (std::size_t t = 0; t < tiles; ++t) {
      const std::size_t bk = std::min(kTile, nk - t * kTile);
      simd::gemm_cols8(rows4, round_up(bk, 8), d, s.A.data(), d, Kt + t * d * kTile, kTile, s.S.data(), kTile);
      for (std::size_t r = 0; r < bj; ++r) {
        const float sum = online_row(s.S.data() + r * kTile, bk, &s.m[r], &s.alpha[r]);
        s.l[r] = s.l[r] * s.alpha[r] + sum;
      }
      // acc ← diag(α)·acc + P·V₂ (tile).
      simd::gemm_cols8(rows4, d8, bk, s.S.data(), kTile, Vp + t * kTile * d8, d8, s.pv.data(), d8);
      for (std::size_t r = 0; r < bj; ++r) {
        const simd::f32x4 a = simd::splat(s.alpha[r]);
        float* o = s.acc.data() + r * d8;
        const float* x = s.pv.data() + r * d8;
        for (std::size_t k = 0; k < d8; k += 4) simd::store(o + k, simd::load(o + k) * a + simd::load(x + k));
      }
    }
    // Merge rows j into the query: out ← 2^{M_old − M}·out + Σ_j 2^{m_j − M} V₁[j] ∘ W_j.
    float m_tile = -INFINITY;
    for (std::size_t r = 0; r < bj; ++r) m_tile = std::max(m_tile, s.m[r]);
    if (m_tile > M) {
      const float shrink = simd::exp2(M - m_tile);
      for (std::size_t l = 0; l < d; ++l) s.out[l] *= shrink;
      L *= shrink;
      M = m_tile;
    }
    for (std::size_t r = 0; r < bj; ++r) {
      const float w = simd::exp2(s.m[r] - M);
      L += w * s.l[r];
      const float* v1 = p.V1 + (jt + r) * d;
      const float* acc = s.acc.data() + r * d8;
      for (std::size_t l = 0; l < d; ++l) s.out[l] += w * v1[l] * acc[l];
    }
  }
  const float inv = 1.0f / L;
  for (std::size_t l = 0; l < d; ++l) O[i * d + l] = s.out[l] * inv;
}

void pair_flash(const Problem& p, const Params& params, float* O, bool windowed) {
  const std::size_t n = p.n, d = p.d, d8 = round_up(d, 8);
  const float c = static_cast<float>(resolved_scale(params, d)) * kLog2e;
  const int threads = resolve_threads(params.threads);
  // exact packs every key once (a causal query uses a prefix); windowed packs
  // each query's window (k ranges differ in their start) per thread.
  const std::size_t keys = windowed ? std::min(n, params.causal ? params.w2 : 2 * params.w2 - 1) : n;
  const std::size_t packed = round_up(keys, kTile);
  std::vector<float> Kt(windowed ? 0 : packed * d, 0.0f), Vp(windowed ? 0 : packed * d8, 0.0f);
  if (!windowed) pack_keys(p, 0, n, d8, Kt.data(), Vp.data());
  std::vector<Scratch> scratch(threads);
  for (auto& s : scratch) {
    s.A.assign(kTile * d, 0.0f);
    s.S.assign(kTile * kTile, 0.0f);
    s.acc.assign(kTile * d8, 0.0f);
    s.pv.assign(kTile * d8, 0.0f);
    s.m.resize(kTile);
    s.l.resize(kTile);
    s.alpha.resize(kTile);
    s.out.resize(d);
    if (windowed) {
      s.Kt.assign(packed * d, 0.0f);
      s.Vp.assign(packed * d8, 0.0f);
    }
  }
  // Enough queries per block that a block is ≥ ~64k pair-widths of work.
  const double per_query = windowed ? double(std::min(n, 2 * params.w1)) * keys : double(n) * n;
  const std::size_t grain = std::max<std::size_t>(1, std::min<std::size_t>(256, std::size_t(65536.0 / per_query)));
  parallel_for(n, grain, threads, [&](std::size_t begin, std::size_t end, int worker) {
    throw_if_cancelled();
    Scratch& s = scratch[worker];
    for (std::size_t i = begin; i < end; ++i) {
      const Ranges r = ranges(i, n, params, windowed);
      if (windowed) {
        pack_keys(p, r.k0, r.k1, d8, s.Kt.data(), s.Vp.data());
        one_query(p, i, c, r.j0, r.j1, s.Kt.data(), s.Vp.data(), r.k1 - r.k0, d8, s, O);
      } else {
        one_query(p, i, c, r.j0, r.j1, Kt.data(), Vp.data(), r.k1, d8, s, O);
      }
    }
  });
}

}  // namespace

Ranges ranges(std::size_t i, std::size_t n, const Params& params, bool windowed) {
  if (!windowed) return params.causal ? Ranges{0, i + 1, 0, i + 1} : Ranges{0, n, 0, n};
  const std::size_t w1 = params.w1, w2 = params.w2;
  const std::size_t j0 = i + 1 > w1 ? i + 1 - w1 : 0, k0 = i + 1 > w2 ? i + 1 - w2 : 0;
  if (params.causal) return {j0, i + 1, k0, i + 1};
  return {j0, std::min(n, i + w1), k0, std::min(n, i + w2)};
}

double pair_memory(std::size_t n, std::size_t d, int threads, bool windowed, const Params& params) {
  const double d8 = round_up(d, 8);
  const std::size_t keys = windowed ? std::min(n, params.causal ? params.w2 : 2 * params.w2 - 1) : n;
  const double packed = double(round_up(keys, kTile)) * (d + d8);
  const double per_thread = kTile * double(d) + kTile * kTile + 2.0 * kTile * d8 + 3.0 * kTile + d;
  return 4.0 * ((windowed ? 0 : packed) + threads * (per_thread + (windowed ? packed : 0)));
}

void exact(const Problem& p, const Params& params, float* O, Stats&) { pair_flash(p, params, O, false); }

void windowed(const Problem& p, const Params& params, float* O, Stats&) { pair_flash(p, params, O, true); }

}  // namespace subquad::tensor
