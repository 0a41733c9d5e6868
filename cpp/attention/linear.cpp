// Linear attention (Katharopoulos et al. 2020, "Transformers are RNNs"):
// the softmax kernel exp(s q·k) is replaced by φ(q)·φ(k) with the positive
// feature map φ(x) = elu(x) + 1, so
//   o_i = φ(q_i)ᵀ Σ_j φ(k_j) v_jᵀ / φ(q_i)ᵀ Σ_j φ(k_j)
// costs O(n d²); causal sums over j ≤ i (the RNN form, run chunk-wise).
// As in the paper φ acts on the raw entries: `scale` is not used. The sums and
// products are feature_attention's (blocked SIMD GEMMs, threads).
#include <cmath>

#include "attention/attention.hpp"
#include "attention/feature_attention.hpp"
#include "common/threads.hpp"
#include "simd/simd.hpp"

namespace subquad::attention {

namespace {

// out[0..count) ← elu(x) + 1, four lanes at a time.
void elu_plus_one(const float* x, std::size_t count, float* out) {
  using namespace simd;
  std::size_t k = 0;
  for (; k + 4 <= count; k += 4) {
    const f32x4 v = load(x + k);
    store(out + k, select(v > splat(0.0f), v + splat(1.0f), simd::exp(min(v, splat(0.0f)))));
  }
  for (; k < count; ++k) out[k] = x[k] > 0 ? x[k] + 1.0f : simd::exp(x[k]);
}

}  // namespace

void linear(const Problem& p, const Params& params, float* O, float*, Stats& stats) {
  const std::size_t d = p.d;
  const FeatureMap phi = [d](const float* X, std::size_t rows, float* out) { elu_plus_one(X, rows * d, out); };
  const FeatureStats f = feature_attention(p, d, params.causal, resolve_threads(params.threads), phi, phi, O);
  // φ > 0, so a bad denominator or output can only be float overflow (entries near kMaxEntry).
  stats.push_back({"bad_denominators", f.bad_denominators});  // ≤ 0 or not finite
  stats.push_back({"nonfinite_outputs", f.nonfinite_outputs});
}

}  // namespace subquad::attention
