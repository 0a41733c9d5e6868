// reference: the step in double, obvious loops, one thread — the yardstick.
// Its correlations are exact double sums, so near-threshold pairs may fire
// differently from the float methods; tests compare within a tolerance.
#include <cmath>
#include <vector>

#include "common/timer.hpp"
#include "neurons/neurons.hpp"

namespace subquad::neurons {

void reference(Network& net, const Params& params, Record& rec, Trace* trace) {
  const std::size_t m = net.m, d = net.d, s = params.batch ? params.batch : net.n;
  const double b = net.b, scale = 1.0 / std::sqrt(double(m));
  const double t0 = now_ms();
  const std::vector<std::size_t> points = batch_points(net, s);
  std::vector<double> f(s), c(s * m);
  double loss = 0, fired = 0;
  for (std::size_t j = 0; j < s; ++j) {
    const float* x = net.X.data() + points[j] * d;
    double sum = 0;
    for (std::size_t r = 0; r < m; ++r) {
      double z = 0;
      for (std::size_t k = 0; k < d; ++k) z += double(net.W[r * d + k]) * x[k];
      c[j * m + r] = z;
      if (z > b) {
        sum += net.a[r] * (z - b);
        fired += 1;
      }
    }
    f[j] = sum * scale;
    const double e = f[j] - net.y[points[j]];
    loss += e * e;
  }
  rec.loss = loss / (2.0 * s);
  rec.fired = fired;
  if (trace) {
    trace->f = f;
    trace->G.assign(m * d, 0.0);
  }
  if (params.update) {
    std::vector<double> G(m * d, 0.0);
    std::vector<bool> on(m, false);
    for (std::size_t j = 0; j < s; ++j) {
      const double e = (f[j] - net.y[points[j]]) * scale / double(s);
      const float* x = net.X.data() + points[j] * d;
      for (std::size_t r = 0; r < m; ++r) {
        if (!(c[j * m + r] > b)) continue;
        on[r] = true;
        for (std::size_t k = 0; k < d; ++k) G[r * d + k] += net.a[r] * e * x[k];
      }
    }
    std::size_t moved = 0;
    for (std::size_t r = 0; r < m; ++r) {
      if (!on[r]) continue;
      ++moved;
      for (std::size_t k = 0; k < d; ++k) net.W[r * d + k] -= static_cast<float>(params.lr * G[r * d + k]);
    }
    if (trace) trace->G = G;
    rec.moved = double(moved);
    if (moved) net.trees_fresh = false;
    ++net.steps;
  }
  rec.ms_forward = now_ms() - t0;
}

}  // namespace subquad::neurons
