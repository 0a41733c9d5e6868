// The polynomial method for Gaussian kernels (THEORY-2.md §6; Aggarwal–Alman,
// arXiv 2205.06249; ACSS, arXiv 2011.02466). Our concrete version:
//
// distance form (default). With x̃ centred and divided by h, R² = max‖x̃‖² and
// B = 4R² ≥ every t = ‖x̃_i − x̃_j‖², write s = t − B/2 ∈ [−B/2, B/2] as
//   s = ⟨u_i, v_j⟩,  u = (‖x̃‖² − R², 1, −2x̃),  v = (1, ‖x̃‖² − R², x̃)  ∈ ℝ^{d+2},
// interpolate f(s) = e^{−(s + B/2)} = e^{−t} at g+1 Chebyshev nodes, convert to
// p(s) = Σ_k a_k s^k and expand s^k by the multinomial theorem: A ≈ U Vᵀ with
// rank r = C(d+2+g, g). The centring (s instead of t) is what keeps the
// power series usable: Σ_k |a_k|·B^k (κ, the size of the sums rounding acts on,
// since Σ_l |u_l v_l| ≤ B) grows like e^{B/2} instead of the e^{B} of the series
// in t, and everything is accumulated in double (float32 would lose
// ~6e−8·κ). In double the measured sup-error stays the bound up to B ≈ 40–60
// at δ = 1e−6 (tests and the bench's sweep measure it).
//
// product form: e^{−‖x̃−ỹ‖²} = e^{−‖x̃‖²}e^{−‖ỹ‖²}e^{2⟨x̃,ỹ⟩}, p(s) ≈ e^s on
// s = 2⟨x̃,ỹ⟩ ∈ [−B/2, B/2] to relative error ε: |A_ij − Ã_ij| ≤ ε A_ij. Rank
// C(d+g, g) (d variables, not d+2) but the degree grows like B, not √B.
//
// Bound (both forms): |A w − ỹ|_i ≤ Σ_j |A_ij − Ã_ij||w_j| ≤ δ‖w‖₁ with δ the
// measured sup-error of the polynomial on its interval (plus rounding, ~κ·2^−52).
// y = U(Vᵀw): Vᵀw (r×c) summed over row blocks (a partial per thread), then
// each row's monomials are made and dotted with it — U is never stored.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.hpp"
#include "common/threads.hpp"
#include "kernel/columns.hpp"
#include "kernel/kernel.hpp"

namespace subquad::kernel {

double rank_of(std::size_t D, int g) {
  double r = 1;
  for (int i = 1; i <= g; ++i) r = r * double(D + i) / i;
  return std::round(r);
}

double polynomial_rank(const std::string& factor, std::size_t d, int g) {
  return rank_of(factor == "product" ? d : d + 2, g);
}

Monomials::Monomials(std::size_t D_, int g_) : D(D_), g(g_) {
  offset.assign(g + 2, 0);
  suffix.assign(std::size_t(g + 1) * D, 0);
  offset[1] = 1;
  multinomial = {1.0};
  degree = {0};
  std::vector<std::size_t> minvar = {D};  // the monomial 1: no variable
  std::vector<int> count = {0};
  for (int k = 1; k <= g; ++k) {
    const std::size_t prev = offset[k - 1], prev_size = offset[k] - offset[k - 1];
    std::size_t start = 0;
    for (std::size_t l = 0; l < D; ++l) {
      suffix[std::size_t(k) * D + l] = start;
      const std::size_t from = suffix[std::size_t(k - 1) * D + l];
      for (std::size_t t = from; t < prev_size; ++t) {
        const std::size_t parent = prev + t;
        const int a = (minvar[parent] == l ? count[parent] : 0) + 1;  // α_l of the new monomial
        multinomial.push_back(multinomial[parent] * k / a);
        degree.push_back(k);
        minvar.push_back(l);
        count.push_back(a);
      }
      start += prev_size - from;
    }
    offset[k + 1] = offset[k] + start;
  }
  r = offset[g + 1];
}

void Monomials::eval(const double* u, double* m) const {
  m[0] = 1;
  for (int k = 1; k <= g; ++k) {
    double* dst = m + offset[k];
    const std::size_t prev = offset[k - 1], prev_size = offset[k] - offset[k - 1];
    for (std::size_t l = 0; l < D; ++l) {
      const std::size_t from = suffix[std::size_t(k - 1) * D + l], len = prev_size - from;
      const double* src = m + prev + from;
      const double ul = u[l];
      for (std::size_t t = 0; t < len; ++t) dst[t] = ul * src[t];
      dst += len;
    }
  }
}

namespace {

constexpr int kSamples = 16384;  // sup-error grid: misses the true sup by < 1e−4 relative for g ≤ 64

// Chebyshev interpolation of f on σ ∈ [−1, 1] at g+1 nodes, as monomial
// coefficients in σ (double).
template <class F>
std::vector<double> chebyshev_monomials(int g, F f) {
  const int m = g + 1;
  std::vector<double> fv(m), c(m, 0.0);
  for (int j = 0; j < m; ++j) fv[j] = f(std::cos(M_PI * (j + 0.5) / m));
  for (int k = 0; k < m; ++k) {
    double s = 0;
    for (int j = 0; j < m; ++j) s += fv[j] * std::cos(M_PI * k * (j + 0.5) / m);
    c[k] = (k == 0 ? 1.0 : 2.0) * s / m;
  }
  // Σ c_k T_k(σ) → Σ a_k σ^k by T_{k+1} = 2σT_k − T_{k−1}.
  std::vector<double> a(m, 0.0), t0(m, 0.0), t1(m, 0.0), t2(m, 0.0);
  t0[0] = 1;
  a[0] += c[0];
  if (m > 1) {
    t1[1] = 1;
    a[1] += c[1];
  }
  for (int k = 2; k < m; ++k) {
    for (int i = 0; i < m; ++i) t2[i] = (i > 0 ? 2 * t1[i - 1] : 0.0) - t0[i];
    for (int i = 0; i < m; ++i) a[i] += c[k] * t2[i];
    t0.swap(t1);
    t1.swap(t2);
  }
  return a;
}

double horner(const std::vector<double>& a, double x) {
  double p = 0;
  for (std::size_t k = a.size(); k-- > 0;) p = p * x + a[k];
  return p;
}

// a in σ = s/half → a in s; the sup of err(σ) over the grid; κ = Σ|a_σ,k|·scale^k.
template <class Err>
Fit finish(std::vector<double> a, double half, double kappa_scale, Err err) {
  Fit fit;
  for (std::size_t k = 0; k < a.size(); ++k) fit.kappa += std::fabs(a[k]) * std::pow(kappa_scale, double(k));
  for (int j = 0; j <= kSamples; ++j) {
    const double sigma = -1.0 + 2.0 * j / kSamples;
    const double e = err(sigma, horner(a, sigma));
    fit.sup_error = std::isnan(e) ? INFINITY : std::max(fit.sup_error, e);
  }
  if (!std::isfinite(fit.kappa)) fit.sup_error = INFINITY;
  double scale = 1;
  for (auto& v : a) {
    v /= scale;
    scale *= half;
  }
  fit.a = std::move(a);
  return fit;
}

}  // namespace

Fit fit_distance(double B, int g) {
  const double half = std::max(B / 2, 1e-12);
  auto f = [&](double sigma) { return std::exp(-(sigma * half + half)); };
  // Σ_l|u_l v_l| ≤ B = 2·half: κ = Σ|a_σ,k|·2^k.
  return finish(chebyshev_monomials(g, f), half, 2.0,
                [&](double sigma, double p) { return std::fabs(p - f(sigma)); });
}

Fit fit_product(double B, int g) {
  const double half = std::max(B / 2, 1e-12);
  auto f = [&](double sigma) { return std::exp(sigma * half); };
  // Σ_l|u_l v_l| ≤ 2‖x̃‖‖ỹ‖ ≤ B/2 = half: κ = Σ|a_σ,k|.
  return finish(chebyshev_monomials(g, f), half, 1.0,
                [&](double sigma, double p) { return std::fabs(p / f(sigma) - 1); });
}

int degree_for(const std::string& factor, double B, double error) {
  auto fit = [&](int g) { return factor == "product" ? fit_product(B, g) : fit_distance(B, g); };
  // Start near the Aggarwal–Alman estimate and walk to the least degree that meets it.
  const double est = factor == "product" ? 1.3 * B / 2 : std::sqrt(std::max(B, 0.0) * std::log(1 / error));
  int g = std::clamp(int(est * 0.6), 0, kMaxDegree);
  if (fit(g).sup_error <= error) {
    while (g > 0 && fit(g - 1).sup_error <= error) --g;
    return g;
  }
  while (++g <= kMaxDegree)
    if (fit(g).sup_error <= error) return g;
  return -1;
}

namespace {

constexpr std::size_t kBlock = 256;  // rows per parallel_for block

template <int C>
void apply(const Points& pts, const Params& params, const Monomials& M, const std::vector<double>& coef,
           bool distance, const double* W, double* Y) {
  const std::size_t n = pts.n, d = pts.d, r = M.r;
  const double R2 = pts.R2;
  const int threads = resolve_threads(params.threads);
  // The features of row i: u (x side) or v (y side), and its scale.
  auto features = [&](std::size_t i, bool x_side, double* f) {
    const double* x = pts.x.data() + i * d;
    double s = 0;
    for (std::size_t k = 0; k < d; ++k) s += x[k] * x[k];
    if (distance) {
      f[0] = x_side ? s - R2 : 1.0;
      f[1] = x_side ? 1.0 : s - R2;
      for (std::size_t k = 0; k < d; ++k) f[2 + k] = x_side ? -2 * x[k] : x[k];
      return 1.0;
    }
    for (std::size_t k = 0; k < d; ++k) f[k] = x_side ? 2 * x[k] : x[k];
    return std::exp(-s);
  };
  std::vector<double> partial(std::size_t(threads) * r * C, 0.0), mono(std::size_t(threads) * r);
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  // Vᵀw: S[m·C + k] = Σ_j τ_j w_kj v_j^α.
  parallel_for(blocks, 1, threads, [&](std::size_t b0, std::size_t b1, int worker) {
    double* S = partial.data() + std::size_t(worker) * r * C;
    double* m = mono.data() + std::size_t(worker) * r;
    double f[kMaxD + 2];
    for (std::size_t b = b0; b < b1; ++b) {
      throw_if_cancelled();
      for (std::size_t j = b * kBlock; j < std::min(n, (b + 1) * kBlock); ++j) {
        const double tau = features(j, false, f);
        M.eval(f, m);
        double tw[C];
        for (int k = 0; k < C; ++k) tw[k] = tau * W[k * n + j];
        for (std::size_t q = 0; q < r; ++q)
          for (int k = 0; k < C; ++k) S[q * C + k] += m[q] * tw[k];
      }
    }
  });
  std::vector<double> S(r * C, 0.0);
  for (int t = 0; t < threads; ++t)
    for (std::size_t q = 0; q < r * C; ++q) S[q] += partial[std::size_t(t) * r * C + q];
  for (std::size_t q = 0; q < r; ++q)
    for (int k = 0; k < C; ++k) S[q * C + k] *= coef[q];
  // U (Vᵀw), a row's monomials at a time.
  parallel_for(blocks, 1, threads, [&](std::size_t b0, std::size_t b1, int worker) {
    double* m = mono.data() + std::size_t(worker) * r;
    double f[kMaxD + 2];
    for (std::size_t b = b0; b < b1; ++b) {
      throw_if_cancelled();
      for (std::size_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) {
        const double sigma = features(i, true, f);
        M.eval(f, m);
        double out[C];
        dot_columns<C>(m, S.data(), r, out);
        for (int k = 0; k < C; ++k) Y[k * n + i] = sigma * out[k];
      }
    }
  });
}

}  // namespace

void polynomial_core(const Points& pts, const Params& params, const double* W, std::size_t c, double* Y,
                     Stats& stats) {
  if (c < 1 || c > 2) throw Error("columns", "the polynomial core takes 1 or 2 weight columns");
  const bool distance = params.factor != "product";
  const std::size_t D = distance ? pts.d + 2 : pts.d;
  const double B = pts.B;
  const char* which = params.degree > 0 ? "degree" : "error";
  // e^{s} for s up to B/2 must be a finite double (the product form's interpolant).
  if (!distance && B > kMaxProductB)
    throw Error("factor", "got product at B = " + detail::to_text(B) + ": e^{B/2} overflows double beyond B = " +
                              detail::to_text(kMaxProductB) + "; use factor distance, a wider bandwidth, or exact");
  const int g = params.degree > 0 ? params.degree : degree_for(params.factor, B, params.error);
  if (g < 0)
    throw Error("error", "got " + detail::to_text(params.error) + ": no degree ≤ 64 reaches it at B = " +
                             detail::to_text(B) + " in double precision; raise bandwidth or error, or use exact");
  const double r = rank_of(D, g);
  const int threads = resolve_threads(params.threads);
  const double memory = 16.0 * pts.n * c + 8.0 * pts.n * pts.d + 20.0 * r + 8.0 * r * c + threads * 8.0 * r * (1 + c);
  if (r > kMaxRank || memory > memory_budget_bytes())
    throw Error(which, std::string(params.degree > 0 ? "got " + std::to_string(g) : "got " + detail::to_text(params.error)) +
                           ": degree " + std::to_string(g) + " at B = " + detail::to_text(B) + " needs rank " +
                           detail::to_text(r) + " (" + detail::to_text(std::round(memory / 1048576.0)) +
                           " MiB); the limits are rank 16000000 and the memory budget " +
                           detail::to_text(std::round(memory_budget_bytes() / 1048576.0)) + " MiB");
  const Fit fit = distance ? fit_distance(B, g) : fit_product(B, g);
  // Every A_ij is in (0, 1]: a sup-error ≥ 1 bounds nothing (y = 0 would do as well).
  if (!(fit.sup_error < 1))
    throw Error(which, "got " + (params.degree > 0 ? std::to_string(g) : detail::to_text(params.error)) +
                           ": degree " + std::to_string(g) + " errs by " + detail::to_text(fit.sup_error) +
                           " ≥ 1 on the interval at B = " + detail::to_text(B) + "; raise the degree or use exact");
  const Monomials M(D, g);
  std::vector<double> coef(M.r);
  for (std::size_t q = 0; q < M.r; ++q) coef[q] = fit.a[M.degree[q]] * M.multinomial[q];
  if (c == 1)
    apply<1>(pts, params, M, coef, distance, W, Y);
  else
    apply<2>(pts, params, M, coef, distance, W, Y);
  stats.emplace_back("degree", g);
  stats.emplace_back("rank", double(M.r));
  stats.emplace_back("delta", fit.sup_error);
  stats.emplace_back("kappa", fit.kappa);
  stats.emplace_back("rounding_bound", fit.kappa * (2.0 * g + double(D) + 4) * 0x1.0p-53);
  stats.emplace_back("threads", threads);
}

}  // namespace subquad::kernel
