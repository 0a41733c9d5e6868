// Embind surface of subquad: module-wide functions (version, threads, memory
// budget, cancellation, measurements). Each family binds itself in
// <family>_bindings.cpp. No algorithms here.
//
// Arrays travel as heap offsets: the JS wrapper copies Float32Arrays into
// malloc'ed buffers and passes their addresses, so kernels never see JS.
#include <emscripten/bind.h>
#include <emscripten/heap.h>
#include <emscripten/val.h>
#include <malloc.h>

#include <cstdint>
#include <new>
#include <string>

#include "bench/measure.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/options.hpp"
#include "common/schema.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "simd/gemm_variants.hpp"
#include "bindings/support.hpp"

#ifndef SUBQUAD_VERSION
#define SUBQUAD_VERSION "0.0.0"
#endif

using emscripten::val;

namespace subquad {
namespace {

using namespace bindings;

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

// Bytes malloc has handed out, and the heap's current and maximum size: the
// soak test checks that repeated calls leak nothing.
val heap_stats() {
  val r = val::object();
  r.set("used", static_cast<double>(mallinfo().uordblks));
  r.set("heapSize", static_cast<double>(emscripten_get_heap_size()));
  r.set("heapMax", static_cast<double>(emscripten_get_heap_max()));
  return r;
}

// Every family's methods, inputs, options and limits (common/schema.hpp).
std::string schema() { return schema_json(); }

// One cost call for every family: dims is { name: value } in the family's
// dimensions; returns { flops, bytes, memory_bytes } or { error }.
val family_cost(const std::string& family_name, const std::string& method, const val& dims, const val& opts) {
  return guarded([&] {
    Dims d;
    const val keys = val::global("Object").call<val>("keys", dims);
    const int count = keys["length"].as<int>();
    for (int i = 0; i < count; ++i) {
      const std::string key = keys[i].as<std::string>();
      const val v = dims[key];
      if (!v.isNumber()) throw Error(key, "must be a number (a dimension of " + family_name + ")");
      d[key] = v.as<double>();
    }
    return cost_object(family(family_name).cost(method, d, options_from(opts)));
  });
}

// The GEMM micro-kernel variants (simd/gemm_variants.hpp): { picked, reason,
// variants: [{ name, tile, pattern, gflops? }] }, gflops from the last
// measurement. action: "" (report), "auto" (measure for ~ms and pick), or a
// variant's name (force it).
val gemm_kernels(const std::string& action, double ms) {
  return guarded([&] {
    if (action == "auto") simd::gemm_autoselect(ms);
    else if (!action.empty()) simd::gemm_force(action);
    val r = val::object();
    r.set("picked", simd::gemm_picked().name);
    r.set("reason", std::string(simd::gemm_pick_reason()));
    val list = val::array();
    for (const auto& v : simd::gemm_variants()) {
      val o = val::object();
      o.set("name", v.name);
      o.set("tile", v.tile);
      o.set("pattern", v.pattern);
      for (const auto& t : simd::gemm_timings())
        if (t.name == v.name) o.set("gflops", t.gflops);
      list.call<void>("push", o);
    }
    r.set("variants", list);
    return r;
  });
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
  function("measure", &subquad::measure);
  function("heapStats", &subquad::heap_stats);
  function("schema", &subquad::schema);
  function("cost", &subquad::family_cost);
  function("gemmKernels", &subquad::gemm_kernels);
}
