// dL/dX of the paper's problem in almost linear time (arXiv 2402.04497 App. D;
// the contraction order of THEORY-2.md §2, steps 1–3): f is replaced by the
// polynomial method's f̃ = diag(1/den)·ΦΨᵀ, Φ = φ(A₁X), Ψ = ψ(A₂) ∈ ℝ^{n×r},
// r = C(d+g, g), and the gradient formula s·A₁ᵀ[f̃ ∘ (c hᵀ − r̃ 1ᵀ)]A₂ is
// contracted without any n×n (or n×r) matrix:
//   1. (keys)    SK = Ψᵀ [h | 1 | A₂ | h⊗A₂]                       r × (2d+1+d²)
//   2. (queries) den = Φ(Ψᵀ1), Ô = Φ(Ψᵀh)/den, c = Ô − E, r̃ = ⟨c, Ô⟩,
//                S = Wᵀ Φ with W_i = [A₁_i ⊗ c_i/den_i | A₁_i r̃_i/den_i]   (d²+d) × r
//   3. G₁[x,b] = Σ_{k,a} S[x,a,k] SK[k, h⊗A₂ (a,b)],  G₂[x,b] = Σ_k S[x,k] SK[k, A₂ b],
//      dL/dX ≈ s·(G₁ − G₂),  L ≈ ½‖c‖².
// Step 1 and 2 are SIMD products over 64-row blocks with per-thread sums in
// double: O(n·r·d²) time, O(threads·r·d²) memory. This is the paper's
// algorithm (approximate f inside the exact gradient formula), not the
// gradient of an approximate loss: L and dL/dX are each ≈ their exact values.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "common/threads.hpp"
#include "grad/features.hpp"
#include "grad/grad.hpp"
#include "simd/gemm.hpp"

namespace subquad::grad {

namespace {

constexpr std::size_t kBlock = kFeatureBlock;

std::size_t round_up(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

}  // namespace

double loss_polynomial_memory(std::size_t n, std::size_t d, std::size_t r, int threads) {
  const double B = kBlock, w = double(round_up(2 * d + 1 + d * d, 4)), e = double(round_up(d + 1, 4)),
               v = double(d) * d + d;
  // Per thread: m, F, Fᵀ (B × r each), Z (B × w), T (B × e), Wᵀ (v × B), the
  // two products r × w and v × r and their sums in double. Shared: Q = A₁X,
  // SK in float and double, S in double.
  return threads * (4.0 * (3 * B * r + B * w + B * e + v * B + r * w + v * r) + 8.0 * (r * w + v * r)) +
         4.0 * n * d + 12.0 * r * w + 8.0 * v * r;
}

double loss_polynomial(const LossProblem& p, const Params& params, float* dX, Stats& stats) {
  const std::size_t n = p.n, d = p.d;
  const std::size_t w = round_up(2 * d + 1 + d * d, 4), e = round_up(d + 1, 4), v = d * d + d;
  const double s = resolved_scale(params, d);
  const int threads = resolve_threads(params.threads);

  // Q = A₁X (n×d): the bound of the problem and the score range come from it.
  std::vector<float> Q(n * d);
  double bound = 0;
  {
    std::vector<double> row(d);
    for (std::size_t i = 0; i < n; ++i) {
      std::fill(row.begin(), row.end(), 0.0);
      for (std::size_t k = 0; k < d; ++k)
        for (std::size_t b = 0; b < d; ++b) row[b] += double(p.A1.data[i * d + k]) * p.X.data[k * d + b];
      for (std::size_t b = 0; b < d; ++b) {
        Q[i * d + b] = static_cast<float>(row[b]);
        bound = std::max(bound, std::fabs(row[b]));
      }
    }
  }
  const Maps f = maps(Q.data(), n, p.A2.data, n, d, s, params);
  const std::size_t r = f.r;

  struct Scratch {
    std::vector<float> m, F, Ft, Z, T, Wt, part, part2;
    std::vector<double> sum, sum2;
    double loss = 0, min_den = INFINITY, bad = 0;
  };
  std::vector<Scratch> scratch(threads);
  for (auto& sc : scratch) {
    sc.m.resize(kBlock * r);
    sc.F.resize(kBlock * r);
    sc.Ft.resize(r * kBlock);
    sc.Z.assign(kBlock * w, 0.0f);
    sc.T.resize(kBlock * e);
    sc.Wt.assign(v * kBlock, 0.0f);
    sc.part.resize(r * w);
    sc.part2.resize(v * r);
    sc.sum.assign(r * w, 0.0);
    sc.sum2.assign(v * r, 0.0);
  }

  // Step 1 (keys): SK = Ψᵀ [h | 1 | A₂ | h⊗A₂], h = A₃Y.
  parallel_for(n, kBlock, threads, [&](std::size_t j0, std::size_t j1, int worker) {
    throw_if_cancelled();
    Scratch& sc = scratch[worker];
    const std::size_t rows = j1 - j0;
    features(f, f.m.wk, f.root_k, p.A2.data + j0 * d, rows, d, sc.m.data(), sc.F.data(), sc.Ft.data());
    for (std::size_t j = 0; j < rows; ++j) {
      float* z = sc.Z.data() + j * w;
      const float* a3 = p.A3.data + (j0 + j) * d;
      const float* a2 = p.A2.data + (j0 + j) * d;
      for (std::size_t b = 0; b < d; ++b) {
        double hb = 0;
        for (std::size_t k = 0; k < d; ++k) hb += double(a3[k]) * p.Y.data[k * d + b];
        z[b] = static_cast<float>(hb);
      }
      z[d] = 1.0f;
      for (std::size_t b = 0; b < d; ++b) z[d + 1 + b] = a2[b];
      for (std::size_t a = 0; a < d; ++a)
        for (std::size_t b = 0; b < d; ++b) z[2 * d + 1 + a * d + b] = z[a] * a2[b];
    }
    simd::gemm(r, w, rows, sc.Ft.data(), kBlock, sc.Z.data(), w, sc.part.data(), w, false);
    for (std::size_t t = 0; t < r * w; ++t) sc.sum[t] += sc.part[t];
  });
  std::vector<double> SKd(r * w, 0.0);
  std::vector<float> SK(r * w);
  for (std::size_t t = 0; t < r * w; ++t) {
    for (const auto& sc : scratch) SKd[t] += sc.sum[t];
    SK[t] = static_cast<float>(SKd[t]);
  }

  // Step 2 (queries): Ô, c, r̃, and S = Wᵀ Φ.
  parallel_for(n, kBlock, threads, [&](std::size_t i0, std::size_t i1, int worker) {
    throw_if_cancelled();
    Scratch& sc = scratch[worker];
    const std::size_t rows = i1 - i0;
    features(f, f.m.wq, f.root_q, Q.data() + i0 * d, rows, d, sc.m.data(), sc.F.data(), sc.Ft.data());
    simd::gemm(rows, d + 1, r, sc.F.data(), r, SK.data(), w, sc.T.data(), e, false);
    for (std::size_t i = 0; i < rows; ++i) {
      const float* t = sc.T.data() + i * e;
      const double den = t[d];
      sc.min_den = std::min(sc.min_den, den);
      if (!(den > 0 && std::isfinite(den))) sc.bad += 1;
      const float* E = p.E.data + (i0 + i) * d;
      const float* a1 = p.A1.data + (i0 + i) * d;
      double rr = 0;
      for (std::size_t a = 0; a < d; ++a) {
        const double o = t[a] / den, c = o - E[a];
        sc.loss += 0.5 * c * c;
        rr += c * o;
        for (std::size_t x = 0; x < d; ++x) sc.Wt[(x * d + a) * kBlock + i] = static_cast<float>(a1[x] * c / den);
      }
      for (std::size_t x = 0; x < d; ++x) sc.Wt[(d * d + x) * kBlock + i] = static_cast<float>(a1[x] * rr / den);
    }
    simd::gemm(v, r, rows, sc.Wt.data(), kBlock, sc.F.data(), r, sc.part2.data(), r, false);
    for (std::size_t t = 0; t < v * r; ++t) sc.sum2[t] += sc.part2[t];
  });

  // Step 3: the d×d contractions, in double.
  std::vector<double> S(v * r, 0.0);
  double loss = 0, min_den = INFINITY, bad = 0;
  for (const auto& sc : scratch) {
    for (std::size_t t = 0; t < v * r; ++t) S[t] += sc.sum2[t];
    loss += sc.loss;
    min_den = std::min(min_den, sc.min_den);
    bad += sc.bad;
  }
  for (std::size_t x = 0; x < d; ++x)
    for (std::size_t b = 0; b < d; ++b) {
      double g1 = 0, g2 = 0;
      for (std::size_t k = 0; k < r; ++k) {
        const double* sk = SKd.data() + k * w;
        for (std::size_t a = 0; a < d; ++a) g1 += S[(x * d + a) * r + k] * sk[2 * d + 1 + a * d + b];
        g2 += S[(d * d + x) * r + k] * sk[d + 1 + b];
      }
      dX[x * d + b] = static_cast<float>(s * (g1 - g2));
    }
  stats.push_back({"entry_bound", bound});
  stats.push_back({"degree", params.degree});
  stats.push_back({"rank", double(r)});
  stats.push_back({"R", f.R});
  stats.push_back({"score_range", f.score_range});
  stats.push_back({"min_denominator", min_den});
  stats.push_back({"negative_denominators", bad});
  return loss;
}

}  // namespace subquad::grad
