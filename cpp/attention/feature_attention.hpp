// Attention through a positive feature map (linear attention, Performer):
//   o_i = Σ_j (f_i·g_j) [v_j 1] / its last column,  j over all keys (j ≤ i when causal),
// f_i = features of query i, g_j of key j, r per row. Both maps are callbacks
// that fill a block of rows (they run on several threads at once).
//
// Blocks of 256 rows (or `block`), every product on the SIMD micro-kernel, threads over
// blocks. Non-causal: one summary S = Σ_b G_bᵀ[V_b 1] (r × (d+1), block
// products added in double), then F·S. Causal (the chunked form of
// "Transformers are RNNs"): each block's summary, exclusive prefix sums over
// blocks in double, then per block F_b·prefix_b + mask(F_b G_bᵀ)·[V_b 1] with
// the mask keeping j ≤ i. Internal to cpp/attention/.
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>

#include "attention/attention.hpp"

namespace subquad::attention {

// Fills out[rows × r] with the features of rows X[0..rows) (d floats each).
using FeatureMap = std::function<void(const float* X, std::size_t rows, float* out)>;

constexpr std::size_t kFeatureBlock = 256;  // rows per block unless told

struct FeatureStats {
  double min_denominator = INFINITY;
  double bad_denominators = 0;  // ≤ 0 or not finite (underflow, or a polynomial's negative values)
  double nonfinite_outputs = 0;
};

FeatureStats feature_attention(const Problem& p, std::size_t r, bool causal, int threads, const FeatureMap& queries,
                               const FeatureMap& keys, float* O, std::size_t block = kFeatureBlock);

// Extra memory of feature_attention (bytes), for the cost models.
double feature_attention_memory(std::size_t n, std::size_t d, std::size_t r, bool causal, int threads,
                                std::size_t block = kFeatureBlock);

}  // namespace subquad::attention
