// dtree: per point a max-tree over its m correlations (network.cpp). One step:
//   query   S_i = {r : ⟨w_r, x_i⟩ > b} for each batch point (threads over points),
//   forward f_i = m^{−1/2} Σ_{r∈S_i} a_r (c_ir − b) from the leaves, no inner product;
//           the (point, neuron) pairs bucketed by neuron, each moved neuron's
//           gradient summed in double (threads over neurons), its weights stepped;
//   repair  the moved neurons' correlations with all n points, their root paths.
// Costs Σk_i·log m + Σk_i·d + |moved|·n·(d + log m) against dense's s·m·d.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/threads.hpp"
#include "common/timer.hpp"
#include "neurons/neurons.hpp"

namespace subquad::neurons {

void dtree(Network& net, const Params& params, Record& rec, Trace* trace) {
  const std::size_t m = net.m, d = net.d, s = params.batch ? params.batch : net.n, T = 2 * net.P;
  const int threads = resolve_threads(params.threads);
  const double b = net.b, scale = 1.0 / std::sqrt(double(m));
  double t = now_ms();
  if (!net.trees_fresh) {
    build_trees(net, threads);
    rec.ms_build = now_ms() - t;
    t = now_ms();
  }
  const std::vector<std::size_t> points = batch_points(net, s);
  std::vector<std::vector<std::uint32_t>> sets(s);
  std::vector<std::size_t> visits(s);
  parallel_for(s, 16, threads, [&](std::size_t begin, std::size_t end, int) {
    query_many(net, points.data() + begin, end - begin, b, sets.data() + begin, visits.data() + begin);
  });
  double t1 = now_ms();
  rec.ms_query = t1 - t;
  std::vector<double> f(s);
  double loss = 0, fired = 0, total_visits = 0, max_visits = 0;
  for (std::size_t j = 0; j < s; ++j) {
    const float* leaves = net.trees.data() + points[j] * T + net.P;
    double sum = 0;
    for (const std::uint32_t r : sets[j]) sum += net.a[r] * (static_cast<double>(leaves[r]) - b);
    f[j] = sum * scale;
    const double e = f[j] - net.y[points[j]];
    loss += e * e;
    fired += double(sets[j].size());
    total_visits += double(visits[j]);
    max_visits = std::max(max_visits, double(visits[j]));
  }
  rec.loss = loss / (2.0 * s);
  rec.fired = fired;
  rec.visits = total_visits;
  rec.max_visits = max_visits;
  if (trace) {
    trace->f = f;
    trace->sets = sets;
    trace->visits = visits;
    trace->G.assign(m * d, 0.0);
  }
  if (!params.update) {
    rec.ms_forward = now_ms() - t1;
    return;
  }
  // Bucket the pairs by neuron: start[r]..start[r+1] lists the batch points r fires on.
  std::vector<std::size_t> start(m + 1, 0);
  for (const auto& set : sets)
    for (const std::uint32_t r : set) ++start[r + 1];
  std::vector<std::uint32_t> moved;
  for (std::size_t r = 0; r < m; ++r) {
    if (start[r + 1]) moved.push_back(static_cast<std::uint32_t>(r));
    start[r + 1] += start[r];
  }
  std::vector<std::uint32_t> owners(start[m]);
  {
    std::vector<std::size_t> fill(start.begin(), start.end() - 1);
    for (std::size_t j = 0; j < s; ++j)
      for (const std::uint32_t r : sets[j]) owners[fill[r]++] = static_cast<std::uint32_t>(j);
  }
  std::vector<double> residual(s);
  for (std::size_t j = 0; j < s; ++j) residual[j] = (f[j] - net.y[points[j]]) * scale / double(s);
  parallel_for(moved.size(), 64, threads, [&](std::size_t begin, std::size_t end, int) {
    std::vector<double> g(d);
    for (std::size_t q = begin; q < end; ++q) {
      const std::uint32_t r = moved[q];
      std::fill(g.begin(), g.end(), 0.0);
      for (std::size_t u = start[r]; u < start[r + 1]; ++u) {
        const std::size_t j = owners[u];
        const float* x = net.X.data() + points[j] * d;
        const double e = residual[j];
        for (std::size_t k = 0; k < d; ++k) g[k] += e * x[k];
      }
      float* w = net.W.data() + r * d;
      for (std::size_t k = 0; k < d; ++k) {
        const double gk = net.a[r] * g[k];
        if (trace) trace->G[r * d + k] = gk;
        w[k] -= static_cast<float>(params.lr * gk);
      }
    }
  });
  double t2 = now_ms();
  rec.ms_forward = t2 - t1;
  update_trees(net, moved, threads);
  rec.ms_repair = now_ms() - t2;
  rec.moved = double(moved.size());
  ++net.steps;
}

}  // namespace subquad::neurons
