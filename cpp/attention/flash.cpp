// Fused exact attention (FlashAttention-style, THEORY.md §1): for each block of
// 64 query rows, stream 64-key tiles, keep per row a running max m and sum ℓ
// and an unnormalised output, rescaling both by 2^(m_old − m_new) when the
// max grows (online softmax). Scores are in base 2 — Q is pre-multiplied by
// scale·log2(e) when its block is copied — so the softmax uses simd::exp2.
// QKᵀ and PV both run on the picked micro-kernel (simd/gemm_variants.hpp), against Kᵀ packed per tile and
// V packed with rows padded to a multiple of 8. Causal: tiles wholly above the diagonal are skipped, the diagonal tile
// is masked with −inf, and so is the diagonal itself with `diagonal`. Extra memory O(n·d): packed Kᵀ and V, plus per thread
// one query block, one 64×64 score tile and two output blocks. flash_mapped
// (flash.hpp) passes each Q and K row through a map as it is packed: rope_flash
// rotates there.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "attention/flash.hpp"
#include "common/threads.hpp"
#include "simd/gemm.hpp"
#include "simd/online_softmax.hpp"
#include "simd/simd.hpp"

namespace subquad::attention {

namespace {

constexpr std::size_t kTile = 64;  // query rows per block = keys per tile
constexpr float kLog2e = 1.4426950408889634f;

std::size_t round_up(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

using simd::online_row;

}  // namespace

void flash(const Problem& p, const Params& params, float* O, float* lse, Stats&) {
  flash_mapped(p, params, O, lse, RowMap{});
}

void flash_mapped(const Problem& p, const Params& params, float* O, float* lse, const RowMap& map) {
  flash_scored(p, params, O, lse, map, TileScore{});
}

void flash_scored(const Problem& p, const Params& params, float* O, float* lse, const RowMap& map,
                  const TileScore& score) {
  const std::size_t n = p.n, nk = p.keys(), d = p.d;
  const std::size_t shift = nk - n;  // causal: query i is position i + shift (prepare checks nk ≥ n)
  const float c = static_cast<float>(resolved_scale(params, d)) * kLog2e;
  const int threads = resolve_threads(params.threads);
  const std::size_t tiles = (nk + kTile - 1) / kTile;

  // Kᵀ packed per tile: tile t holds d rows of 64 keys, zero past n. V packed
  // with rows padded to d8 = a multiple of 8 columns, so PV also runs on the
  // micro-kernel.
  const std::size_t d8 = round_up(d, 8);
  std::vector<float> Kt(tiles * d * kTile, 0.0f), Vp(tiles * kTile * d8, 0.0f);
  std::vector<float> mapped(map ? d : 0);
  for (std::size_t j = 0; j < nk; ++j) {
    float* tile = Kt.data() + (j / kTile) * d * kTile + j % kTile;
    const float* row = p.K + j * d;
    if (map) {
      map(row, j, mapped.data());
      row = mapped.data();
    }
    for (std::size_t k = 0; k < d; ++k) tile[k * kTile] = row[k];
    std::copy(p.V + j * d, p.V + (j + 1) * d, Vp.data() + j * d8);
  }

  struct Scratch {
    std::vector<float> Qs, S, acc, pv, m, l, alpha, row;
  };
  std::vector<Scratch> scratch(threads);
  for (auto& s : scratch) {
    s.Qs.assign(kTile * d, 0.0f);
    s.S.assign(kTile * kTile, 0.0f);
    s.acc.assign(kTile * d8, 0.0f);
    s.pv.assign(kTile * d8, 0.0f);
    s.m.resize(kTile);
    s.l.resize(kTile);
    s.alpha.resize(kTile);
    s.row.resize(map ? d : 0);
  }

  parallel_for(n, kTile, threads, [&](std::size_t i0, std::size_t end, int worker) {
    throw_if_cancelled();
    Scratch& s = scratch[worker];
    const std::size_t bq = end - i0, rows4 = round_up(bq, 4);
    std::fill(s.Qs.begin(), s.Qs.end(), 0.0f);
    for (std::size_t r = 0; r < bq; ++r) {
      const float* row = p.Q + (i0 + r) * d;
      if (map) {
        map(row, i0 + r + shift, s.row.data());
        row = s.row.data();
      }
      for (std::size_t k = 0; k < d; ++k) s.Qs[r * d + k] = row[k] * c;
    }
    std::fill(s.m.begin(), s.m.end(), -INFINITY);
    std::fill(s.l.begin(), s.l.end(), 0.0f);
    std::fill(s.acc.begin(), s.acc.begin() + bq * d8, 0.0f);

    const std::size_t last = params.causal ? (end - 1 + shift) / kTile : tiles - 1;
    for (std::size_t t = 0; t <= last; ++t) {
      const std::size_t j0 = t * kTile, bk = std::min(kTile, nk - j0);
      if (score)
        score(s.Qs.data(), i0, rows4, Kt.data() + t * d * kTile, j0, round_up(bk, 8), s.S.data());
      else
        simd::gemm_cols8(rows4, round_up(bk, 8), d, s.Qs.data(), d, Kt.data() + t * d * kTile, kTile,
                       s.S.data(), kTile);
      if (params.causal && j0 + bk > i0 + shift + 1) {  // the diagonal tile: mask keys after the row
        for (std::size_t r = 0; r < bq; ++r)
          for (std::size_t col = (i0 + r + shift + 1 > j0 ? i0 + r + shift + 1 - j0 : 0); col < bk; ++col)
            s.S[r * kTile + col] = -INFINITY;
      }
      if (params.diagonal && j0 == i0)  // n_k = n here; query blocks and key tiles are both 64 aligned
        for (std::size_t r = 0; r < bq; ++r) s.S[r * kTile + r] = -INFINITY;
      for (std::size_t r = 0; r < bq; ++r) {
        const float sum = online_row(s.S.data() + r * kTile, bk, &s.m[r], &s.alpha[r]);
        s.l[r] = s.l[r] * s.alpha[r] + sum;
      }
      // acc ← diag(α)·acc + P·V_tile (the rescale fused into the add).
      simd::gemm_cols8(rows4, d8, bk, s.S.data(), kTile, Vp.data() + j0 * d8, d8, s.pv.data(), d8);
      for (std::size_t r = 0; r < bq; ++r) {
        const simd::f32x4 a = simd::splat(s.alpha[r]);
        float* o = s.acc.data() + r * d8;
        const float* x = s.pv.data() + r * d8;
        for (std::size_t k = 0; k < d8; k += 4) simd::store(o + k, simd::load(o + k) * a + simd::load(x + k));
      }
    }
    for (std::size_t r = 0; r < bq; ++r) {
      const float inv = 1.0f / s.l[r];
      for (std::size_t k = 0; k < d; ++k) O[(i0 + r) * d + k] = s.acc[r * d8 + k] * inv;
      // Scores are in base 2 (scaled by log2 e): ln Σ exp = (m + log2 ℓ)·ln 2.
      if (lse) lse[i0 + r] = (s.m[r] + std::log2(s.l[r])) * 0.6931471805599453f;
    }
  });
}

}  // namespace subquad::attention
