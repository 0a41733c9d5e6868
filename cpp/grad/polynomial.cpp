// The exact gradient of the polynomial method's attention (Alman & Song,
// arXiv 2402.04497 App. D; THEORY-2.md §2): the forward is
//   Ô = diag(1/den)·Φ(Ψᵀ V),  den = Φ(Ψᵀ 1),  Φ = φ(Q), Ψ = ψ(K) ∈ ℝ^{n×r},
// with attention's feature maps (⟨φ(q), ψ(k)⟩ = P(s·q·k), P ≈ exp of degree g,
// r = C(d+g, g)). With A = ΦΨᵀ (never formed), G = diag(1/den)·dO, u = D/den,
// D_i = dO_i·Ô_i, the gradient of Σ dO∘Ô is
//   dA = G Vᵀ − u 1ᵀ,  dV = Aᵀ G = Ψ(ΦᵀG),  dΦ = dA Ψ = [G −u]·[ΨᵀV Ψᵀ1]ᵀ,
//   dΨ = dAᵀ Φ = [V 1]·[ΦᵀG −Φᵀu]ᵀ,
// then dQ, dK by the chain rule through the monomials (reverse sweep over the
// monomial tree: m_a = m_parent·x_var). Three sweeps over 64-row blocks, every
// product on the SIMD micro-kernel, threads over blocks with per-thread
// summaries (r × (d+1), in double) summed between sweeps: O(n·r·d) time,
// O(threads·(64·r + r·d)) memory, no n×n and no n×r matrix. This is the exact
// gradient of the approximate attention; its distance to the exact gradient
// is the bench's error column. O and lse, when given, are not used (they are
// the exact attention's, not this one's). Non-causal only.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/threads.hpp"
#include "grad/features.hpp"
#include "grad/grad.hpp"
#include "simd/gemm.hpp"

namespace subquad::grad {

namespace {

constexpr std::size_t kBlock = kFeatureBlock;

std::size_t round_up(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

}  // namespace

Maps maps(const float* Q, std::size_t n, const float* K, std::size_t n_k, std::size_t d, double s,
          const Params& params) {
  Maps f;
  const double qn = attention::max_row_norm(Q, n, d), kn = attention::max_row_norm(K, n_k, d);
  f.score_range = s * qn * kn;
  f.R = params.R > 0 ? params.R : f.score_range;
  require(f.R <= attention::kMaxR, "R", f.R,
          "<= 64 (the inputs' score range scale·max|q|·max|k| is too wide for float32 sums of e^R)");
  f.m = attention::poly_monomials(d, attention::poly_coefficients(params.poly, params.degree, f.R));
  f.r = f.m.parent.size();
  // Balanced maps, as the forward: q·a and k/a keep both factors ≤ √score_range.
  const double balance = qn > 0 && kn > 0 ? std::sqrt(kn / qn) : 1.0;
  f.root_q = static_cast<float>(std::sqrt(s) * balance);
  f.root_k = static_cast<float>(std::sqrt(s) / balance);
  return f;
}

void features(const Maps& f, const std::vector<float>& w, float root, const float* X, std::size_t rows,
              std::size_t d, float* m, float* F, float* Ft) {
  const std::size_t r = f.r;
  for (std::size_t i = 0; i < rows; ++i) {
    float* mi = m + i * r;
    mi[0] = 1.0f;
    for (std::size_t a = 1; a < r; ++a) mi[a] = mi[f.m.parent[a]] * (X[i * d + f.m.var[a]] * root);
    for (std::size_t a = 0; a < r; ++a) {
      F[i * r + a] = mi[a] * w[a];
      Ft[a * kFeatureBlock + i] = F[i * r + a];
    }
  }
}

namespace {

// dX rows from dF (rows × r): the reverse sweep over the monomial tree.
void chain(const Maps& f, const std::vector<float>& w, float root, const float* X, std::size_t rows, std::size_t d,
           const float* m, float* dF, float* dX) {
  const std::size_t r = f.r;
  std::vector<float> gx(d);
  for (std::size_t i = 0; i < rows; ++i) {
    float* g = dF + i * r;
    const float* mi = m + i * r;
    std::fill(gx.begin(), gx.end(), 0.0f);
    for (std::size_t a = 0; a < r; ++a) g[a] *= w[a];
    for (std::size_t a = r; a-- > 1;) {
      const std::size_t v = f.m.var[a], parent = f.m.parent[a];
      gx[v] += g[a] * mi[parent];
      g[parent] += g[a] * (X[i * d + v] * root);
    }
    for (std::size_t k = 0; k < d; ++k) dX[i * d + k] = gx[k] * root;
  }
}

}  // namespace

double polynomial_memory(std::size_t d, std::size_t r, int threads) {
  const double e = double(round_up(d + 1, 4)), B = kBlock;
  // Per thread: m, F, Fᵀ, dF (B × r each), two B × e blocks, an r × e block
  // and its running sum in double; shared: the two summaries and their transposes.
  return threads * (4.0 * (4 * B * r + 2 * B * e + r * e) + 8.0 * r * e) + 4.0 * 4 * r * e;
}

double polynomial_causal_memory(std::size_t n, std::size_t d, std::size_t r) {
  const double e = double(round_up(d + 1, 4)), B = kBlock;
  // g = [dO/den, −D/den] for every row (n × e), kept for the reverse sweep; per
  // block both feature sets (m, F, Fᵀ each), dF, two B × B tiles, [V 1], T, g
  // blocks; the running state in double, its float copy and transpose.
  return 4.0 * n * e + 4.0 * (7 * B * r + 2 * B * B + 3 * B * e + 3 * r * e) + 8.0 * r * e;
}

namespace {

// Causal (query i sees keys j ≤ i; n_k = n): the same gradient through
// prefix states. Forward sweep over 64-row blocks in order with
// S = Σ_{j before the block} ψ_j [v_j 1]ᵀ (r × e): T_i = φ_i S + Σ_{j ≤ i in
// the block} A_ij [v_j 1], g_i = [dO_i, −D_i]/den_i, dΦ_i = g_i Sᵀ + Σ_{j ≤ i}
// (g_i·[v_j 1]) ψ_j → dQ. Reverse sweep with M = Σ_{i after the block} φ_i g_iᵀ:
// dV_j = ψ_j M + Σ_{i ≥ j} A_ij g_i (first d columns), dΨ_j = M [v_j 1] +
// Σ_{i ≥ j} (g_i·[v_j 1]) φ_i → dK. The in-block terms use the 64 × 64 tile
// A = ΦΨᵀ masked; the blocks run in order on one thread (the states chain).
void polynomial_causal(const Problem& p, const Params& params, const Output& out, Stats& stats) {
  const std::size_t n = p.n, d = p.d, e = round_up(d + 1, 4);
  const Maps f = maps(p.Q.data, n, p.K.data, n, d, resolved_scale(params, d), params);
  const std::size_t r = f.r, B = kBlock;
  std::vector<float> mq(B * r), Fq(B * r), Fqt(r * B), mk(B * r), Fk(B * r), Fkt(r * B), dF(B * r);
  std::vector<float> A(B * B), W(B * B), VE(B * e, 0.0f), VEt(e * B, 0.0f), T(B * e), part(r * e), Sf(r * e),
      Sft(e * r), g(n * e, 0.0f);
  std::vector<double> S(r * e, 0.0);
  double min_den = INFINITY, bad = 0;
  auto block = [&](std::size_t i0, std::size_t rows) {
    features(f, f.m.wq, f.root_q, p.Q.data + i0 * d, rows, d, mq.data(), Fq.data(), Fqt.data());
    features(f, f.m.wk, f.root_k, p.K.data + i0 * d, rows, d, mk.data(), Fk.data(), Fkt.data());
    for (std::size_t j = 0; j < rows; ++j) {
      for (std::size_t k = 0; k < d; ++k) VEt[k * B + j] = VE[j * e + k] = p.V.data[(i0 + j) * d + k];
      VEt[d * B + j] = VE[j * e + d] = 1.0f;
    }
  };
  auto state = [&](const std::vector<double>& X) {  // float copy and transpose of a running state
    for (std::size_t t = 0; t < r * e; ++t) Sft[(t % e) * r + t / e] = Sf[t] = static_cast<float>(X[t]);
  };
  const std::size_t blocks = (n + B - 1) / B;
  for (std::size_t b = 0; b < blocks; ++b) {
    throw_if_cancelled();
    const std::size_t i0 = b * B, rows = std::min(B, n - i0);
    block(i0, rows);
    state(S);
    simd::gemm(rows, rows, r, Fq.data(), r, Fkt.data(), B, A.data(), B, false);  // A_ij = φ_i·ψ_j
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = i + 1; j < rows; ++j) A[i * B + j] = 0.0f;
    simd::gemm(rows, e, r, Fq.data(), r, Sf.data(), e, T.data(), e, false);
    simd::gemm(rows, e, rows, A.data(), B, VE.data(), e, T.data(), e, true);
    for (std::size_t i = 0; i < rows; ++i) {
      const float den = T[i * e + d];
      min_den = std::min<double>(min_den, den);
      if (!(den > 0 && std::isfinite(den))) bad += 1;
      const float* dO = p.dO.data + (i0 + i) * d;
      double D = 0;
      for (std::size_t k = 0; k < d; ++k) D += double(dO[k]) * (T[i * e + k] / den);
      float* gi = g.data() + (i0 + i) * e;
      for (std::size_t k = 0; k < d; ++k) gi[k] = dO[k] / den;
      gi[d] = static_cast<float>(-D / den);
    }
    // dΦ = g Sᵀ + (mask ∘ g [V 1]ᵀ) Ψ.
    simd::gemm(rows, r, e, g.data() + i0 * e, e, Sft.data(), r, dF.data(), r, false);
    simd::gemm(rows, rows, e, g.data() + i0 * e, e, VEt.data(), B, W.data(), B, false);
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = i + 1; j < rows; ++j) W[i * B + j] = 0.0f;
    simd::gemm(rows, r, rows, W.data(), B, Fk.data(), r, dF.data(), r, true);
    chain(f, f.m.wq, f.root_q, p.Q.data + i0 * d, rows, d, mq.data(), dF.data(), out.dQ + i0 * d);
    simd::gemm(r, e, rows, Fkt.data(), B, VE.data(), e, part.data(), e, false);
    for (std::size_t t = 0; t < r * e; ++t) S[t] += part[t];
  }
  std::vector<double>& M = S;  // reused: now Σ over the later blocks of φ_i g_iᵀ
  std::fill(M.begin(), M.end(), 0.0);
  for (std::size_t b = blocks; b-- > 0;) {
    throw_if_cancelled();
    const std::size_t i0 = b * B, rows = std::min(B, n - i0);
    block(i0, rows);
    state(M);
    const float* gb = g.data() + i0 * e;
    // Aᵀ_ji = ψ_j·φ_i for i ≥ j; dV (first d columns of T) = Ψ M + Aᵀ g.
    simd::gemm(rows, rows, r, Fk.data(), r, Fqt.data(), B, A.data(), B, false);
    for (std::size_t j = 0; j < rows; ++j)
      for (std::size_t i = 0; i < j; ++i) A[j * B + i] = 0.0f;
    simd::gemm(rows, e, r, Fk.data(), r, Sf.data(), e, T.data(), e, false);
    simd::gemm(rows, e, rows, A.data(), B, gb, e, T.data(), e, true);
    for (std::size_t j = 0; j < rows; ++j)
      std::copy(T.data() + j * e, T.data() + j * e + d, out.dV + (i0 + j) * d);
    // dΨ = [V 1] Mᵀ + (maskᵀ ∘ [V 1] gᵀ) Φ.
    simd::gemm(rows, r, e, VE.data(), e, Sft.data(), r, dF.data(), r, false);
    for (std::size_t j = 0; j < rows; ++j)
      for (std::size_t i = 0; i < rows; ++i) {
        float w = 0;
        if (i >= j)
          for (std::size_t k = 0; k < e; ++k) w += VE[j * e + k] * gb[i * e + k];
        W[j * B + i] = w;
      }
    simd::gemm(rows, r, rows, W.data(), B, Fq.data(), r, dF.data(), r, true);
    chain(f, f.m.wk, f.root_k, p.K.data + i0 * d, rows, d, mk.data(), dF.data(), out.dK + i0 * d);
    simd::gemm(r, e, rows, Fqt.data(), B, gb, e, part.data(), e, false);
    for (std::size_t t = 0; t < r * e; ++t) M[t] += part[t];
  }
  stats.push_back({"degree", params.degree});
  stats.push_back({"rank", double(r)});
  stats.push_back({"R", f.R});
  stats.push_back({"score_range", f.score_range});
  stats.push_back({"min_denominator", min_den});
  stats.push_back({"negative_denominators", bad});
}

}  // namespace

void polynomial(const Problem& p, const Params& params, const Output& out, Stats& stats) {
  if (params.causal) return polynomial_causal(p, params, out, stats);
  const std::size_t n = p.n, nk = p.keys(), d = p.d, e = round_up(d + 1, 4);
  const Maps f = maps(p.Q.data, n, p.K.data, nk, d, resolved_scale(params, d), params);
  const std::size_t r = f.r;
  const int threads = resolve_threads(params.threads);
  struct Scratch {
    std::vector<float> m, F, Ft, dF, A, T, part;  // A: [V 1] or [G −u] (B × e); T: B × e
    std::vector<double> sum;                    // r × e
    double min_den = INFINITY, bad = 0;
  };
  std::vector<Scratch> scratch(threads);
  for (auto& s : scratch) {
    s.m.resize(kBlock * r);
    s.F.resize(kBlock * r);
    s.Ft.resize(r * kBlock);
    s.dF.resize(kBlock * r);
    s.A.assign(kBlock * e, 0.0f);
    s.T.resize(kBlock * e);
    s.part.resize(r * e);
    s.sum.assign(r * e, 0.0);
  }
  // Σ over threads of the running sums → S (r × e) and Sᵀ (e × r).
  auto reduce = [&](std::vector<float>& S, std::vector<float>& St) {
    for (std::size_t t = 0; t < r * e; ++t) {
      double v = 0;
      for (auto& s : scratch) v += s.sum[t];
      S[t] = static_cast<float>(v);
      St[(t % e) * r + t / e] = S[t];
    }
    for (auto& s : scratch) std::fill(s.sum.begin(), s.sum.end(), 0.0);
  };
  auto keys_block = [&](Scratch& s, std::size_t j0, std::size_t rows) {
    features(f, f.m.wk, f.root_k, p.K.data + j0 * d, rows, d, s.m.data(), s.F.data(), s.Ft.data());
    for (std::size_t j = 0; j < rows; ++j) {
      std::copy(p.V.data + (j0 + j) * d, p.V.data + (j0 + j + 1) * d, s.A.data() + j * e);
      s.A[j * e + d] = 1.0f;
    }
  };

  // Sweep 1: SVE = Ψᵀ[V 1].
  std::vector<float> SVE(r * e), SVEt(e * r), ME(r * e), MEt(e * r);
  parallel_for(nk, kBlock, threads, [&](std::size_t j0, std::size_t j1, int worker) {
    throw_if_cancelled();
    Scratch& s = scratch[worker];
    keys_block(s, j0, j1 - j0);
    simd::gemm(r, e, j1 - j0, s.Ft.data(), kBlock, s.A.data(), e, s.part.data(), e, false);
    for (std::size_t t = 0; t < r * e; ++t) s.sum[t] += s.part[t];
  });
  reduce(SVE, SVEt);

  // Sweep 2 (queries): Ô, D, [G −u], dΦ → dQ; ME = Φᵀ[G −u].
  parallel_for(n, kBlock, threads, [&](std::size_t i0, std::size_t i1, int worker) {
    throw_if_cancelled();
    Scratch& s = scratch[worker];
    const std::size_t rows = i1 - i0;
    features(f, f.m.wq, f.root_q, p.Q.data + i0 * d, rows, d, s.m.data(), s.F.data(), s.Ft.data());
    simd::gemm(rows, e, r, s.F.data(), r, SVE.data(), e, s.T.data(), e, false);
    for (std::size_t i = 0; i < rows; ++i) {
      const float den = s.T[i * e + d];
      s.min_den = std::min<double>(s.min_den, den);
      if (!(den > 0 && std::isfinite(den))) s.bad += 1;
      const float* dO = p.dO.data + (i0 + i) * d;
      double D = 0;
      for (std::size_t k = 0; k < d; ++k) D += double(dO[k]) * (s.T[i * e + k] / den);
      for (std::size_t k = 0; k < d; ++k) s.A[i * e + k] = dO[k] / den;
      s.A[i * e + d] = static_cast<float>(-D / den);
    }
    simd::gemm(rows, r, e, s.A.data(), e, SVEt.data(), r, s.dF.data(), r, false);
    simd::gemm(r, e, rows, s.Ft.data(), kBlock, s.A.data(), e, s.part.data(), e, false);
    for (std::size_t t = 0; t < r * e; ++t) s.sum[t] += s.part[t];
    chain(f, f.m.wq, f.root_q, p.Q.data + i0 * d, rows, d, s.m.data(), s.dF.data(), out.dQ + i0 * d);
  });
  reduce(ME, MEt);

  // Sweep 3 (keys): dV = Ψ·(ΦᵀG), dΨ = [V 1]·MEᵀ → dK.
  parallel_for(nk, kBlock, threads, [&](std::size_t j0, std::size_t j1, int worker) {
    throw_if_cancelled();
    Scratch& s = scratch[worker];
    const std::size_t rows = j1 - j0;
    keys_block(s, j0, rows);
    simd::gemm(rows, e, r, s.F.data(), r, ME.data(), e, s.T.data(), e, false);
    for (std::size_t j = 0; j < rows; ++j)
      std::copy(s.T.data() + j * e, s.T.data() + j * e + d, out.dV + (j0 + j) * d);
    simd::gemm(rows, r, e, s.A.data(), e, MEt.data(), r, s.dF.data(), r, false);
    chain(f, f.m.wk, f.root_k, p.K.data + j0 * d, rows, d, s.m.data(), s.dF.data(), out.dK + j0 * d);
  });

  double min_den = INFINITY, bad = 0;
  for (const auto& s : scratch) {
    min_den = std::min(min_den, s.min_den);
    bad += s.bad;
  }
  stats.push_back({"degree", params.degree});
  stats.push_back({"rank", double(r)});
  stats.push_back({"R", f.R});
  stats.push_back({"score_range", f.score_range});
  stats.push_back({"min_denominator", min_den});
  stats.push_back({"negative_denominators", bad});
}

}  // namespace subquad::grad
