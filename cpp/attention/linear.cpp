// Linear attention (Katharopoulos et al. 2020, "Transformers are RNNs"):
// the softmax kernel exp(s q·k) is replaced by φ(q)·φ(k) with the positive
// feature map φ(x) = elu(x) + 1, so
//   o_i = φ(q_i)ᵀ Σ_j φ(k_j) v_jᵀ / φ(q_i)ᵀ Σ_j φ(k_j)
// costs O(n d²); causal keeps the two sums as prefix sums (the RNN form).
// As in the paper φ acts on the raw entries: `scale` is not used.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "common/threads.hpp"

namespace subquad::attention {

namespace {

double elu_plus_one(double x) { return x > 0 ? x + 1 : std::exp(x); }

}  // namespace

void linear(const Problem& p, const Params& params, float* O, Stats&) {
  const std::size_t n = p.n, d = p.d, e = d + 1;
  std::vector<double> S(d * e, 0.0), fq(d), fk(d);  // Σ φ(k) [v 1]ᵀ, d × (d+1)
  auto add_key = [&](std::size_t j) {
    for (std::size_t a = 0; a < d; ++a) fk[a] = elu_plus_one(p.K[j * d + a]);
    for (std::size_t a = 0; a < d; ++a) {
      for (std::size_t k = 0; k < d; ++k) S[a * e + k] += fk[a] * p.V[j * d + k];
      S[a * e + d] += fk[a];
    }
  };
  auto output_row = [&](std::size_t i) {
    for (std::size_t a = 0; a < d; ++a) fq[a] = elu_plus_one(p.Q[i * d + a]);
    double den = 0;
    for (std::size_t a = 0; a < d; ++a) den += fq[a] * S[a * e + d];
    for (std::size_t k = 0; k < d; ++k) {
      double num = 0;
      for (std::size_t a = 0; a < d; ++a) num += fq[a] * S[a * e + k];
      O[i * d + k] = static_cast<float>(num / den);
    }
  };
  if (params.causal) {
    for (std::size_t i = 0; i < n; ++i) {
      if (i % 1024 == 0) throw_if_cancelled();
      add_key(i);
      output_row(i);
    }
  } else {
    for (std::size_t j = 0; j < n; ++j) {
      if (j % 1024 == 0) throw_if_cancelled();
      add_key(j);
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (i % 1024 == 0) throw_if_cancelled();
      output_row(i);
    }
  }
}

}  // namespace subquad::attention
