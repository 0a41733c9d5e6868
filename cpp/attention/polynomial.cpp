// The polynomial method of Alman & Song (arXiv 2302.13214; THEORY.md §2).
//
// 1. P(t) = Σ_{k≤g} c_k t^k ≈ eᵗ on [−R, R]: Taylor (c_k = 1/k!) or Chebyshev
//    interpolation on [−R, R] (fitted in double, converted to monomials).
// 2. Multinomial feature maps over all multi-indices |α| ≤ g, rank r = C(d+g, g):
//      φ(q)_α = c_|α| · √(|α|!/α!) · (√s q)^α,   ψ(k)_α = √(|α|!/α!) · (√s k)^α,
//    so ⟨φ(q), ψ(k)⟩ = Σ_k c_k (s⟨q,k⟩)^k = P(s⟨q,k⟩) (multinomial theorem; the
//    coefficient is split evenly to keep both maps of similar size).
// 3. O = (φ(Q)(ψ(K)ᵀ[V 1])) row-wise divided by its last column, by
//    feature_attention in 64-row blocks (threads over blocks): ψ(K)ᵀ[V 1]
//    (r × (d+1)) is accumulated block by block, so memory is O(r·d) per thread
//    and never r·n. Causal: per-block summaries turned into prefix sums for
//    earlier blocks, plus the masked 64×64 block P(s q_i·k_j) itself.
//
// Error bound (reported as error_bound, checked by the tests): if every score
// lies in [−R, R] and |P(t) − eᵗ| ≤ ε eᵗ there, write P = eᵗ(1 + δ_ij), |δ| ≤ ε.
// With a_ij = e^{t_ij}, D_i = Σ_j a_ij and δ̄_i = Σ_j a_ij δ_ij / D_i,
//   o_i − o*_i = Σ_j a_ij (δ_ij − δ̄_i) v_j / (D_i (1 + δ̄_i)),
// so |o_i − o*_i|_∞ ≤ 2ε/(1 − ε) · max|V| (for ε < 1; otherwise no bound and
// the denominator may be ≤ 0, which is counted, never clamped).
//
// Float32 range: R ≤ kMaxR = 64 keeps every sum over up to 2^24 keys finite (the derivation is at
// kMaxR in attention.hpp). The query and key maps are balanced (q·a, k/a with
// a = √(max‖k‖/max‖q‖)) so both stay ≤ √score_range per factor: very unequal norms would
// otherwise overflow one map while the other underflows, though every product is in range.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "attention/feature_attention.hpp"
#include "common/error.hpp"
#include "common/threads.hpp"

namespace subquad::attention {

namespace {

constexpr std::size_t kBlock = 64;

using Monomials = PolyMonomials;

}  // namespace

PolyMonomials poly_monomials(std::size_t d, const std::vector<double>& c) {
  const int g = static_cast<int>(c.size()) - 1;
  Monomials m;
  std::vector<std::size_t> last_count;  // multiplicity of the last variable
  std::vector<double> multinomial;      // |α|!/α!
  std::vector<int> degree;
  m.parent.push_back(0);
  m.var.push_back(0);
  last_count.push_back(0);
  multinomial.push_back(1);
  degree.push_back(0);
  std::size_t begin = 0, end = 1;  // the monomials of the previous degree
  for (int k = 1; k <= g; ++k) {
    for (std::size_t p = begin; p < end; ++p) {
      for (std::size_t v = (k == 1 ? 0 : m.var[p]); v < d; ++v) {
        const std::size_t count = (k > 1 && v == m.var[p]) ? last_count[p] + 1 : 1;
        m.parent.push_back(p);
        m.var.push_back(v);
        last_count.push_back(count);
        multinomial.push_back(multinomial[p] * k / static_cast<double>(count));
        degree.push_back(k);
      }
    }
    begin = end;
    end = m.parent.size();
  }
  for (std::size_t a = 0; a < m.parent.size(); ++a) {
    const double root = std::sqrt(multinomial[a]);
    m.wq.push_back(static_cast<float>(c[degree[a]] * root));
    m.wk.push_back(static_cast<float>(root));
  }
  return m;
}

namespace {

// Unweighted monomials (root·x)^α of one row into out[0..r) (stride `stride`).
void monomial_row(const Monomials& m, const float* x, std::size_t d, float root, float* out,
                  std::size_t stride) {
  float xs[4096];
  for (std::size_t k = 0; k < d; ++k) xs[k] = x[k] * root;
  out[0] = 1.0f;
  for (std::size_t a = 1; a < m.parent.size(); ++a)
    out[a * stride] = out[m.parent[a] * stride] * xs[m.var[a]];
}


}  // namespace

double max_row_norm(const float* X, std::size_t n, std::size_t d) {
  double best = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double s = 0;
    for (std::size_t k = 0; k < d; ++k) s += double(X[i * d + k]) * X[i * d + k];
    best = std::max(best, s);
  }
  return std::sqrt(best);
}

std::vector<double> poly_coefficients(const std::string& poly, int degree, double R) {
  require(degree >= 0 && degree <= kMaxDegree, "degree", degree, "in [0, 12]");
  std::vector<double> c(degree + 1);
  if (poly == "taylor") {
    double f = 1;
    for (int k = 0; k <= degree; ++k) {
      if (k > 0) f *= k;
      c[k] = 1 / f;
    }
    return c;
  }
  if (poly != "chebyshev") throw Error("poly", "got '" + poly + "', must be taylor or chebyshev");
  // Interpolate eˣ at the g+1 Chebyshev nodes of [−R, R]: coefficients a_j of
  // Σ a_j T_j(x/R), then T_j expanded in powers of t = x/R, then t^k = x^k/R^k.
  const double r = std::max(R, 1e-6);
  const int N = degree + 1;
  std::vector<double> a(N, 0.0);
  for (int j = 0; j < N; ++j) {
    for (int i = 0; i < N; ++i) {
      const double theta = M_PI * (i + 0.5) / N;
      a[j] += std::exp(r * std::cos(theta)) * std::cos(j * theta);
    }
    a[j] *= (j == 0 ? 1.0 : 2.0) / N;
  }
  std::vector<double> prev(N, 0.0), cur(N, 0.0), b(N, 0.0);  // T_{j−1}, T_j in powers of t
  prev[0] = 1;
  if (N > 1) cur[1] = 1;
  for (int k = 0; k < N; ++k) b[k] += a[0] * prev[k];
  for (int j = 1; j < N; ++j) {
    for (int k = 0; k < N; ++k) b[k] += a[j] * cur[k];
    std::vector<double> next(N, 0.0);  // T_{j+1} = 2t T_j − T_{j−1}
    for (int k = 0; k + 1 < N; ++k) next[k + 1] += 2 * cur[k];
    for (int k = 0; k < N; ++k) next[k] -= prev[k];
    prev = cur;
    cur = next;
  }
  for (int k = 0; k < N; ++k) c[k] = b[k] / std::pow(r, k);
  return c;
}

double poly_max_rel_error(const std::vector<double>& c, double R) {
  const int points = 20001;
  double worst = 0;
  for (int i = 0; i < points; ++i) {
    const double x = R == 0 ? 0 : -R + 2 * R * i / (points - 1);
    double p = 0;
    for (std::size_t k = c.size(); k-- > 0;) p = p * x + c[k];
    worst = std::max(worst, std::fabs(p - std::exp(x)) / std::exp(x));
  }
  return worst;
}

double poly_rank(std::size_t d, int degree) {
  double r = 1;  // C(d+g, g) = Π_{k=1..g} (d+k)/k
  for (int k = 1; k <= degree; ++k) r = r * (double(d) + k) / k;
  return std::round(r);
}

void polynomial(const Problem& p, const Params& params, float* O, float*, Stats& stats) {
  const std::size_t n = p.n, d = p.d;
  const double s = resolved_scale(params, d);
  const double q_norm = max_row_norm(p.Q, n, d), k_norm = max_row_norm(p.K, n, d);
  const double score_range = s * q_norm * k_norm;
  const double R = params.R > 0 ? params.R : score_range;
  require(R <= kMaxR, "R", R,
          "<= 64 (the inputs' score range scale·max|q|·max|k| is too wide for float32 sums of e^R over 2^24 keys)");
  const std::vector<double> c = poly_coefficients(params.poly, params.degree, R);
  const Monomials m = poly_monomials(d, c);
  const std::size_t r = m.parent.size();
  const int threads = resolve_threads(params.threads);
  const double balance = q_norm > 0 && k_norm > 0 ? std::sqrt(k_norm / q_norm) : 1.0;
  const float root_q = static_cast<float>(std::sqrt(s) * balance), root_k = static_cast<float>(std::sqrt(s) / balance);
  // φ(q) = wq ⊙ monomials(√s·a·q), ψ(k) = wk ⊙ monomials(√s·k/a): φ(q)·ψ(k) = P(s·q·k).
  auto features = [&](const std::vector<float>& w, float root) {
    return [&, w_ = &w, root](const float* X, std::size_t rows, float* out) {
      for (std::size_t i = 0; i < rows; ++i) {
        float* row = out + i * r;
        monomial_row(m, X + i * d, d, root, row, 1);
        for (std::size_t a = 0; a < r; ++a) row[a] *= (*w_)[a];
      }
    };
  };
  // The sums and products (and the causal exact-in-P diagonal blocks) are
  // feature_attention's, in 64-row blocks.
  const FeatureStats f = feature_attention(p, r, params.causal, threads, features(m.wq, root_q),
                                            features(m.wk, root_k), O, kBlock);
  const double min_den = f.min_denominator, negative = f.bad_denominators, nonfinite = f.nonfinite_outputs;
  stats.push_back({"degree", params.degree});
  stats.push_back({"min_denominator", min_den});
  stats.push_back({"negative_denominators", negative});  // ≤ 0 or not finite
  stats.push_back({"nonfinite_outputs", nonfinite});  // float overflow of P's terms
}

// The facts about a run that need not be timed with it: the rank, the
// interval, and the fit's worst relative error on a 20,001-point grid of it
// (with the error bound it implies when every score lies inside).
void polynomial_describe(const Problem& p, const Params& params, Stats& stats) {
  const std::size_t n = p.n, d = p.d;
  const double score_range = resolved_scale(params, d) * max_row_norm(p.Q, n, d) * max_row_norm(p.K, n, d);
  const double R = params.R > 0 ? params.R : score_range;
  const double eps = poly_max_rel_error(poly_coefficients(params.poly, params.degree, R), R);
  stats.push_back({"rank", poly_rank(d, params.degree)});
  stats.push_back({"R", R});
  stats.push_back({"score_range", score_range});
  stats.push_back({"poly_max_rel_error", eps});
  stats.push_back({"error_bound", eps < 1 && R >= score_range ? 2 * eps / (1 - eps) : INFINITY});
}

}  // namespace subquad::attention
