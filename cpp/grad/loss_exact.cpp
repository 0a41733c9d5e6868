// dL/dX of the paper's problem in O(n²d) time and O(n·d) memory, the n×n f
// and q never stored (THEORY-2.md §2, "attn_grad_exact"): the attention
// family's flash forward gives O = f h and each row's log-sum-exp (Q = A₁X,
// K = A₂, V = h = A₃Y); then c = O − E, r_i = ⟨c_i, O_i⟩ (= ⟨f_i, q_i⟩: the
// FlashAttention backward's D_i = rowsum(dO∘O) with dO = c), and one sweep
// over 64-row query blocks (one task each, so no partial sums of dQ) that
// recomputes the score tiles against every 64-key tile:
//   P = 2^(Qc K_tᵀ − lse₂),  dP = c_i h_tᵀ,  dS = P ∘ (dP − r_i),  dQ_i += dS A₂_t,
// then G += A₁_iᵀ dQ_i (d×d, per thread, in double) and dL/dX = s·ΣG.
// Three score-sized products per tile against the forward's two.
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

std::size_t round_up(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

// C (n×d) = A (n×d) · B (d×d), sums in double.
void times(const float* A, const float* B, std::size_t n, std::size_t d, float* C) {
  std::vector<double> row(d);
  for (std::size_t i = 0; i < n; ++i) {
    std::fill(row.begin(), row.end(), 0.0);
    for (std::size_t k = 0; k < d; ++k)
      for (std::size_t b = 0; b < d; ++b) row[b] += double(A[i * d + k]) * B[k * d + b];
    for (std::size_t b = 0; b < d; ++b) C[i * d + b] = static_cast<float>(row[b]);
  }
}

double flash_forward_memory(std::size_t n, std::size_t d, int threads) {
  attention::Params fp;
  fp.threads = threads;
  fp.return_lse = true;
  return attention::find_method("flash").cost(n, n, d, fp).memory_bytes;
}

}  // namespace

double loss_exact_memory(std::size_t n, std::size_t d, int threads) {
  const double np = double(round_up(n, kTile));
  // Q, h, O, lse; Qc, c padded, A₂ᵀ and hᵀ packed per tile, lse₂ and r;
  // per thread S and dP tiles, a dQ block and G (double); the forward's own.
  return 4.0 * (3.0 * n * d + n) + 4.0 * (4 * np * d + 2 * np) +
         threads * (4.0 * (2.0 * kTile * kTile + kTile * d) + 8.0 * d * d) + flash_forward_memory(n, d, threads);
}

double loss_exact(const LossProblem& p, const Params& params, float* dX, Stats& stats) {
  const std::size_t n = p.n, d = p.d;
  const double s = resolved_scale(params, d);
  const int threads = resolve_threads(params.threads);
  const std::size_t tiles = (n + kTile - 1) / kTile, np = tiles * kTile;

  std::vector<float> Q(n * d), h(n * d), O(n * d), lse(n);
  times(p.A1.data, p.X.data, n, d, Q.data());
  times(p.A3.data, p.Y.data, n, d, h.data());
  {
    attention::Params fp;
    fp.scale = s;
    fp.threads = threads;
    fp.return_lse = true;
    attention::Stats fs;
    attention::execute(attention::find_method("flash"), {n, d, Q.data(), p.A2.data, h.data()}, fp, O.data(), fs,
                       lse.data());
  }

  const float cs = static_cast<float>(s) * kLog2e;
  std::vector<float> Qc(np * d, 0.0f), C(np * d, 0.0f), Kt(np * d, 0.0f), Ht(np * d, 0.0f), L2(np, 0.0f),
      r(np, 0.0f);
  double loss = 0, bound = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double dot = 0;
    for (std::size_t k = 0; k < d; ++k) {
      const std::size_t t = i * d + k;
      bound = std::max(bound, double(std::fabs(Q[t])));
      Qc[t] = Q[t] * cs;
      const double c = double(O[t]) - p.E.data[t];
      C[t] = static_cast<float>(c);
      loss += 0.5 * c * c;
      dot += c * O[t];
      // Tile t of A₂ᵀ (and hᵀ): d rows of 64 keys.
      Kt[(i / kTile) * d * kTile + k * kTile + i % kTile] = p.A2.data[t];
      Ht[(i / kTile) * d * kTile + k * kTile + i % kTile] = h[t];
    }
    r[i] = static_cast<float>(dot);
    L2[i] = lse[i] * kLog2e;
  }

  struct Scratch {
    std::vector<float> S, dP, dQ;
    std::vector<double> G;
  };
  std::vector<Scratch> scratch(threads);
  for (auto& sc : scratch) {
    sc.S.assign(kTile * kTile, 0.0f);
    sc.dP.assign(kTile * kTile, 0.0f);
    sc.dQ.assign(kTile * d, 0.0f);
    sc.G.assign(d * d, 0.0);
  }
  parallel_for(n, kTile, threads, [&](std::size_t i0, std::size_t i1, int worker) {
    throw_if_cancelled();
    Scratch& sc = scratch[worker];
    const std::size_t bq = i1 - i0, rows4 = round_up(bq, 4);
    std::fill(sc.dQ.begin(), sc.dQ.end(), 0.0f);
    for (std::size_t t = 0; t < tiles; ++t) {
      const std::size_t j0 = t * kTile, bk = std::min(kTile, n - j0), cols8 = round_up(bk, 8);
      simd::gemm_cols8(rows4, cols8, d, Qc.data() + i0 * d, d, Kt.data() + t * d * kTile, kTile, sc.S.data(), kTile);
      simd::gemm_cols8(rows4, cols8, d, C.data() + i0 * d, d, Ht.data() + t * d * kTile, kTile, sc.dP.data(), kTile);
      for (std::size_t row = 0; row < bq; ++row) {
        float* srow = sc.S.data() + row * kTile;
        float* prow = sc.dP.data() + row * kTile;
        const simd::f32x4 l2 = simd::splat(L2[i0 + row]), rr = simd::splat(r[i0 + row]);
        // dS into dP's row (padded columns too: the product below reads bk only).
        for (std::size_t col = 0; col < cols8; col += 4) {
          const simd::f32x4 pv = simd::exp2(simd::load(srow + col) - l2);
          simd::store(prow + col, pv * (simd::load(prow + col) - rr));
        }
      }
      simd::gemm(bq, d, bk, sc.dP.data(), kTile, p.A2.data + j0 * d, d, sc.dQ.data(), d, true);
    }
    for (std::size_t row = 0; row < bq; ++row)
      for (std::size_t x = 0; x < d; ++x) {
        const double a = p.A1.data[(i0 + row) * d + x];
        for (std::size_t b = 0; b < d; ++b) sc.G[x * d + b] += a * sc.dQ[row * d + b];
      }
  });
  for (std::size_t t = 0; t < d * d; ++t) {
    double g = 0;
    for (const auto& sc : scratch) g += sc.G[t];
    dX[t] = static_cast<float>(s * g);
  }
  stats.push_back({"entry_bound", bound});
  return loss;
}

}  // namespace subquad::grad
