// Performer attention, FAVOR+ (Choromanski et al. 2021, "Rethinking Attention
// with Performers"): positive random features
//   φ(x)_l = exp(w_l·x′ − ‖x′‖²/2) / √m,  x′ = √s·x,
// satisfy E[φ(q)·φ(k)] = exp(s q·k) for w_l ~ N(0, I). The w_l are drawn in
// blocks of d orthogonal directions (Gram–Schmidt of a Gaussian matrix) with
// chi-distributed lengths (norms of fresh Gaussian vectors), seeded by `seed`.
// Stability: a per-row constant is subtracted from the query exponents and
// one global constant from the key exponents; both cancel in the ratio
//   o_i = φ(q_i)ᵀ Σ_j φ(k_j)[v_j 1]ᵀ, last column the denominator.
// Causal: the sums as prefix sums. Zero denominators (underflow) are counted.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"

namespace subquad::attention {

namespace {

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
    if (params.causal) {
      add_key(j);
      output_row(j);
    } else {
      add_key(j);
    }
  }
  if (!params.causal)
    for (std::size_t i = 0; i < n; ++i) {
      if (i % 256 == 0) throw_if_cancelled();
      output_row(i);
    }
  stats.push_back({"features", static_cast<double>(m)});
  stats.push_back({"negative_denominators", zero_den});
}

}  // namespace subquad::attention
