// The polynomial method for tensor attention: our reconstruction
// (THEORY-2.md §3; Alman & Song, arXiv 2310.04064, whose body we did not read).
//
// 1. P(t) = Σ_{k≤g} c_k t^k ≈ eᵗ on [−R, R] (attention's poly_coefficients).
// 2. Trinomial expansion with γ = scale^{1/3}:
//      P(score) = Σ_{|α|≤g} c_|α| (|α|!/α!) (γq)^α (γk₁)^α (γk₂)^α,
//    so exp(scale·Q(K₁⊘K₂)ᵀ) ≈ U₁(U₂⊘U₃)ᵀ with rank r = C(d+g, g) and
//      U₁ = c·√(|α|!/α!)·(γq)^α,  U₂ = √(|α|!/α!)·(γk₁)^α,  U₃ = (γk₂)^α —
//    the attention family's monomials and weights (poly_monomials), applied
//    three times, each factor scaled by γ rather than matrix attention's √s.
// 3. The Khatri–Rao identity (U₂⊘U₃)ᵀ(V₁⊘V₂) = (U₂ᵀV₁) ∘ (U₃ᵀV₂) gives
//      numerator = U₁[(U₂ᵀV₁) ∘ (U₃ᵀV₂)],  denominator = U₁[(U₂ᵀ1) ∘ (U₃ᵀ1)],
//    O(n·r·d) time, never the n × n² matrix: Z = (U₂ᵀ[V₁ 1]) ∘ (U₃ᵀ[V₂ 1])
//    (r × (d+1)) summed over 64-row blocks (threads keep their own partial
//    sums), then O = U₁Z row-wise divided by its last column.
//
// Error bound: every score lies in [−R, R] when R ≥ the score bound; with
// |P − eᵗ| ≤ ε eᵗ there, the argument of attention's polynomial (a weighted
// average with weights perturbed by 1 + δ, |δ| ≤ ε) gives
// |o_i − o*_i|_∞ ≤ 2ε/(1 − ε)·max|V₁ ∘ V₂|. Denominators ≤ 0 are counted,
// never clamped. The three maps are balanced (each row scaled by
// λ/max‖row‖, λ = the geometric mean of the three largest norms) so no
// factor overflows while another underflows; their product is unchanged.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/threads.hpp"
#include "simd/gemm.hpp"
#include "tensor/tensor.hpp"

namespace subquad::tensor {

namespace {

constexpr std::size_t kBlock = 64;

// Weighted monomials w[a]·m_a(root·x) of one row into out[a·stride].
void feature_row(const attention::PolyMonomials& m, const float* w, const float* x, std::size_t d, float root,
                 float* out, std::size_t stride, float* xs) {
  for (std::size_t k = 0; k < d; ++k) xs[k] = x[k] * root;
  out[0] = 1.0f;
  const std::size_t r = m.parent.size();
  for (std::size_t a = 1; a < r; ++a) out[a * stride] = out[m.parent[a] * stride] * xs[m.var[a]];
  if (w)
    for (std::size_t a = 0; a < r; ++a) out[a * stride] *= w[a];
}

double resolved_R(const Problem& p, const Params& params) {
  return params.R > 0 ? params.R : score_bound(p, resolved_scale(params, p.d));
}

}  // namespace

double score_bound(const Problem& p, double scale) {
  const std::size_t n = p.n, d = p.d;
  double total = 0;
  for (std::size_t l = 0; l < d; ++l) {
    double a = 0, b = 0, c = 0;
    for (std::size_t i = 0; i < n; ++i) {
      a = std::max(a, double(std::fabs(p.Q[i * d + l])));
      b = std::max(b, double(std::fabs(p.K1[i * d + l])));
      c = std::max(c, double(std::fabs(p.K2[i * d + l])));
    }
    total += a * b * c;
  }
  return scale * total;
}

double polynomial_memory(std::size_t d, std::size_t r, int threads) {
  const double e = d + 1.0;
  // Per thread: two partial r×e sums, one r×64 feature block (also the 64×r
  // query block), a 64×e value block and a 64×e output block, d floats; Z.
  return 4.0 * (threads * (2.0 * r * e + kBlock * double(r) + 2.0 * kBlock * e + d) + double(r) * e);
}

void polynomial(const Problem& p, const Params& params, float* O, Stats& stats) {
  const std::size_t n = p.n, d = p.d, e = d + 1;
  const double s = resolved_scale(params, d);
  const double R = resolved_R(p, params);
  require(R <= kMaxR, "R", R,
          "<= 40 (the inputs' score bound scale·Σ max|Q|·max|K1|·max|K2| is too wide for float32 sums over n² pairs)");
  const std::vector<double> c = attention::poly_coefficients(params.poly, params.degree, R);
  const attention::PolyMonomials m = attention::poly_monomials(d, c);
  const std::size_t r = m.parent.size();
  const int threads = resolve_threads(params.threads);
  const double nq = attention::max_row_norm(p.Q, n, d), n1 = attention::max_row_norm(p.K1, n, d),
               n2 = attention::max_row_norm(p.K2, n, d);
  const double gamma = std::cbrt(s), lambda = std::cbrt(nq * n1 * n2);
  auto root = [&](double norm) { return static_cast<float>(lambda > 0 ? gamma * lambda / norm : gamma); };
  const float rq = root(nq), r1 = root(n1), r2 = root(n2);

  struct Scratch {
    std::vector<float> A, B, F, Vb, Ob, xs;
  };
  std::vector<Scratch> scratch(threads);
  for (auto& t : scratch) {
    t.A.assign(r * e, 0.0f);
    t.B.assign(r * e, 0.0f);
    t.F.assign(r * kBlock, 0.0f);
    t.Vb.assign(kBlock * e, 0.0f);
    t.Ob.assign(kBlock * e, 0.0f);
    t.xs.resize(d);
  }
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  // Pass 1: U₂ᵀ[V₁ 1] and U₃ᵀ[V₂ 1], per thread over 64-row blocks.
  parallel_for(blocks, 1, threads, [&](std::size_t b0, std::size_t b1, int worker) {
    throw_if_cancelled();
    Scratch& t = scratch[worker];
    for (std::size_t b = b0; b < b1; ++b) {
      const std::size_t i0 = b * kBlock, rows = std::min(kBlock, n - i0);
      for (int which = 0; which < 2; ++which) {
        const float* K = which ? p.K2 : p.K1;
        const float* V = which ? p.V2 : p.V1;
        for (std::size_t i = 0; i < rows; ++i) {
          feature_row(m, which ? nullptr : m.wk.data(), K + (i0 + i) * d, d, which ? r2 : r1, t.F.data() + i, kBlock,
                      t.xs.data());
          std::copy(V + (i0 + i) * d, V + (i0 + i + 1) * d, t.Vb.data() + i * e);
          t.Vb[i * e + d] = 1.0f;
        }
        simd::gemm(r, e, rows, t.F.data(), kBlock, t.Vb.data(), e, (which ? t.B : t.A).data(), e, true);
      }
    }
  });
  std::vector<float> Z(r * e);
  for (std::size_t x = 0; x < r * e; ++x) {
    double a = 0, b = 0;
    for (const auto& t : scratch) {
      a += t.A[x];
      b += t.B[x];
    }
    Z[x] = static_cast<float>(a * b);
  }
  // Pass 2: O = U₁Z, each row divided by its denominator (last column).
  std::vector<double> min_den(threads, INFINITY), bad(threads, 0), nonfinite(threads, 0);
  parallel_for(blocks, 1, threads, [&](std::size_t b0, std::size_t b1, int worker) {
    throw_if_cancelled();
    Scratch& t = scratch[worker];
    for (std::size_t b = b0; b < b1; ++b) {
      const std::size_t i0 = b * kBlock, rows = std::min(kBlock, n - i0);
      for (std::size_t i = 0; i < rows; ++i)
        feature_row(m, m.wq.data(), p.Q + (i0 + i) * d, d, rq, t.F.data() + i * r, 1, t.xs.data());
      simd::gemm(rows, e, r, t.F.data(), r, Z.data(), e, t.Ob.data(), e, false);
      for (std::size_t i = 0; i < rows; ++i) {
        const float den = t.Ob[i * e + d];
        min_den[worker] = std::min<double>(min_den[worker], den);
        if (!(den > 0) || !std::isfinite(den)) bad[worker] += 1;
        for (std::size_t l = 0; l < d; ++l) {
          const float o = t.Ob[i * e + l] / den;
          if (!std::isfinite(o)) nonfinite[worker] += 1;
          O[(i0 + i) * d + l] = o;
        }
      }
    }
  });
  double lo = INFINITY, negative = 0, inf = 0;
  for (int w = 0; w < threads; ++w) {
    lo = std::min(lo, min_den[w]);
    negative += bad[w];
    inf += nonfinite[w];
  }
  stats.push_back({"degree", params.degree});
  stats.push_back({"min_denominator", lo});
  stats.push_back({"negative_denominators", negative});  // ≤ 0 or not finite
  stats.push_back({"nonfinite_outputs", inf});
}

void polynomial_describe(const Problem& p, const Params& params, Stats& stats) {
  const double bound = score_bound(p, resolved_scale(params, p.d));
  const double R = resolved_R(p, params);
  const double eps = attention::poly_max_rel_error(attention::poly_coefficients(params.poly, params.degree, R), R);
  stats.push_back({"rank", attention::poly_rank(p.d, params.degree)});
  stats.push_back({"R", R});
  stats.push_back({"score_bound", bound});
  stats.push_back({"poly_max_rel_error", eps});
  stats.push_back({"error_bound", eps < 1 && R >= bound ? 2 * eps / (1 - eps) : INFINITY});
}

}  // namespace subquad::tensor
