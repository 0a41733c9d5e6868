// The yardstick and the float64 oracle: softmax attention in double with
// obvious loops (max-subtracted exponentials), under a mask (simulate.hpp).
// reference() computes each mode's target directly from the float inputs:
// no blocks, no oracle.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/threads.hpp"
#include "simulate/simulate.hpp"

namespace subquad::simulate {

void attention_f64(const double* Q, std::size_t n, const double* K, const double* V, std::size_t nk, std::size_t w,
                   double scale, const Mask& mask, double* O, double* lse) {
  const std::size_t shift = mask.causal ? nk - n : 0;
  std::vector<double> a(nk);
  for (std::size_t i = 0; i < n; ++i) {
    if ((i & 63) == 0) throw_if_cancelled();
    const std::size_t pos = i + shift;
    auto seen = [&](std::size_t j) {
      if (mask.causal && j > pos) return false;
      if (mask.window == 0) return true;
      return j + mask.window > pos || j < mask.sinks;
    };
    double m = -INFINITY;
    for (std::size_t j = 0; j < nk; ++j) {
      if (!seen(j)) continue;
      double dot = 0;
      for (std::size_t k = 0; k < w; ++k) dot += Q[i * w + k] * K[j * w + k];
      a[j] = scale * dot;
      m = std::max(m, a[j]);
    }
    double sum = 0;
    double* o = O + i * w;
    std::fill(o, o + w, 0.0);
    for (std::size_t j = 0; j < nk; ++j) {
      if (!seen(j)) continue;
      const double e = std::exp(a[j] - m);
      sum += e;
      for (std::size_t k = 0; k < w; ++k) o[k] += e * V[j * w + k];
    }
    for (std::size_t k = 0; k < w; ++k) o[k] /= sum;
    if (lse) lse[i] = m + std::log(sum);
  }
}

void reference(const std::string& method, const Problem& p, const Params& given, double* O) {
  const Params params = resolved(given, p.n);
  const std::size_t n = p.n, d = p.d;
  const double scale = resolved_scale(params, d);
  const std::vector<double> Q(p.Q.data, p.Q.data + n * d), K(p.K.data, p.K.data + n * d),
      V(p.V.data, p.V.data + n * d);
  Mask mask;
  if (method == "window" || method == "sinks") {
    mask.causal = true;
    mask.window = params.window;
    mask.sinks = method == "sinks" ? params.sinks : 0;
  } else if (method != "sampled") {
    mask.causal = params.causal;
  }
  if (method != "packed") {
    attention_f64(Q.data(), n, K.data(), V.data(), n, d, scale, mask, O, nullptr);
    return;
  }
  // Packed: each run of M rows is an instance of its own.
  for (std::size_t a = 0; a < n; a += params.M) {
    const std::size_t m = std::min(params.M, n - a);
    attention_f64(Q.data() + a * d, m, K.data() + a * d, V.data() + a * d, m, d, scale, mask, O + a * d, nullptr);
  }
}

}  // namespace subquad::simulate
