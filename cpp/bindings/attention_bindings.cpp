// Embind surface of the attention family (cpp/attention/).
#include <emscripten/bind.h>

#include <cstdint>

#include "attention/attention.hpp"
#include "bindings/support.hpp"
#include "common/schema.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"

namespace subquad {
namespace {

using namespace bindings;

val attention_methods() {
  // reference: what each method's output is checked against.
  return method_list(attention::methods(), [](val& item, const auto& m) { item.set("reference", std::string(m.reference)); });
}

// lse = 0 unless options.return_lse. Returns { ms (the kernel alone),
// validate_ms (shapes, finiteness, memory: outside the kernel's time), … }.
// w = 0 unless the method takes W (positional_*: (2n−1)×d, length checked in JS).
val attention_run(const std::string& method, std::uintptr_t q, std::uintptr_t k, std::uintptr_t v, std::uintptr_t w,
                  std::uintptr_t out, std::uintptr_t lse, double n, double n_k, double d, const val& opts) {
  return guarded([&] {
    const Dims dims = check_dims(attention::family(), {{"n", n}, {"n_k", n_k}, {"d", d}});
    const auto nn = dim_of(dims, "n"), nk = dim_of(dims, "n_k"), dd = dim_of(dims, "d");
    const attention::Params params = attention::params_from(options_from(opts), dd, method);
    const attention::Problem p{nn, dd, reinterpret_cast<const float*>(q), reinterpret_cast<const float*>(k),
                               reinterpret_cast<const float*>(v), nk, reinterpret_cast<const float*>(w)};
    attention::Stats stats;
    const double t0 = now_ms();
    const attention::Method& m = attention::prepare(method, p, params);
    const double t1 = now_ms();
    attention::execute(m, p, params, reinterpret_cast<float*>(out), stats, reinterpret_cast<float*>(lse));
    const double ms = now_ms() - t1;
    attention::describe(m, p, params, stats);  // e.g. the polynomial's fit error: outside the timer
    val r = val::object();
    r.set("ms", ms);
    r.set("validate_ms", t1 - t0);
    r.set("threads", resolve_threads(params.threads));
    r.set("scale", attention::resolved_scale(params, dd));
    r.set("flops", m.cost(nn, nk, dd, params).flops);
    val s = val::object();
    for (const auto& [key, value] : stats) s.set(key, value);
    r.set("stats", s);
    return r;
  });
}

// The cost model, so the page can warn before a run that would be too slow
// or too big: { flops, bytes, memory_bytes }.
val attention_cost(const std::string& method, double n, double d, const val& opts) {
  return guarded([&] {
    return cost_object(attention::family().cost(method, {{"n", n}, {"d", d}}, options_from(opts)));
  });
}

}  // namespace
}  // namespace subquad

EMSCRIPTEN_BINDINGS(subquad_attention) {
  emscripten::function("attentionCost", &subquad::attention_cost);
  emscripten::function("attentionMethods", &subquad::attention_methods);
  emscripten::function("attentionRun", &subquad::attention_run);
}
