// The yardstick: A_ij = exp(−‖x_i − x_j‖²/h²) from the caller's coordinates,
// in double, by the obvious double loop (no centring, no blocking).
#include <cmath>

#include "common/threads.hpp"
#include "kernel/kernel.hpp"

namespace subquad::kernel {

void reference_core(const Points& pts, const Params& params, const double* W, std::size_t c, double* Y, Stats&) {
  const std::size_t n = pts.n, d = pts.d;
  const float* X = pts.raw;
  const double inv_h2 = 1.0 / (pts.h * pts.h);
  for (std::size_t i = 0; i < n; ++i) {
    if ((i & 63) == 0) throw_if_cancelled();
    for (std::size_t k = 0; k < c; ++k) Y[k * n + i] = 0;
    for (std::size_t j = 0; j < n; ++j) {
      double t = 0;
      for (std::size_t l = 0; l < d; ++l) {
        const double e = double(X[i * d + l]) - double(X[j * d + l]);
        t += e * e;
      }
      const double a = std::exp(-t * inv_h2);
      for (std::size_t k = 0; k < c; ++k) Y[k * n + i] += a * W[k * n + j];
    }
  }
}

}  // namespace subquad::kernel
