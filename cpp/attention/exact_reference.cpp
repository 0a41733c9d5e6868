// The yardstick: obvious loops, double accumulation, max-subtracted softmax.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"

namespace subquad::attention {

void exact_reference_row(const Problem& p, const Params& params, std::size_t i, double* o) {
  const std::size_t n = p.n, d = p.d;
  const double scale = resolved_scale(params, d);
  std::vector<double> s(n);
  {
    const std::size_t keys = params.causal ? i + 1 : n;
    double m = -INFINITY;
    for (std::size_t j = 0; j < keys; ++j) {
      if (params.diagonal && j == i) {
        s[j] = -INFINITY;
        continue;
      }
      double dot = 0;
      for (std::size_t k = 0; k < d; ++k) dot += double(p.Q[i * d + k]) * double(p.K[j * d + k]);
      s[j] = scale * dot;
      m = std::max(m, s[j]);
    }
    double sum = 0;
    std::fill(o, o + d, 0.0);
    for (std::size_t j = 0; j < keys; ++j) {
      const double a = s[j] == -INFINITY ? 0.0 : std::exp(s[j] - m);
      sum += a;
      for (std::size_t k = 0; k < d; ++k) o[k] += a * double(p.V[j * d + k]);
    }
    for (std::size_t k = 0; k < d; ++k) o[k] /= sum;
  }
}

void exact_reference(const Problem& p, const Params& params, float* O, Stats&) {
  std::vector<double> o(p.d);
  for (std::size_t i = 0; i < p.n; ++i) {
    exact_reference_row(p, params, i, o.data());
    for (std::size_t k = 0; k < p.d; ++k) O[i * p.d + k] = static_cast<float>(o[k]);
  }
}

}  // namespace subquad::attention
