// dense: one gradient step in Θ(s·m·d) — every neuron on every batch point.
// Workers take 24 points at a time: C = X_blk·Wᵀ (the micro-kernel), the
// forward from C, then D (m×24, the firing mask times each point's residual)
// and G_worker += D·X_blk (the micro-kernel again). The workers' G are summed.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/threads.hpp"
#include "common/timer.hpp"
#include "neurons/neurons.hpp"
#include "simd/gemm.hpp"

namespace subquad::neurons {

void dense(Network& net, const Params& params, Record& rec, Trace* trace) {
  const std::size_t m = net.m, d = net.d, s = params.batch ? params.batch : net.n;
  const int threads = resolve_threads(params.threads);
  const double b = net.b, scale = 1.0 / std::sqrt(double(m));
  const double t0 = now_ms();
  const std::vector<std::size_t> points = batch_points(net, s);
  std::vector<float> Wt;
  pack_transposed(net, nullptr, m, Wt);
  std::vector<double> f(s);
  std::vector<std::size_t> fired_per(s);
  struct Worker {
    std::vector<float> C, D, G, gathered;
    std::vector<unsigned char> fired;  // neuron fired on some point of this worker
  };
  std::vector<Worker> workers(threads);
  parallel_for(s, kDenseRows, threads, [&](std::size_t begin, std::size_t end, int w) {
    Worker& wk = workers[w];
    const std::size_t rows = end - begin;
    wk.C.resize(kDenseRows * m);
    correlate(net, points.data() + begin, rows, Wt.data(), m, wk.C.data(), m, wk.gathered);
    for (std::size_t r = 0; r < rows; ++r) {
      const float* c = wk.C.data() + r * m;
      double sum = 0;
      std::size_t k = 0;
      for (std::size_t j = 0; j < m; ++j) {
        const double z = c[j];
        if (z > b) {
          sum += net.a[j] * (z - b);
          ++k;
        }
      }
      f[begin + r] = sum * scale;
      fired_per[begin + r] = k;
    }
    if (!params.update) return;
    if (wk.G.empty()) {
      wk.G.assign(m * d, 0.0f);
      wk.D.resize(m * kDenseRows);
      wk.fired.assign(m, 0);
    }
    // D[j][r] = a_j (f_r − y_r) / (s√m) where neuron j fires on point r, else 0.
    for (std::size_t r = 0; r < rows; ++r) {
      const float* c = wk.C.data() + r * m;
      const double e = (f[begin + r] - net.y[points[begin + r]]) * scale / double(s);
      for (std::size_t j = 0; j < m; ++j) {
        const bool on = static_cast<double>(c[j]) > b;
        wk.D[j * rows + r] = on ? static_cast<float>(net.a[j] * e) : 0.0f;
        wk.fired[j] |= on;
      }
    }
    std::vector<float> unused;
    const float* Xb = net.X.data() + points[begin] * d;
    bool contiguous = true;
    for (std::size_t r = 1; r < rows && contiguous; ++r) contiguous = points[begin + r] == points[begin] + r;
    if (!contiguous) Xb = wk.gathered.data();  // correlate gathered the rows above
    simd::gemm(m, d, rows, wk.D.data(), rows, Xb, d, wk.G.data(), d, true);
  });
  double loss = 0, fired = 0;
  for (std::size_t r = 0; r < s; ++r) {
    const double e = f[r] - net.y[points[r]];
    loss += e * e;
    fired += double(fired_per[r]);
  }
  const double t1 = now_ms();
  rec.loss = loss / (2.0 * s);
  rec.fired = fired;
  rec.ms_forward = t1 - t0;
  if (trace) {
    trace->f = f;
    trace->G.assign(m * d, 0.0);
  }
  if (params.update) {
    // Sum the workers' gradients and step every neuron that fired (the others' rows are zero).
    std::size_t moved = 0;
    for (std::size_t j = 0; j < m; ++j) {
      bool on = false;
      for (const Worker& wk : workers) on = on || (!wk.fired.empty() && wk.fired[j]);
      if (!on) continue;
      ++moved;
      for (std::size_t k = 0; k < d; ++k) {
        float g = 0;
        for (const Worker& wk : workers)
          if (!wk.G.empty()) g += wk.G[j * d + k];
        if (trace) trace->G[j * d + k] = g;
        net.W[j * d + k] -= static_cast<float>(params.lr) * g;
      }
    }
    rec.moved = double(moved);
    if (moved) net.trees_fresh = false;
    ++net.steps;
  }
  rec.ms_repair = now_ms() - t1;
}

}  // namespace subquad::neurons
