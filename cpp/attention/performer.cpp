// Performer attention, FAVOR+ (Choromanski et al. 2021, "Rethinking Attention
// with Performers"): positive random features
//   φ(x)_l = exp(w_l·x′ − ‖x′‖²/2) / √m,  x′ = √s·x,
// satisfy E[φ(q)·φ(k)] = exp(s q·k) for w_l ~ N(0, I). The w_l are drawn in
// blocks of d orthogonal directions (Gram–Schmidt of a Gaussian matrix) with
// chi-distributed lengths (norms of fresh Gaussian vectors), seeded by `seed`.
// Stability: a per-row constant is subtracted from the query exponents and
// one global constant from the key exponents; both cancel in the ratio
//   o_i = φ(q_i)ᵀ Σ_j φ(k_j)[v_j 1]ᵀ, last column the denominator.
// Causal: the sums as prefix sums, in double, one row at a time. Non-causal:
// every product (features X·Wᵀ, the summary φ(K)ᵀ[V 1], and φ(Q)·summary)
// runs on the SIMD micro-kernel over 256-row blocks with threads, exps four
// lanes at a time, block summaries added in double. Zero denominators
// (underflow) are counted.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "simd/gemm.hpp"
#include "simd/simd.hpp"

namespace subquad::attention {

namespace {

constexpr std::size_t kBlock = 256;  // keys (or query rows) per block

std::size_t round_up(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

// row[0..m) ← exp(row − c), four lanes at a time; returns nothing.
void exp_shifted(float* row, std::size_t m, float c) {
  using namespace simd;
  const f32x4 vc = splat(c);
  std::size_t l = 0;
  for (; l + 4 <= m; l += 4) store(row + l, simd::exp(load(row + l) - vc));
  for (; l < m; ++l) row[l] = simd::exp(row[l] - c);
}

void performer_parallel(const Problem& p, const Params& params, const std::vector<double>& W, float* O,
                        Stats& stats) {
  const std::size_t n = p.n, d = p.d, e = round_up(d + 1, 4), m = static_cast<std::size_t>(params.features);
  const double s = resolved_scale(params, d), root_s = std::sqrt(s);
  const int threads = resolve_threads(params.threads);
  std::vector<float> Wt(d * m);  // √s·Wᵀ, so X·Wt = w_l·x′
  for (std::size_t l = 0; l < m; ++l)
    for (std::size_t k = 0; k < d; ++k) Wt[k * m + l] = static_cast<float>(root_s * W[l * d + k]);
  struct Scratch {
    std::vector<float> Z, Ft, VE, part, half_sq;
    std::vector<double> S;
    float max = -INFINITY;
    double zero_den = 0;
  };
  std::vector<Scratch> scratch(threads);
  for (auto& sc : scratch) {
    sc.Z.resize(kBlock * m);
    sc.Ft.resize(m * kBlock);
    sc.VE.assign(kBlock * e, 0.0f);
    sc.part.resize(m * e);
    sc.half_sq.resize(kBlock);
    sc.S.assign(m * e, 0.0);
  }
  // Z[r][l] = w_l·x′ − ‖x′‖²/2 for rows [r0, r0 + rows) of X.
  auto exponents = [&](Scratch& sc, const float* X, std::size_t rows) {
    simd::gemm(rows, m, d, X, d, Wt.data(), m, sc.Z.data(), m, false);
    for (std::size_t r = 0; r < rows; ++r) {
      double sq = 0;
      for (std::size_t k = 0; k < d; ++k) sq += double(X[r * d + k]) * X[r * d + k];
      sc.half_sq[r] = static_cast<float>(s * sq / 2);
    }
  };
  // The keys' largest exponent: one constant that cancels in the ratio.
  parallel_for(n, kBlock, threads, [&](std::size_t j0, std::size_t j1, int worker) {
    throw_if_cancelled();
    Scratch& sc = scratch[worker];
    exponents(sc, p.K + j0 * d, j1 - j0);
    for (std::size_t r = 0; r < j1 - j0; ++r)
      sc.max = std::max(sc.max, simd::max_of(sc.Z.data() + r * m, m) - sc.half_sq[r]);
  });
  float key_max = -INFINITY;
  for (const auto& sc : scratch) key_max = std::max(key_max, sc.max);
  // Summary Σ_j φ(k_j)[v_j 1]ᵀ, m × e.
  parallel_for(n, kBlock, threads, [&](std::size_t j0, std::size_t j1, int worker) {
    throw_if_cancelled();
    Scratch& sc = scratch[worker];
    const std::size_t rows = j1 - j0;
    exponents(sc, p.K + j0 * d, rows);
    for (std::size_t r = 0; r < rows; ++r) {
      float* z = sc.Z.data() + r * m;
      exp_shifted(z, m, key_max + sc.half_sq[r]);
      for (std::size_t l = 0; l < m; ++l) sc.Ft[l * kBlock + r] = z[l];
      std::copy(p.V + (j0 + r) * d, p.V + (j0 + r + 1) * d, sc.VE.data() + r * e);
      sc.VE[r * e + d] = 1.0f;
    }
    simd::gemm(m, e, rows, sc.Ft.data(), kBlock, sc.VE.data(), e, sc.part.data(), e, false);
    for (std::size_t t = 0; t < m * e; ++t) sc.S[t] += sc.part[t];
  });
  std::vector<float> S(m * e);
  for (std::size_t t = 0; t < m * e; ++t) {
    double sum = 0;
    for (const auto& sc : scratch) sum += sc.S[t];
    S[t] = static_cast<float>(sum);
  }
  // Outputs: φ(q_i) with its own max subtracted, times the summary.
  parallel_for(n, kBlock, threads, [&](std::size_t i0, std::size_t i1, int worker) {
    throw_if_cancelled();
    Scratch& sc = scratch[worker];
    const std::size_t rows = i1 - i0;
    exponents(sc, p.Q + i0 * d, rows);
    for (std::size_t r = 0; r < rows; ++r) {
      float* z = sc.Z.data() + r * m;
      exp_shifted(z, m, simd::max_of(z, m));
    }
    float* out = sc.VE.data();  // rows × e
    simd::gemm(rows, e, m, sc.Z.data(), m, S.data(), e, out, e, false);
    for (std::size_t r = 0; r < rows; ++r) {
      const float den = out[r * e + d];
      if (!(den > 0)) sc.zero_den += 1;
      for (std::size_t k = 0; k < d; ++k) O[(i0 + r) * d + k] = out[r * e + k] / den;
    }
  });
  double zero_den = 0;
  for (const auto& sc : scratch) zero_den += sc.zero_den;
  stats.push_back({"features", static_cast<double>(m)});
  stats.push_back({"negative_denominators", zero_den});
}

// m × d orthogonal random features (rows), blocks of d orthogonal rows.
std::vector<double> orthogonal_features(std::size_t m, std::size_t d, std::uint64_t seed) {
  Rng rng(seed * 0x9E3779B97F4A7C15ull + 0x5eed);
  std::vector<double> W(m * d);
  for (std::size_t b0 = 0; b0 < m; b0 += d) {
    const std::size_t rows = std::min(d, m - b0);
    for (std::size_t r = 0; r < rows; ++r) {
      double* w = W.data() + (b0 + r) * d;
      for (std::size_t k = 0; k < d; ++k) w[k] = rng.gaussian();
      for (std::size_t q = 0; q < r; ++q) {  // Gram–Schmidt against the block so far
        const double* u = W.data() + (b0 + q) * d;
        double dot = 0;
        for (std::size_t k = 0; k < d; ++k) dot += w[k] * u[k];
        for (std::size_t k = 0; k < d; ++k) w[k] -= dot * u[k];
      }
      double norm = 0;
      for (std::size_t k = 0; k < d; ++k) norm += w[k] * w[k];
      norm = std::sqrt(norm);
      for (std::size_t k = 0; k < d; ++k) w[k] /= norm;
    }
    for (std::size_t r = 0; r < rows; ++r) {  // lengths of Gaussian vectors
      double len = 0;
      for (std::size_t k = 0; k < d; ++k) {
        const double g = rng.gaussian();
        len += g * g;
      }
      len = std::sqrt(len);
      for (std::size_t k = 0; k < d; ++k) W[(b0 + r) * d + k] *= len;
    }
  }
  return W;
}

}  // namespace

void performer(const Problem& p, const Params& params, float* O, Stats& stats) {
  const std::size_t n = p.n, d = p.d, e = d + 1, m = static_cast<std::size_t>(params.features);
  const double root_s = std::sqrt(resolved_scale(params, d));
  const std::vector<double> W = orthogonal_features(m, d, params.seed);
  if (!params.causal) {
    performer_parallel(p, params, W, O, stats);
    return;
  }
  std::vector<double> z(m);
  // z_l = w_l·x′ − ‖x′‖²/2 for one row.
  auto exponents = [&](const float* x) {
    double sq = 0;
    for (std::size_t k = 0; k < d; ++k) sq += root_s * x[k] * root_s * x[k];
    for (std::size_t l = 0; l < m; ++l) {
      double dot = 0;
      for (std::size_t k = 0; k < d; ++k) dot += W[l * d + k] * root_s * x[k];
      z[l] = dot - sq / 2;
    }
  };
  double key_max = -INFINITY;
  for (std::size_t j = 0; j < n; ++j) {
    if (j % 256 == 0) throw_if_cancelled();
    exponents(p.K + j * d);
    for (std::size_t l = 0; l < m; ++l) key_max = std::max(key_max, z[l]);
  }
  std::vector<double> S(m * e, 0.0), fq(m);
  auto add_key = [&](std::size_t j) {
    exponents(p.K + j * d);
    for (std::size_t l = 0; l < m; ++l) {
      const double f = std::exp(z[l] - key_max);
      for (std::size_t k = 0; k < d; ++k) S[l * e + k] += f * p.V[j * d + k];
      S[l * e + d] += f;
    }
  };
  double zero_den = 0;
  auto output_row = [&](std::size_t i) {
    exponents(p.Q + i * d);
    const double zmax = *std::max_element(z.begin(), z.end());
    for (std::size_t l = 0; l < m; ++l) fq[l] = std::exp(z[l] - zmax);
    double den = 0;
    for (std::size_t l = 0; l < m; ++l) den += fq[l] * S[l * e + d];
    if (!(den > 0)) zero_den += 1;
    for (std::size_t k = 0; k < d; ++k) {
      double num = 0;
      for (std::size_t l = 0; l < m; ++l) num += fq[l] * S[l * e + k];
      O[i * d + k] = static_cast<float>(num / den);
    }
  };
  for (std::size_t j = 0; j < n; ++j) {
    if (j % 256 == 0) throw_if_cancelled();
    add_key(j);
    output_row(j);
  }
  stats.push_back({"features", static_cast<double>(m)});
  stats.push_back({"negative_denominators", zero_den});
}

}  // namespace subquad::attention
