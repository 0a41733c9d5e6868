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

// Inputs for every suite: option dist = uniform (entries in [-B, B], the
// bounded-entry model) or gaussian (std), seeded, identical native and WASM.
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


namespace {
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
  // One line per family; each family's measure lives in <family>_measure.cpp.
  if (suite == "attention") return measure_attention(o);
  if (suite == "construction") return measure_construction(o);
  if (suite == "pairs") return measure_pairs(o);
  if (suite == "peak") return measure_peak(o);
  throw Error("suite", "got '" + suite + "', must be attention, construction, pairs or peak");
}

}  // namespace subquad::bench
