// The yardstick: the selective-scan recurrence of THEORY.md §4, one channel at
// a time, in double precision, with std::exp. No tricks.
#include <cmath>
#include <vector>

#include "ssm/ssm.hpp"

namespace subquad::ssm {

void scan_reference_channel(const Problem& p, std::size_t c, double* y) {
  const std::size_t D = p.D, N = p.N;
  std::vector<double> h(N, 0.0);
  for (std::size_t t = 0; t < p.L; ++t) {
    const double dt = p.delta[t * D + c], xt = p.x[t * D + c];
    double out = double(p.Dskip[c]) * xt;
    for (std::size_t k = 0; k < N; ++k) {
      h[k] = std::exp(dt * double(p.A[c * N + k])) * h[k] + dt * double(p.B[t * N + k]) * xt;
      out += double(p.C[t * N + k]) * h[k];
    }
    y[t] = out;
  }
}

void scan_reference(const Problem& p, const Params&, float* y, Stats&) {
  std::vector<double> col(p.L);
  for (std::size_t c = 0; c < p.D; ++c) {
    scan_reference_channel(p, c, col.data());
    for (std::size_t t = 0; t < p.L; ++t) y[t * p.D + c] = static_cast<float>(col[t]);
  }
}

}  // namespace subquad::ssm
