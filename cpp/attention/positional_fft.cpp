// Positional attention (diagonal W_Δ, positional_reference.cpp) by the
// polynomial method + FFT, THEORY-2.md §1 (our reconstruction of Alman & Song,
// arXiv 2505.11892; numpy reference in its appendix):
//   M = scale · Σ_l diag(Q_{:,l}) · T_l · diag(K_{:,l}),  (T_l)_{ij} = w_{i−j, l}  (Toeplitz),
//   P(x) = Σ_k c_k x^k ≈ eˣ on [−R, R]  (Chebyshev or Taylor, the polynomial method's fit),
//   P(M) = Σ_{α ∈ ℕ^d, |α| ≤ g} diag(u_α) · Toep(t_α) · diag(v_α),
//     u_α(i) = c_|α| (|α|!/α!) scale^|α| Π_l Q_il^α_l,  v_α(j) = Π_l K_jl^α_l,  t_α(Δ) = Π_l
//     w_{Δ,l}^α_l,
// so out = Σ_α u_α ∘ Toep(t_α)(v_α ∘ [V 1]) and O = out[:, :d] ⊘ out[:, d].
// C(d+g, g) pieces, each one Toeplitz product of d+1 columns by FFT (toeplitz.hpp):
// O(C(d+g, g) · d · n log n), memory O(n·d) per thread; the n×n matrix is never formed.
// Causal: t_α(Δ) = 0 for Δ < 0. Threads over pieces, one accumulator each, summed in double.
//
// The support S: `diagonal` (σ = (l, l), w_σ = column l of the input W, |S| = d) or `rope`
// (standard RoPE, W_{i−j} = R_{j−i}: per pair (a, b) the four entries (a,a) cos, (a,b) −sin,
// (b,a) sin, (b,b) cos of the angle −Δ·θ_t; |S| = 2d, no W). In general a piece's variables
// are support entries σ = (l1, l2): u gets Q_{:,l1}, v gets K_{:,l2}, t gets w_σ; the
// multinomial expansion above is over α ∈ ℕ^|S|, C(|S|+g, g) pieces.
//
// R defaults to a bound on |M| that holds for every entry, scale · Σ_l max|Q_l| max|w_l| max|K_l|,
// so the polynomial method's error bound holds: ‖O − Att‖_∞ ≤ 2ε/(1 − ε) · max|V|
// (polynomial.cpp for the derivation; ε = P's worst relative error on [−R, R]).
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "attention/toeplitz.hpp"
#include "common/error.hpp"
#include "common/threads.hpp"

namespace subquad::attention {

namespace {

// Multisets of at most g variables out of m in graded order (as polynomial.cpp):
// piece a = its parent times variable var[a] (≥ the parent's last).
struct Pieces {
  std::vector<std::size_t> parent, var;
  std::vector<int> degree;
  std::vector<double> multinomial;  // |α|!/α!
};

Pieces pieces(std::size_t m, int g) {
  Pieces pc;
  std::vector<std::size_t> last_count{0};
  pc.parent.push_back(0);
  pc.var.push_back(0);
  pc.degree.push_back(0);
  pc.multinomial.push_back(1);
  std::size_t begin = 0, end = 1;
  for (int k = 1; k <= g; ++k) {
    for (std::size_t p = begin; p < end; ++p) {
      for (std::size_t v = (k == 1 ? 0 : pc.var[p]); v < m; ++v) {
        const std::size_t count = (k > 1 && v == pc.var[p]) ? last_count[p] + 1 : 1;
        pc.parent.push_back(p);
        pc.var.push_back(v);
        pc.degree.push_back(k);
        pc.multinomial.push_back(pc.multinomial[p] * k / double(count));
        last_count.push_back(count);
      }
    }
    begin = end;
    end = pc.parent.size();
  }
  return pc;
}

// The support entries σ = (l1, l2) and their weights w_σ(Δ), row Δ + n − 1 of w (2n−1 rows × m).
struct Support {
  std::size_t m = 0;
  std::vector<std::size_t> l1, l2;
  std::vector<double> w;
};

Support support_of(const Problem& p, const Params& params) {
  const std::size_t n = p.n, d = p.d, rows = 2 * n - 1;
  Support S;
  if (params.support == "rope") {
    const std::vector<double> theta = rope_theta(d, params.rope_base);
    S.m = 2 * d;
    S.w.resize(rows * S.m);
    for (std::size_t t = 0; t < d / 2; ++t) {
      const auto [a, b] = rope_pair(t, d, params.rope_layout);
      const std::size_t s0 = 4 * t;
      S.l1.insert(S.l1.end(), {a, a, b, b});
      S.l2.insert(S.l2.end(), {a, b, a, b});
      for (std::size_t r = 0; r < rows; ++r) {
        const double phi = -(double(r) - double(n - 1)) * theta[t];  // W_Δ = R_{−Δ}
        const double c = std::cos(phi), sn = std::sin(phi);
        double* row = S.w.data() + r * S.m + s0;
        row[0] = c;
        row[1] = -sn;
        row[2] = sn;
        row[3] = c;
      }
    }
    return S;
  }
  S.m = d;
  S.w.resize(rows * d);
  for (std::size_t l = 0; l < d; ++l) {
    S.l1.push_back(l);
    S.l2.push_back(l);
  }
  for (std::size_t i = 0; i < rows * d; ++i) S.w[i] = p.W[i];
  return S;
}

double max_abs_column(const float* X, std::size_t rows, std::size_t d, std::size_t l) {
  double m = 0;
  for (std::size_t i = 0; i < rows; ++i) m = std::max(m, std::fabs(double(X[i * d + l])));
  return m;
}

double score_bound(const Problem& p, const Params& params, const Support& S) {
  const std::size_t n = p.n, d = p.d, rows = 2 * n - 1;
  double sum = 0;
  for (std::size_t s = 0; s < S.m; ++s) {
    double w = 0;
    for (std::size_t r = 0; r < rows; ++r) w = std::max(w, std::fabs(S.w[r * S.m + s]));
    sum += max_abs_column(p.Q, n, d, S.l1[s]) * w * max_abs_column(p.K, n, d, S.l2[s]);
  }
  return resolved_scale(params, d) * sum;
}

}  // namespace

double positional_score_bound(const Problem& p, const Params& params) {
  return score_bound(p, params, support_of(p, params));
}

void positional_fft(const Problem& p, const Params& params, float* O, float*, Stats& stats) {
  const std::size_t n = p.n, d = p.d, e = d + 1, m = 2 * n - 1;
  const double s = resolved_scale(params, d);
  const Support S = support_of(p, params);
  const double R = params.R > 0 ? params.R : score_bound(p, params, S);
  require(R <= kMaxR, "R", R,
          "<= 64 (the bound scale·Σ_σ max|q_l1| max|w_σ| max|k_l2| is too wide)");
  const std::vector<double> c = poly_coefficients(params.poly, params.degree, R);
  const Pieces pc = pieces(S.m, params.degree);
  const std::size_t count = pc.parent.size();
  const int threads = resolve_threads(params.threads);
  const ToeplitzFFT fft(n);

  struct Scratch {
    std::vector<double> acc, u, v, t, Z, Y;
    ToeplitzFFT::Work work;
  };
  std::vector<Scratch> scratch(threads);
  std::vector<char> used(threads, 0);
  parallel_for(count, 1, threads, [&](std::size_t a0, std::size_t a1, int worker) {
    throw_if_cancelled();
    Scratch& w = scratch[worker];
    if (!used[worker]) {
      used[worker] = 1;
      w.acc.assign(n * e, 0.0);
      w.u.resize(n);
      w.v.resize(n);
      w.t.resize(m);
      w.Z.resize(n * e);
      w.Y.resize(n * e);
    }
    for (std::size_t a = a0; a < a1; ++a) {
      const int k = pc.degree[a];
      const double coef = c[k] * pc.multinomial[a] * std::pow(s, k);
      std::fill(w.u.begin(), w.u.end(), coef);
      std::fill(w.v.begin(), w.v.end(), 1.0);
      std::fill(w.t.begin(), w.t.end(), 1.0);
      for (std::size_t b = a; b != 0;
           b = pc.parent[b]) {  // the support entries of α, one per degree
        const std::size_t sigma = pc.var[b], l1 = S.l1[sigma], l2 = S.l2[sigma];
        for (std::size_t i = 0; i < n; ++i) {
          w.u[i] *= p.Q[i * d + l1];
          w.v[i] *= p.K[i * d + l2];
        }
        for (std::size_t D = 0; D < m; ++D) w.t[D] *= S.w[D * S.m + sigma];
      }
      if (params.causal) std::fill(w.t.begin(), w.t.begin() + (n - 1), 0.0);  // Δ < 0: j > i
      for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t k2 = 0; k2 < d; ++k2) w.Z[j * e + k2] = w.v[j] * p.V[j * d + k2];
        w.Z[j * e + d] = w.v[j];
      }
      fft.apply(w.t.data(), w.Z.data(), e, w.Y.data(), w.work);
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k2 = 0; k2 < e; ++k2) w.acc[i * e + k2] += w.u[i] * w.Y[i * e + k2];
    }
  });
  std::vector<double> out(n * e, 0.0);
  for (int t = 0; t < threads; ++t)
    if (used[t])
      for (std::size_t i = 0; i < n * e; ++i) out[i] += scratch[t].acc[i];
  double negative = 0, nonfinite = 0, min_den = INFINITY;
  for (std::size_t i = 0; i < n; ++i) {
    const double den = out[i * e + d];
    min_den = std::min(min_den, den);
    if (!(den > 0)) ++negative;
    for (std::size_t k = 0; k < d; ++k) {
      O[i * d + k] = static_cast<float>(out[i * e + k] / den);
      if (!std::isfinite(O[i * d + k])) ++nonfinite;
    }
  }
  stats.push_back({"degree", params.degree});
  stats.push_back({"pieces", double(count)});
  stats.push_back({"support_size", double(S.m)});
  stats.push_back({"fft_length", double(fft.length())});
  stats.push_back({"min_denominator", min_den});
  stats.push_back({"negative_denominators", negative});
  stats.push_back({"nonfinite_outputs", nonfinite});
}

void positional_fft_describe(const Problem& p, const Params& params, Stats& stats) {
  const double bound = positional_score_bound(p, params);
  const double R = params.R > 0 ? params.R : bound;
  const double eps = poly_max_rel_error(poly_coefficients(params.poly, params.degree, R), R);
  stats.push_back({"R", R});
  stats.push_back({"score_bound", bound});
  stats.push_back({"poly_max_rel_error", eps});
  stats.push_back({"error_bound", eps < 1 && R >= bound ? 2 * eps / (1 - eps) : INFINITY});
}

double positional_fft_memory(std::size_t n, std::size_t d, std::size_t support, int threads) {
  const double e = double(d + 1);
  // Per thread: accumulator, Z and Y (n × (d+1)), u, v, t, the FFT buffers; the support's
  // weights ((2n−1) × |S|); the FFT tables; the sum.
  return threads * (8.0 * n * e * 3 + 8.0 * (4.0 * n - 1) + ToeplitzFFT::work_bytes(n, d + 1)) +
         8.0 * (2.0 * n - 1) * support + ToeplitzFFT::table_bytes(n) + 8.0 * n * e;
}

}  // namespace subquad::attention
