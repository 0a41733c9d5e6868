// Performer attention, FAVOR+ (Choromanski et al. 2021, "Rethinking Attention
// with Performers"): positive random features
//   φ(x)_l = exp(w_l·x′ − ‖x′‖²/2) / √m,  x′ = √s·x,
// satisfy E[φ(q)·φ(k)] = exp(s q·k) for w_l ~ N(0, I). The w_l are drawn in
// blocks of d orthogonal directions (Gram–Schmidt of a Gaussian matrix) with
// chi-distributed lengths (norms of fresh Gaussian vectors), seeded by `seed`.
// Stability: a per-row constant is subtracted from the query exponents and
// one global constant from the key exponents; both cancel in the ratio
//   o_i = φ(q_i)ᵀ Σ_j φ(k_j)[v_j 1]ᵀ, last column the denominator.
// The sums and products are feature_attention's (blocked SIMD GEMMs over
// 256-row blocks, threads; causal chunk-wise); the exponents are one GEMM per
// block, exps four lanes at a time. Zero denominators (underflow) are counted.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "attention/feature_attention.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "simd/gemm.hpp"
#include "simd/simd.hpp"

namespace subquad::attention {

namespace {

// row[0..m) ← exp(row − c), four lanes at a time.
void exp_shifted(float* row, std::size_t m, float c) {
  using namespace simd;
  const f32x4 vc = splat(c);
  std::size_t l = 0;
  for (; l + 4 <= m; l += 4) store(row + l, simd::exp(load(row + l) - vc));
  for (; l < m; ++l) row[l] = simd::exp(row[l] - c);
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

std::vector<double> performer_features(std::size_t m, std::size_t d, std::uint64_t seed) {
  return orthogonal_features(m, d, seed);
}

void performer(const Problem& p, const Params& params, float* O, float*, Stats& stats) {
  const std::size_t n = p.n, d = p.d, m = static_cast<std::size_t>(params.features);
  const double s = resolved_scale(params, d), root_s = std::sqrt(s);
  const int threads = resolve_threads(params.threads);
  const std::vector<double> W = orthogonal_features(m, d, params.seed);
  std::vector<float> Wt(d * m);  // √s·Wᵀ, so X·Wt = w_l·x′
  for (std::size_t l = 0; l < m; ++l)
    for (std::size_t k = 0; k < d; ++k) Wt[k * m + l] = static_cast<float>(root_s * W[l * d + k]);
  // out[r][l] = w_l·x′_r − ‖x′_r‖²/2 for rows X[0..rows).
  auto exponents = [&](const float* X, std::size_t rows, float* out) {
    simd::gemm(rows, m, d, X, d, Wt.data(), m, out, m, false);
    for (std::size_t r = 0; r < rows; ++r) {
      double sq = 0;
      for (std::size_t k = 0; k < d; ++k) sq += double(X[r * d + k]) * X[r * d + k];
      const float half = static_cast<float>(s * sq / 2);
      for (std::size_t l = 0; l < m; ++l) out[r * m + l] -= half;
    }
  };
  // The keys' largest exponent: one constant that cancels in every ratio.
  std::vector<float> block_max(threads, -INFINITY);
  std::vector<std::vector<float>> Z(threads, std::vector<float>(kFeatureBlock * m));
  parallel_for(n, kFeatureBlock, threads, [&](std::size_t j0, std::size_t j1, int worker) {
    throw_if_cancelled();
    exponents(p.K + j0 * d, j1 - j0, Z[worker].data());
    block_max[worker] = std::max(block_max[worker], simd::max_of(Z[worker].data(), (j1 - j0) * m));
  });
  const float key_max = *std::max_element(block_max.begin(), block_max.end());
  const FeatureMap keys = [&](const float* X, std::size_t rows, float* out) {
    exponents(X, rows, out);
    exp_shifted(out, rows * m, key_max);
  };
  const FeatureMap queries = [&](const float* X, std::size_t rows, float* out) {
    exponents(X, rows, out);
    for (std::size_t r = 0; r < rows; ++r) exp_shifted(out + r * m, m, simd::max_of(out + r * m, m));
  };
  const FeatureStats f = feature_attention(p, m, params.causal, threads, queries, keys, O);
  stats.push_back({"features", static_cast<double>(m)});
  stats.push_back({"negative_denominators", f.bad_denominators});  // ≤ 0 (underflow) or not finite
  stats.push_back({"nonfinite_outputs", f.nonfinite_outputs});
}

}  // namespace subquad::attention
