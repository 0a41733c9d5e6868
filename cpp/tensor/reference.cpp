// The yardstick: the triple loop in double, independent of the GEMM form.
// For query i, two passes over the pairs (j, k) it attends to: the largest
// score m, then Σ e^{score − m} and Σ e^{score − m}·(V₁[j] ∘ V₂[k]).
// Extra memory: three rows of d doubles.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/threads.hpp"
#include "tensor/tensor.hpp"

namespace subquad::tensor {

void reference_row(const Problem& p, const Params& params, std::size_t i, double* o, bool windowed) {
  const std::size_t d = p.d;
  const double s = resolved_scale(params, d);
  const Ranges r = ranges(i, p.n, params, windowed);
  std::vector<double> a(d), v(d);
  auto score = [&](std::size_t k) {
    double t = 0;
    for (std::size_t l = 0; l < d; ++l) t += a[l] * p.K2[k * d + l];
    return s * t;
  };
  double m = -INFINITY;
  for (std::size_t j = r.j0; j < r.j1; ++j) {
    for (std::size_t l = 0; l < d; ++l) a[l] = double(p.Q[i * d + l]) * p.K1[j * d + l];
    for (std::size_t k = r.k0; k < r.k1; ++k) m = std::max(m, score(k));
  }
  double sum = 0;
  std::fill(o, o + d, 0.0);
  for (std::size_t j = r.j0; j < r.j1; ++j) {
    for (std::size_t l = 0; l < d; ++l) a[l] = double(p.Q[i * d + l]) * p.K1[j * d + l];
    std::fill(v.begin(), v.end(), 0.0);
    for (std::size_t k = r.k0; k < r.k1; ++k) {
      const double e = std::exp(score(k) - m);
      sum += e;
      for (std::size_t l = 0; l < d; ++l) v[l] += e * p.V2[k * d + l];
    }
    for (std::size_t l = 0; l < d; ++l) o[l] += double(p.V1[j * d + l]) * v[l];
  }
  for (std::size_t l = 0; l < d; ++l) o[l] /= sum;
}

void reference(const Problem& p, const Params& params, float* O, Stats&) {
  std::vector<double> o(p.d);
  for (std::size_t i = 0; i < p.n; ++i) {
    throw_if_cancelled();
    reference_row(p, params, i, o.data());
    for (std::size_t l = 0; l < p.d; ++l) O[i * p.d + l] = static_cast<float>(o[l]);
  }
}

}  // namespace subquad::tensor
