// Bench suite "kernel" (issue #17): one kernel-family method at one shape on
// seeded points with a chosen B = diam²/h² — time (the kernel alone),
// pairs per second, the error on sampled rows against a double-precision
// sum, the method's stats (B bound, degree, rank, δ, clusters, order, …), and
// with compare_exact the exact product's time on the same points and the speed-up.
#include <algorithm>
#include <cmath>
#include <vector>

#include "bench/measure.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "kernel/kernel.hpp"

namespace subquad::bench {

std::string measure_kernel(const Options& o) {
  const OptionValues v = suite_values("kernel", o);
  const std::string method = v.text("method");
  const auto n = static_cast<std::size_t>(v.integer("n"));
  const auto d = static_cast<std::size_t>(v.integer("d"));
  const auto seed = static_cast<std::uint64_t>(v.integer("seed"));
  const double B = v.number("B"), min_ms = v.number("min_ms");
  const auto check_rows = static_cast<std::size_t>(v.integer("check_rows"));
  const bool compare = v.boolean("compare_exact");
  const kernel::Params params =
      kernel::params_from(method_options(o, kernel::family(), method, suite_keys("kernel")), method);
  const kernel::Method& m = kernel::find_method(method);
  require_memory("n, d", 4.0 * n * (d + 2) + m.cost(n, d, params).memory_bytes);

  const double h = params.bandwidth;
  const std::vector<float> X =
      v.text("points") == "ball"
          ? kernel::ball_points(n, d, B, h, seed)
          : kernel::cluster_points(n, d, std::size_t(v.integer("groups")), B, v.number("sigma"), h, seed);
  std::vector<float> w(n), y(n);
  Rng rng(seed + 7);
  // Positive weights: each row's relative error is meaningful; laplacian_solve gets b − mean(b).
  for (auto& x : w) x = static_cast<float>(rng.uniform(0.05, 1.0));
  if (m.run == kernel::laplacian_solve) {
    double mean = 0;
    for (float x : w) mean += x;
    mean /= double(n);
    for (auto& x : w) x = static_cast<float>(x - mean);
  }
  const kernel::Problem prob{n, d, X.data(), X.size(), w.data(), w.size()};
  kernel::Stats stats;
  const double v0 = now_ms();
  kernel::prepare(method, prob, params);
  const double validate_ms = now_ms() - v0;
  const Timing t = time_median(
      [&] {
        stats.clear();
        kernel::execute(m, prob, params, y.data(), stats);
      },
      1, min_ms, 200);

  // Sampled rows against the double sum (adjacency: A w; laplacian: (A1)∘w − A w).
  double err_l1 = 0, err_rel = 0, wl1 = 0;
  for (float x : w) wl1 += std::fabs(x);
  const std::size_t rows = m.run == kernel::laplacian_solve ? 0 : std::min(check_rows, n);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t i = rows == n ? r : (r * 7919) % n;
    double aw = 0, a1 = 0;
    for (std::size_t j = 0; j < n; ++j) {
      double s = 0;
      for (std::size_t k = 0; k < d; ++k) {
        const double e = double(X[i * d + k]) - X[j * d + k];
        s += e * e;
      }
      const double a = std::exp(-s / (h * h));
      aw += a * w[j];
      a1 += a;
    }
    const double want = params.op == "laplacian" ? a1 * w[i] - aw : aw;
    const double diff = std::fabs(y[i] - want);
    err_l1 = std::max(err_l1, diff / wl1);
    err_rel = std::max(err_rel, want != 0 ? diff / std::fabs(want) : diff);
  }

  JsonLine j;
  j.add("suite", "kernel").add("method", method).add("n", n).add("d", d).add("B", B);
  j.add("points", v.text("points")).add("bandwidth", h).add("op", params.op);
  if (m.run == kernel::laplacian_solve) j.add("product", params.product).add("tolerance", params.tolerance);
  j.add("flavour", build_flavour()).add("threads", resolve_threads(params.threads));
  j.add("timed", "kernel").add("median_ms", t.median_ms).add("min_ms", t.min_ms).add("max_ms", t.max_ms);
  j.add("q1_ms", t.q1_ms).add("q3_ms", t.q3_ms).add("reps", t.reps).add("validate_ms", validate_ms);
  const Cost cost = m.cost(n, d, params);
  j.add("pairs_per_s", double(n) * n / (t.median_ms * 1e-3));
  j.add("gflops", cost.flops / (t.median_ms * 1e6)).add("memory_mb", cost.memory_bytes / 1048576.0);
  if (rows > 0) j.add("error_l1", err_l1).add("error_rel", err_rel).add("error_rows", rows);
  for (const auto& [key, value] : stats)
    if (key != "threads") j.add(key == "B" ? "B_bound" : key, value);
  if (compare && method != "exact") {
    kernel::Params ep;
    ep.bandwidth = h;
    ep.op = params.op;
    ep.threads = params.threads;
    const kernel::Method& em = kernel::prepare("exact", prob, ep);
    std::vector<float> ye(n);
    kernel::Stats es;
    const Timing te = time_median(
        [&] {
          es.clear();
          kernel::execute(em, prob, ep, ye.data(), es);
        },
        1, min_ms, 200);
    j.add("exact_median_ms", te.median_ms).add("speedup", te.median_ms / t.median_ms);
  }
  return j.str();
}

}  // namespace subquad::bench
