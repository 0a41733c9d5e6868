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
#include "simd/gemm.hpp"
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
  const double ceiling = flops / (t.median_ms * 1e6);

  // The flash kernel's QKᵀ micro-kernel (simd::gemm_4x8) on its real shape:
  // a 64×d query block against a packed 64-key tile, d = 64, one thread.
  const std::size_t tile = 64, d = 64, tiles = 64;
  const std::vector<float> A = uniform_matrix(tile, d, 1.0, 1), Bp = uniform_matrix(tiles * d, tile, 1.0, 2);
  std::vector<float> C(tile * tile);
  const Timing k = time_median(
      [&] {
        for (std::size_t t2 = 0; t2 < tiles; ++t2)
          gemm_4x8(tile, tile, d, A.data(), d, Bp.data() + t2 * d * tile, tile, C.data(), tile);
        sink = C[7];
      },
      3, min_ms, 100);
  const double kernel = 2.0 * tile * tile * d * tiles / (k.median_ms * 1e6);
  JsonLine j;
  j.add("suite", "peak").add("method", "simd_mul_add").add("flavour", build_flavour());
  j.add("threads", 1).add("median_ms", t.median_ms).add("reps", t.reps);
  j.add("gflops", ceiling);
  j.add("kernel", "gemm_4x8 (flash QK^T, 64x64 tile, d=64)").add("kernel_gflops", kernel);
  j.add("kernel_ratio", kernel / ceiling).add("kernel_target_ratio", 0.7);
  return j.str();
}

}  // namespace

std::string measure(const Options& o) {
  const std::string suite = o.str("suite", "attention");
  // One line per family; each family's measure lives in <family>_measure.cpp.
  if (suite == "attention") return measure_attention(o);
  if (suite == "construction") return measure_construction(o);
  if (suite == "poly_degree") return measure_poly_degree(o);
  if (suite == "ssm") return measure_ssm(o);
  if (suite == "triad") return measure_triad(o);
  if (suite == "pairs") return measure_pairs(o);
  if (suite == "peak") return measure_peak(o);
  throw Error("suite", "got '" + suite +
                           "', must be attention, poly_degree, construction, ssm, triad, pairs or peak");
}

}  // namespace subquad::bench
