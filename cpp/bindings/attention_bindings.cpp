// Embind surface of the attention family (cpp/attention/).
#include <emscripten/bind.h>

#include <cstdint>

#include "attention/attention.hpp"
#include "bindings/support.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"

namespace subquad {
namespace {

using namespace bindings;

val attention_methods() {
  val list = val::array();
  for (const auto& m : attention::methods()) {
    val item = val::object();
    item.set("name", std::string(m.name));
    item.set("summary", std::string(m.summary));
    item.set("exact", m.exact);
    list.call<void>("push", item);
  }
  return list;
}

val attention_run(const std::string& method, std::uintptr_t q, std::uintptr_t k, std::uintptr_t v,
                  std::uintptr_t out, double n, double d, const val& opts) {
  return guarded([&] {
    require(n >= 1 && n <= (1 << 24) && n == static_cast<std::size_t>(n), "n", n,
            "an integer in [1, 16777216]");
    require(d >= 1 && d <= 4096 && d == static_cast<std::size_t>(d), "d", d,
            "an integer in [1, 4096]");
    const Options o = options_from(opts);
    const auto nn = static_cast<std::size_t>(n), dd = static_cast<std::size_t>(d);
    const attention::Problem p{nn, dd, reinterpret_cast<const float*>(q),
                               reinterpret_cast<const float*>(k),
                               reinterpret_cast<const float*>(v)};
    const attention::Params params = attention::params_from(o, dd);
    attention::Stats stats;
    const double t0 = now_ms();
    attention::run(method, p, params, reinterpret_cast<float*>(out), stats);
    const double ms = now_ms() - t0;
    val r = val::object();
    r.set("ms", ms);
    r.set("threads", resolve_threads(params.threads));
    r.set("scale", attention::resolved_scale(params, dd));
    r.set("flops", attention::find_method(method).cost(nn, dd, params).flops);
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
    require(n >= 1 && n <= (1 << 24), "n", n, "in [1, 16777216]");
    require(d >= 1 && d <= 4096, "d", d, "in [1, 4096]");
    const auto nn = static_cast<std::size_t>(n), dd = static_cast<std::size_t>(d);
    const attention::Cost c =
        attention::find_method(method).cost(nn, dd, attention::params_from(options_from(opts), dd));
    return cost_object(c);
  });
}

}  // namespace
}  // namespace subquad

EMSCRIPTEN_BINDINGS(subquad_attention) {
  emscripten::function("attentionCost", &subquad::attention_cost);
  emscripten::function("attentionMethods", &subquad::attention_methods);
  emscripten::function("attentionRun", &subquad::attention_run);
}
