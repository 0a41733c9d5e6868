// Embind surface of subquad. No algorithms here: argument conversion, and
// every C++ error turned into a result object that web/lib/subquad.js throws
// as a JS Error with the same message (so no exception crosses into JS).
//
// Arrays travel as heap offsets: the JS wrapper copies Float32Arrays into
// malloc'ed buffers and passes their addresses, so kernels never see JS.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <new>
#include <string>

#include "attention/attention.hpp"
#include "bench/measure.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/options.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"

#ifndef SUBQUAD_VERSION
#define SUBQUAD_VERSION "0.0.0"
#endif

using emscripten::val;

namespace subquad {
namespace {

// Values arrive as strings (the wrapper stringifies them).
Options options_from(const val& object) {
  Options o;
  if (object.isUndefined() || object.isNull()) return o;
  const val keys = val::global("Object").call<val>("keys", object);
  const int count = keys["length"].as<int>();
  for (int i = 0; i < count; ++i) {
    const std::string key = keys[i].as<std::string>();
    o.set(key, object[key].as<std::string>());
  }
  return o;
}

val failure(const std::string& message) {
  val r = val::object();
  r.set("error", message);
  return r;
}

template <class Fn>
val guarded(Fn&& fn) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return failure("memory: allocation failed (the WASM heap is full); try a smaller size");
  } catch (const std::exception& e) {
    return failure(e.what());
  } catch (...) {
    return failure("internal: unknown error");
  }
}

val attention_methods() {
  val list = val::array();
  for (const auto& m : attention::methods()) {
    val item = val::object();
    item.set("name", std::string(m.name));
    item.set("summary", std::string(m.summary));
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

val measure(const val& opts) {
  return guarded([&] {
    val r = val::object();
    r.set("json", bench::measure(options_from(opts)));
    return r;
  });
}

val set_threads(int n) {
  set_max_threads(n);
  return val(max_threads());
}

std::uintptr_t cancel_flag_address() { return reinterpret_cast<std::uintptr_t>(&cancel_flag()); }
void set_cancel(int value) { cancel_flag().store(value); }

}  // namespace
}  // namespace subquad

EMSCRIPTEN_BINDINGS(subquad) {
  using namespace emscripten;
  function("version", +[] { return std::string(SUBQUAD_VERSION); });
  function("flavour", +[] { return std::string(subquad::build_flavour()); });
  function("maxThreads", &subquad::max_threads);
  function("setMaxThreads", &subquad::set_threads);
  function("memoryBudget", &subquad::memory_budget_bytes);
  function("setMemoryBudget", &subquad::set_memory_budget_bytes);
  function("cancelFlagAddress", &subquad::cancel_flag_address);
  function("setCancel", &subquad::set_cancel);
  function("attentionMethods", &subquad::attention_methods);
  function("attentionRun", &subquad::attention_run);
  function("measure", &subquad::measure);
}
