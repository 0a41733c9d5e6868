// Embind surface of the SSM family (cpp/ssm/): scans on given inputs, blocks on
// an input the caller passes or the module generates from a seed, cost models.
#include <emscripten/bind.h>

#include <cstdint>
#include <vector>

#include "bindings/support.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "common/schema.hpp"
#include "common/timer.hpp"
#include "ssm/ssm.hpp"

namespace subquad {
namespace {

using namespace bindings;

std::size_t whole(double v, const char* name, double hi, const char* limit) {
  require(v >= 1 && v <= hi && v == static_cast<double>(static_cast<std::size_t>(v)), name, v,
          limit);
  return static_cast<std::size_t>(v);
}

val ssm_methods() {
  val list = val::array();
  for (const auto& m : ssm::methods()) {
    val item = val::object();
    item.set("name", std::string(m.name));
    item.set("summary", std::string(m.summary));
    item.set("kind", std::string(m.kind == ssm::Kind::scan ? "scan" : "block"));
    list.call<void>("push", item);
  }
  return list;
}

val ssm_scan(const std::string& method, std::uintptr_t x, std::uintptr_t delta, std::uintptr_t A,
             std::uintptr_t B, std::uintptr_t C, std::uintptr_t Dskip, std::uintptr_t y, double L,
             double D, double N, const val& opts) {
  return guarded([&] {
    const std::size_t l = whole(L, "L", 1 << 24, "an integer in [1, 16777216]");
    const std::size_t d = whole(D, "D", 65536, "an integer in [1, 65536]");
    const std::size_t n = whole(N, "N", 1024, "an integer in [1, 1024]");
    const ssm::Params params = ssm::params_from(options_from(opts), method);
    auto f = [](std::uintptr_t p) { return reinterpret_cast<const float*>(p); };
    const ssm::Problem p{l, d, n, f(x), f(delta), f(A), f(B), f(C), f(Dskip)};
    ssm::Stats stats;
    const double t0 = now_ms();
    const ssm::Method& m = ssm::prepare_scan(method, p, params);
    const double t1 = now_ms();
    ssm::execute_scan(m, p, params, reinterpret_cast<float*>(y), stats);
    const double ms = now_ms() - t1;
    val r = val::object();
    r.set("ms", ms);
    r.set("validate_ms", t1 - t0);
    r.set("threads", resolve_threads(params.threads));
    val s = val::object();
    for (const auto& [key, value] : stats) s.set(key, value);
    r.set("stats", s);
    return r;
  });
}

// x = 0: the module generates x (uniform in [−1, 1], seeded by opts.input_seed).
val ssm_block(const std::string& method, std::uintptr_t x, std::uintptr_t y, double L, double D,
              const val& opts) {
  return guarded([&] {
    const std::size_t l = whole(L, "L", 1 << 24, "an integer in [1, 16777216]");
    const std::size_t d = whole(D, "D", 4096, "an integer in [1, 4096]");
    const Options o = options_from(opts);
    const ssm::Params params = ssm::params_from(o, method);
    const ssm::Weights w = ssm::make_weights(method, d, params);
    std::vector<float> generated;
    const float* input = reinterpret_cast<const float*>(x);
    if (!x) {
      require_memory("L, D", 4.0 * l * d);
      generated = uniform_matrix(l, d, 1.0, static_cast<std::uint64_t>(o.integer("input_seed", 1, 0, 1ll << 53)));
      input = generated.data();
    }
    const double t0 = now_ms();
    ssm::run_block(method, w, input, l, params, reinterpret_cast<float*>(y));
    const double ms = now_ms() - t0;
    val r = val::object();
    r.set("ms", ms);
    r.set("threads", resolve_threads(params.threads));
    if (w.family == "mamba") {
      r.set("E", static_cast<double>(w.E));
      r.set("dt_rank", static_cast<double>(w.R));
    } else {
      r.set("heads", static_cast<double>(w.heads));
      r.set("attention", w.attention);
    }
    return r;
  });
}

// The cost model, so the page can warn before a run: { flops, bytes, memory_bytes }.
val ssm_cost(const std::string& method, double L, double D, double N, const val& opts) {
  return guarded([&] {
    const std::size_t l = whole(L, "L", 1 << 24, "an integer in [1, 16777216]");
    const std::size_t d = whole(D, "D", 65536, "an integer in [1, 65536]");
    const std::size_t n = whole(N, "N", 1024, "an integer in [1, 1024]");
    const ssm::Method& m = ssm::find_method(method);
    const std::string N_text = std::to_string(n);
    Options o = options_from(opts);
    // A block's state size is its option N; a scan's is the dimension.
    if (m.kind == ssm::Kind::block && !o.has("N")) o.set("N", N_text);
    const Dims dims = m.kind == ssm::Kind::scan ? Dims{{"L", L}, {"D", D}, {"N", N}} : Dims{{"L", L}, {"D", D}};
    (void)l;
    (void)d;
    return cost_object(ssm::family().cost(method, dims, o));
  });
}

}  // namespace
}  // namespace subquad

EMSCRIPTEN_BINDINGS(subquad_ssm) {
  emscripten::function("ssmMethods", &subquad::ssm_methods);
  emscripten::function("ssmScan", &subquad::ssm_scan);
  emscripten::function("ssmBlock", &subquad::ssm_block);
  emscripten::function("ssmCost", &subquad::ssm_cost);
}
