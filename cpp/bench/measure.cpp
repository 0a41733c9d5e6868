#include "bench/measure.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "simd/simd.hpp"

namespace subquad::bench {

namespace {

std::vector<float> make_matrix(const Options& o, std::size_t rows, std::size_t cols,
                               std::uint64_t seed) {
  const std::string dist = o.str("dist", "uniform");
  if (dist == "uniform") {
    const double B = o.num("B", 1.0);
    require(std::isfinite(B) && B > 0 && B <= 1e4, "B", B, "in (0, 10000]");
    return uniform_matrix(rows, cols, B, seed);
  }
  if (dist == "gaussian") {
    const double sd = o.num("std", 1.0);
    require(std::isfinite(sd) && sd > 0 && sd <= 1e4, "std", sd, "in (0, 10000]");
    return gaussian_matrix(rows, cols, sd, seed);
  }
  throw Error("dist", "got '" + dist + "', must be uniform or gaussian");
}

std::string measure_attention(const Options& o) {
  const std::string method = o.str("method", "exact");
  const auto n = static_cast<std::size_t>(o.integer("n", 1024, 1, 1 << 24));
  const auto d = static_cast<std::size_t>(o.integer("d", 64, 1, 4096));
  const auto seed = static_cast<std::uint64_t>(o.integer("seed", 1, 0, 1ll << 53));
  const double min_ms = o.num("min_ms", 200);
  const auto check_rows = static_cast<std::size_t>(o.integer("check_rows", 16, 0, 1 << 24));
  attention::Params params = attention::params_from(o, d);
  const attention::Method& m = attention::find_method(method);
  // Inputs and output must fit beside what the method itself allocates.
  require_memory("n, d", 16.0 * n * d + m.cost(n, d, params).memory_bytes);

  const auto Q = make_matrix(o, n, d, seed), K = make_matrix(o, n, d, seed + 1),
             V = make_matrix(o, n, d, seed + 2);
  std::vector<float> out(n * d);
  const attention::Problem prob{n, d, Q.data(), K.data(), V.data()};
  attention::Stats stats;
  const Timing t = time_median(
      [&] {
        stats.clear();
        attention::run(method, prob, params, out.data(), stats);
      },
      1, min_ms, 200);

  // Error against the double-precision reference on evenly spread rows.
  double err = 0, ref = 0;
  const std::size_t rows = std::min(check_rows, n);
  std::vector<double> r(d);
  for (std::size_t s = 0; s < rows; ++s) {
    const std::size_t i = rows == 1 ? 0 : s * (n - 1) / (rows - 1);
    attention::exact_reference_row(prob, params, i, r.data());
    for (std::size_t k = 0; k < d; ++k) {
      err = std::max(err, std::fabs(double(out[i * d + k]) - r[k]));
      ref = std::max(ref, std::fabs(r[k]));
    }
  }
  const attention::Cost cost = m.cost(n, d, params);
  JsonLine j;
  j.add("suite", "attention").add("method", method).add("n", n).add("d", d);
  j.add("dist", o.str("dist", "uniform"));
  if (o.str("dist", "uniform") == "uniform") j.add("B", o.num("B", 1.0));
  j.add("scale", attention::resolved_scale(params, d)).add("causal", params.causal);
  j.add("flavour", build_flavour()).add("threads", resolve_threads(params.threads));
  j.add("median_ms", t.median_ms).add("min_ms", t.min_ms).add("reps", t.reps);
  j.add("gflops", cost.flops / (t.median_ms * 1e6));
  j.add("memory_mb", cost.memory_bytes / 1048576.0);
  j.add("error", rows ? (ref > 0 ? err / ref : err) : NAN).add("error_rows", rows);
  for (const auto& [key, value] : stats) j.add(key, value);
  return j.str();
}

// Per-core SIMD ceiling: independent multiply-add chains in registers, no memory.
std::string measure_peak(const Options& o) {
  using namespace simd;
  const double min_ms = o.num("min_ms", 200);
  const long long iters = 1 << 22;
  volatile float sink = 0;
  const Timing t = time_median(
      [&] {
        f32x4 acc[12];
        for (int i = 0; i < 12; ++i) acc[i] = splat(0.001f * i);
        const f32x4 a = splat(0.999999f), b = splat(1e-7f);
        for (long long k = 0; k < iters; ++k)
          for (int i = 0; i < 12; ++i) acc[i] = acc[i] * a + b;
        f32x4 s = splat(0);
        for (int i = 0; i < 12; ++i) s += acc[i];
        sink = hsum(s);
      },
      3, min_ms, 100);
  (void)sink;
  const double flops = 2.0 * 4 * 12 * static_cast<double>(iters);
  JsonLine j;
  j.add("suite", "peak").add("method", "simd_mul_add").add("flavour", build_flavour());
  j.add("threads", 1).add("median_ms", t.median_ms).add("reps", t.reps);
  j.add("gflops", flops / (t.median_ms * 1e6));
  return j.str();
}

}  // namespace

std::string measure(const Options& o) {
  const std::string suite = o.str("suite", "attention");
  if (suite == "attention") return measure_attention(o);
  if (suite == "peak") return measure_peak(o);
  throw Error("suite", "got '" + suite + "', must be attention or peak");
}

}  // namespace subquad::bench
