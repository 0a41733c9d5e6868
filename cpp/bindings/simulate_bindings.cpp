// Embind surface of the simulate family (cpp/simulate/): length-N attention
// from counted calls to a length-M oracle.
#include <emscripten/bind.h>

#include <cstdint>

#include "bindings/support.hpp"
#include "common/schema.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "simulate/simulate.hpp"

namespace subquad {
namespace {

using namespace bindings;

val simulate_methods() { return method_list(simulate::methods()); }

// q, k, v: heap addresses of n×d floats; o (n×d floats) or o64 (n×d doubles)
// by precision, ln (n doubles). Returns { ms (the simulation alone),
// validate_ms, error (vs direct: flash or the double reference, outside the
// timer), against, calls, callsPredicted, flops, M, window, sinks, failures,
// leakBound, codeLength, threads, scale, precision }.
val simulate_run(const std::string& method, std::uintptr_t q, std::uintptr_t k, std::uintptr_t v, std::uintptr_t o,
                 std::uintptr_t o64, std::uintptr_t ln, double n, double d, const val& opts) {
  return guarded([&] {
    const Dims dims = check_dims(simulate::family(), {{"n", n}, {"d", d}});
    const auto nn = dim_of(dims, "n"), dd = dim_of(dims, "d");
    const simulate::Params params = simulate::params_from(options_from(opts), dd, method);
    auto f = [](std::uintptr_t p) { return reinterpret_cast<const float*>(p); };
    const std::size_t nd = nn * dd;
    const simulate::Problem p{nn, dd, {f(q), nd}, {f(k), nd}, {f(v), nd}};
    const simulate::Output out{reinterpret_cast<float*>(o), reinterpret_cast<double*>(o64),
                               reinterpret_cast<double*>(ln)};
    if (params.float64 ? !out.O64 : !out.O) throw Error("precision", "internal: no output buffer for this precision");
    simulate::Report report;
    const double t0 = now_ms();
    const simulate::Method& m = simulate::prepare(method, p, params);
    const double t1 = now_ms();
    simulate::execute(m, p, params, out, report);
    const double ms = now_ms() - t1;
    std::string against;
    const double error = simulate::direct_error(method, p, params, out, &against);
    val r = val::object();
    r.set("ms", ms);
    r.set("validate_ms", t1 - t0);
    r.set("error", error);
    r.set("against", against);
    r.set("calls", double(report.calls));
    r.set("callsPredicted", double(report.calls_predicted));
    r.set("flops", report.flops);
    r.set("M", double(report.M));
    r.set("window", double(report.window));
    r.set("sinks", double(report.sinks));
    r.set("failures", double(report.failures));
    r.set("leakBound", report.leak_bound);
    r.set("codeLength", double(report.code_length));
    r.set("threads", resolve_threads(params.threads));
    r.set("scale", simulate::resolved_scale(params, dd));
    r.set("precision", std::string(params.float64 ? "float64" : "float32"));
    return r;
  });
}

}  // namespace
}  // namespace subquad

EMSCRIPTEN_BINDINGS(subquad_simulate) {
  emscripten::function("simulateMethods", &subquad::simulate_methods);
  emscripten::function("simulateRun", &subquad::simulate_run);
}
