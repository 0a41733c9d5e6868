// Embind surface of the collapse family (cpp/collapse/): layer collapse.
#include <emscripten/bind.h>

#include <cstdint>

#include "bindings/support.hpp"
#include "collapse/collapse.hpp"
#include "common/schema.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"

namespace subquad {
namespace {

using namespace bindings;

val collapse_methods() { return method_list(collapse::methods()); }

// x: heap address of n×d floats; w: of the weights (0 = seeded), w_size their
// count; out: n×d. Returns { ms (the kernel alone), validate_ms, threads,
// scale, flops, stats }.
val collapse_run(const std::string& method, std::uintptr_t x, std::uintptr_t w, double w_size,
                 std::uintptr_t out, double n, double d, const val& opts) {
  return guarded([&] {
    const Dims dims = check_dims(collapse::family(), {{"n", n}, {"d", d}});
    const auto nn = dim_of(dims, "n"), dd = dim_of(dims, "d");
    const collapse::Params params = collapse::params_from(options_from(opts), dd, method);
    const collapse::Problem p{
        nn,
        dd,
        {reinterpret_cast<const float*>(x), nn * dd},
        {reinterpret_cast<const float*>(w), w ? static_cast<std::size_t>(w_size) : 0}};
    collapse::Stats stats;
    const double t0 = now_ms();
    const collapse::Method& m = collapse::prepare(method, p, params);
    const double t1 = now_ms();
    collapse::execute(m, p, params, reinterpret_cast<float*>(out), stats);
    const double ms = now_ms() - t1;
    val r = val::object();
    r.set("ms", ms);
    r.set("validate_ms", t1 - t0);
    r.set("threads", m.run == collapse::reference || m.run == collapse::res_norm_method
                         ? 1
                         : resolve_threads(params.threads));
    r.set("scale", collapse::resolved_scale(params, dd));
    r.set("flops", m.cost(nn, dd, params).flops);
    val s = val::object();
    for (const auto& [key, value] : stats) s.set(key, value);
    r.set("stats", s);
    return r;
  });
}

}  // namespace
}  // namespace subquad

EMSCRIPTEN_BINDINGS(subquad_collapse) {
  emscripten::function("collapseMethods", &subquad::collapse_methods);
  emscripten::function("collapseRun", &subquad::collapse_run);
}
