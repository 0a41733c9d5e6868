// Embind surface of the kernel family (cpp/kernel/): Gaussian kernel products,
// Laplacian products and solves, and the point generators.
#include <emscripten/bind.h>

#include <cstdint>
#include <cstring>

#include "bindings/support.hpp"
#include "common/schema.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "kernel/kernel.hpp"

namespace subquad {
namespace {

using namespace bindings;

val kernel_methods() { return method_list(kernel::methods()); }

// X (n×d floats), w (n; laplacian_solve: b) and y (n) are heap addresses, their
// lengths checked by the JS wrapper. Returns { ms (the kernel alone),
// validate_ms, threads, flops, stats }.
val kernel_run(const std::string& method, std::uintptr_t x, std::uintptr_t w, std::uintptr_t y, double n, double d,
               const val& opts) {
  return guarded([&] {
    const Dims dims = check_dims(kernel::family(), {{"n", n}, {"d", d}});
    const auto nn = dim_of(dims, "n"), dd = dim_of(dims, "d");
    const kernel::Params params = kernel::params_from(options_from(opts), method);
    const kernel::Problem p{nn, dd, reinterpret_cast<const float*>(x), nn * dd, reinterpret_cast<const float*>(w), nn};
    kernel::Stats stats;
    const double t0 = now_ms();
    const kernel::Method& m = kernel::prepare(method, p, params);
    const double t1 = now_ms();
    kernel::execute(m, p, params, reinterpret_cast<float*>(y), stats);
    const double ms = now_ms() - t1;
    val r = val::object();
    r.set("ms", ms);
    r.set("validate_ms", t1 - t0);
    r.set("threads", resolve_threads(params.threads));
    r.set("flops", m.cost(nn, dd, params).flops);
    val s = val::object();
    for (const auto& [key, value] : stats) s.set(key, value);
    r.set("stats", s);
    return r;
  });
}

// kind "ball" (uniform in a ball of squared diameter B·h²) or "clusters"
// (k Gaussian clusters of standard deviation sigma·h, centres in that ball):
// n×d floats written to out, labels (n int32, clusters only) when labels ≠ 0.
val kernel_points(const std::string& kind, double n, double d, double B, double bandwidth, double clusters,
                  double sigma, double seed, std::uintptr_t out, std::uintptr_t labels) {
  return guarded([&] {
    const Dims dims = check_dims(kernel::family(), {{"n", n}, {"d", d}});
    const auto nn = dim_of(dims, "n"), dd = dim_of(dims, "d");
    require(std::isfinite(B) && B >= 0 && B <= 1e6, "B", B, "in [0, 1e6]");
    require(std::isfinite(bandwidth) && bandwidth > 0 && bandwidth <= 1e12, "bandwidth", bandwidth, "in (0, 1e12]");
    std::vector<float> X;
    if (kind == "ball") {
      X = kernel::ball_points(nn, dd, B, bandwidth, std::uint64_t(seed));
    } else if (kind == "clusters") {
      require(clusters >= 1 && clusters <= 4096 && clusters == std::floor(clusters), "clusters", clusters,
              "an integer in [1, 4096]");
      require(std::isfinite(sigma) && sigma >= 0 && sigma <= 1e3, "sigma", sigma, "in [0, 1000]");
      std::vector<int> lab;
      X = kernel::cluster_points(nn, dd, std::size_t(clusters), B, sigma, bandwidth, std::uint64_t(seed), &lab);
      if (labels) std::memcpy(reinterpret_cast<int*>(labels), lab.data(), nn * sizeof(int));
    } else {
      throw Error("kind", "got '" + kind + "', must be ball or clusters");
    }
    std::memcpy(reinterpret_cast<float*>(out), X.data(), X.size() * sizeof(float));
    val r = val::object();
    r.set("ok", true);
    return r;
  });
}

}  // namespace
}  // namespace subquad

EMSCRIPTEN_BINDINGS(subquad_kernel) {
  emscripten::function("kernelMethods", &subquad::kernel_methods);
  emscripten::function("kernelRun", &subquad::kernel_run);
  emscripten::function("kernelPoints", &subquad::kernel_points);
}
