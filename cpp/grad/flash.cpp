// The FlashAttention-2 backward (Dao, arXiv 2307.08691, Algorithm 2): the
// n×n matrices are never stored. Each 64-key block j is one task; it sweeps
// the 64-row query blocks i that attend to it and recomputes the score tile
// from the saved log-sum-exps:
//   P = 2^(Qc K_jᵀ − lse₂)  (Qc = Q·s·log2 e, lse₂ = lse·log2 e: scores in base 2, as flash's forward),
//   dP = dO_i V_jᵀ,  dS = P ∘ (dP − D_i),  D_i = dO_i·O_i,
//   dV_j += Pᵀ dO_i,  dK_j += dSᵀ Qc_i (× ln 2 at the end = s·dSᵀ Q_i),  dQ_i += dS K_j (× s at the end).
// dK_j and dV_j stay in the task's registers of scratch; dQ gets a partial
// per thread (worker 0 writes into the output), summed once at the end — no
// atomics, (threads − 1)·n·d extra floats. Both score products run on the
// 4×8 micro-kernel against Kᵀ and Vᵀ packed per 64-key tile; the three
// accumulating products on the 6×8 one. n_k keys: query i is key position
// i + n_k − n when causal, so key block j only visits the query blocks with a
// row at or past it, and masks the keys after each row in the tiles that cross.
// Without O and lse the attention family's flash forward computes them first.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "common/threads.hpp"
#include "grad/grad.hpp"
#include "simd/gemm.hpp"
#include "simd/simd.hpp"

namespace subquad::grad {

namespace {

constexpr std::size_t kTile = 64;
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

std::size_t round_up(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

}  // namespace

double flash_memory(std::size_t n, std::size_t n_k, std::size_t d, int threads) {
  const double np = double(round_up(n, kTile)), kp = double(round_up(n_k, kTile));
  // Qc, dO padded, Kᵀ and Vᵀ packed, lse₂ and D; dQ partials of the other
  // threads; per thread four 64×64 tiles and the block's dK, dV.
  return 4.0 * (2 * np * d + 2 * kp * d + 2 * np + (threads - 1.0) * n * d +
                threads * (4.0 * kTile * kTile + 2.0 * kTile * d));
}

void flash(const Problem& p, const Params& params, const Output& out, Stats&) {
  const std::size_t n = p.n, nk = p.keys(), d = p.d;
  const std::size_t shift = nk - n;  // causal: query i is key position i + shift (prepare checks nk ≥ n)
  const double s = resolved_scale(params, d);
  const float c = static_cast<float>(s) * kLog2e;
  const int threads = resolve_threads(params.threads);

  // O and lse: given, or the forward pass computes them.
  std::vector<float> O_own, lse_own;
  const float *O = p.O.data, *lse = p.lse.data;
  if (!O) {
    O_own.resize(n * d);
    lse_own.resize(n);
    attention::Params fp;
    fp.scale = s;
    fp.causal = params.causal;
    fp.threads = threads;
    fp.return_lse = true;
    attention::Stats fs;
    attention::run("flash", {n, d, p.Q.data, p.K.data, p.V.data, nk}, fp, O_own.data(), fs, lse_own.data());
    O = O_own.data();
    lse = lse_own.data();
  }

  const std::size_t tiles = (n + kTile - 1) / kTile, np = tiles * kTile;
  const std::size_t ktiles = (nk + kTile - 1) / kTile, kp = ktiles * kTile;
  std::vector<float> Qc(np * d, 0.0f), dOp(np * d, 0.0f), Kt(kp * d, 0.0f), Vt(kp * d, 0.0f), L2(np, 0.0f),
      D(np, 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    double dot = 0;
    for (std::size_t k = 0; k < d; ++k) {
      Qc[i * d + k] = p.Q.data[i * d + k] * c;
      dOp[i * d + k] = p.dO.data[i * d + k];
      dot += double(p.dO.data[i * d + k]) * O[i * d + k];
    }
    D[i] = static_cast<float>(dot);
    L2[i] = lse[i] * kLog2e;
  }
  for (std::size_t j = 0; j < nk; ++j)
    for (std::size_t k = 0; k < d; ++k) {
      // Tile t of Kᵀ (and Vᵀ): d rows of 64 keys.
      Kt[(j / kTile) * d * kTile + k * kTile + j % kTile] = p.K.data[j * d + k];
      Vt[(j / kTile) * d * kTile + k * kTile + j % kTile] = p.V.data[j * d + k];
    }

  std::fill(out.dQ, out.dQ + n * d, 0.0f);
  std::vector<std::vector<float>> partial(threads - 1, std::vector<float>(n * d, 0.0f));
  struct Scratch {
    std::vector<float> S, dP, Pt, dSt, dK, dV;
  };
  std::vector<Scratch> scratch(threads);
  for (auto& sc : scratch) {
    sc.S.assign(kTile * kTile, 0.0f);
    sc.dP.assign(kTile * kTile, 0.0f);
    sc.Pt.assign(kTile * kTile, 0.0f);
    sc.dSt.assign(kTile * kTile, 0.0f);
    sc.dK.assign(kTile * d, 0.0f);
    sc.dV.assign(kTile * d, 0.0f);
  }

  parallel_for(nk, kTile, threads, [&](std::size_t j0, std::size_t j1, int worker) {
    throw_if_cancelled();
    Scratch& sc = scratch[worker];
    float* dQ = worker == 0 ? out.dQ : partial[worker - 1].data();
    const std::size_t bk = j1 - j0, cols8 = round_up(bk, 8), t = j0 / kTile;
    std::fill(sc.dK.begin(), sc.dK.end(), 0.0f);
    std::fill(sc.dV.begin(), sc.dV.end(), 0.0f);
    // Causal: the first query block with a row i whose position i + shift reaches j0.
    const std::size_t first = params.causal && j0 > shift ? (j0 - shift) / kTile : 0;
    for (std::size_t qb = first; qb < tiles; ++qb) {
      const std::size_t i0 = qb * kTile, bq = std::min(kTile, n - i0), rows4 = round_up(bq, 4);
      simd::gemm_cols8(rows4, cols8, d, Qc.data() + i0 * d, d, Kt.data() + t * d * kTile, kTile, sc.S.data(), kTile);
      simd::gemm_cols8(rows4, cols8, d, dOp.data() + i0 * d, d, Vt.data() + t * d * kTile, kTile, sc.dP.data(),
                     kTile);
      const bool crosses = params.causal && j0 + bk > i0 + shift + 1;  // some key after some row
      for (std::size_t r = 0; r < bq; ++r) {
        float* srow = sc.S.data() + r * kTile;
        float* prow = sc.dP.data() + r * kTile;
        if (crosses)  // keys j > i0 + r + shift: masked (P = 2^−∞ = 0)
          for (std::size_t col = i0 + r + shift + 1 > j0 ? i0 + r + shift + 1 - j0 : 0; col < bk; ++col)
            srow[col] = -INFINITY;
        const simd::f32x4 l2 = simd::splat(L2[i0 + r]), dr = simd::splat(D[i0 + r]);
        // P into S's row, dS into dP's row (the padded columns too: never read).
        for (std::size_t col = 0; col < cols8; col += 4) {
          const simd::f32x4 pv = simd::exp2(simd::load(srow + col) - l2);
          simd::store(srow + col, pv);
          simd::store(prow + col, pv * (simd::load(prow + col) - dr));
        }
        for (std::size_t col = 0; col < bk; ++col) {
          sc.Pt[col * kTile + r] = srow[col];
          sc.dSt[col * kTile + r] = prow[col];
        }
      }
      simd::gemm(bk, d, bq, sc.Pt.data(), kTile, dOp.data() + i0 * d, d, sc.dV.data(), d, true);
      simd::gemm(bk, d, bq, sc.dSt.data(), kTile, Qc.data() + i0 * d, d, sc.dK.data(), d, true);
      simd::gemm(bq, d, bk, sc.dP.data(), kTile, p.K.data + j0 * d, d, dQ + i0 * d, d, true);
    }
    for (std::size_t t2 = 0; t2 < bk * d; ++t2) {
      out.dK[j0 * d + t2] = sc.dK[t2] * kLn2;
      out.dV[j0 * d + t2] = sc.dV[t2];
    }
  });
  const float sf = static_cast<float>(s);
  for (std::size_t t2 = 0; t2 < n * d; ++t2) {
    float sum = out.dQ[t2];
    for (const auto& part : partial) sum += part[t2];
    out.dQ[t2] = sum * sf;
  }
}

}  // namespace subquad::grad
