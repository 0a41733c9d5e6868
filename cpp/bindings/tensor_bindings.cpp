// Embind surface of the tensor family (cpp/tensor/): triple-wise attention,
// its input generator and the Match3 experiment.
#include <emscripten/bind.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "bindings/support.hpp"
#include "common/schema.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "tensor/tensor.hpp"

namespace subquad {
namespace {

using namespace bindings;

val tensor_methods() { return method_list(tensor::methods()); }

// Arrays are heap addresses of n×d floats, their lengths checked by the JS
// wrapper. Returns { ms (the kernel alone), validate_ms, threads, scale,
// flops, stats }.
val tensor_run(const std::string& method, std::uintptr_t q, std::uintptr_t k1, std::uintptr_t k2, std::uintptr_t v1,
               std::uintptr_t v2, std::uintptr_t o, double n, double d, const val& opts) {
  return guarded([&] {
    const Dims dims = check_dims(tensor::family(), {{"n", n}, {"d", d}});
    const auto nn = dim_of(dims, "n"), dd = dim_of(dims, "d");
    const tensor::Params params = tensor::params_from(options_from(opts), dd, method);
    auto f = [](std::uintptr_t p) { return reinterpret_cast<const float*>(p); };
    const tensor::Problem p{nn, dd, f(q), f(k1), f(k2), f(v1), f(v2)};
    tensor::Stats stats;
    const double t0 = now_ms();
    const tensor::Method& m = tensor::prepare(method, p, params);
    const double t1 = now_ms();
    tensor::execute(m, p, params, reinterpret_cast<float*>(o), stats);
    const double ms = now_ms() - t1;
    tensor::describe(m, p, params, stats);
    val r = val::object();
    r.set("ms", ms);
    r.set("validate_ms", t1 - t0);
    r.set("threads", resolve_threads(params.threads));
    r.set("scale", tensor::resolved_scale(params, dd));
    r.set("flops", m.cost(nn, dd, params).flops);
    val s = val::object();
    for (const auto& [key, value] : stats) s.set(key, value);
    r.set("stats", s);
    return r;
  });
}

// Seeded inputs into one n×d array at `out`: uniform in [−B, B] or [0, B].
val tensor_generate(std::uintptr_t out, double n, double d, double B, bool nonnegative, double seed) {
  return guarded([&] {
    const Dims dims = check_dims(tensor::family(), {{"n", n}, {"d", d}});
    require(B > 0 && B <= 1e4, "B", B, "in (0, 1e4]");
    require(seed >= 0 && seed <= 9007199254740991.0 && seed == std::floor(seed), "seed", seed,
            "an integer in [0, 2^53 − 1]");
    const auto m = tensor::generate(dim_of(dims, "n"), dim_of(dims, "d"), B, nonnegative, std::uint64_t(seed));
    std::copy(m.begin(), m.end(), reinterpret_cast<float*>(out));
    val r = val::object();
    r.set("ok", true);
    return r;
  });
}

// Match3 accuracy of the tensor layer and the matrix baseline vs brute force.
val tensor_match3(const val& opts) {
  return guarded([&] {
    const Options o = options_from(opts);
    o.allow({"n", "M", "seed", "instances", "threads"}, "tensorMatch3");
    const auto n = static_cast<std::size_t>(o.integer("n", 16, 1, tensor::kMatch3MaxN));
    const auto M = static_cast<std::uint32_t>(o.integer("M", 0, 0, tensor::kMatch3MaxM));
    if (M == 1) throw Error("M", "got 1, must be 0 (automatic) or in [2, 2048]");
    const auto seed = static_cast<std::uint64_t>(o.integer("seed", 1, 0, 9007199254740991LL));
    const auto instances = static_cast<std::size_t>(o.integer("instances", 10, 1, tensor::kMatch3MaxInstances));
    const int threads = static_cast<int>(o.integer("threads", 0, 0, 1024));
    const double t0 = now_ms();
    const tensor::Match3Result x = tensor::match3_experiment(n, M, seed, instances, threads);
    val r = val::object();
    r.set("n", double(x.n));
    r.set("M", double(x.M));
    r.set("instances", double(x.instances));
    r.set("positions", double(x.positions));
    r.set("positives", double(x.positives));
    r.set("positive_rate", double(x.positives) / x.positions);
    r.set("tensor_accuracy", double(x.tensor_correct) / x.positions);
    r.set("matrix_accuracy", double(x.matrix_correct) / x.positions);
    r.set("tensor_false_negatives", double(x.tensor_false_negatives));
    r.set("tensor_false_positives", double(x.tensor_false_positives));
    r.set("matrix_false_negatives", double(x.matrix_false_negatives));
    r.set("matrix_false_positives", double(x.matrix_false_positives));
    r.set("tensor_beta", x.tensor_beta);
    r.set("matrix_beta", x.matrix_beta);
    r.set("ms", now_ms() - t0);
    return r;
  });
}

}  // namespace
}  // namespace subquad

EMSCRIPTEN_BINDINGS(subquad_tensor) {
  emscripten::function("tensorMethods", &subquad::tensor_methods);
  emscripten::function("tensorRun", &subquad::tensor_run);
  emscripten::function("tensorGenerate", &subquad::tensor_generate);
  emscripten::function("tensorMatch3", &subquad::tensor_match3);
}
