// Embind surface of the grad family (cpp/grad/): the attention backward.
#include <emscripten/bind.h>

#include <cstdint>

#include "bindings/support.hpp"
#include "common/schema.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "grad/grad.hpp"

namespace subquad {
namespace {

using namespace bindings;

val grad_methods() {
  // The backward's methods, then the paper's loss problem's (marked loss: true).
  val list = method_list(grad::methods());
  const val loss = method_list(grad::loss_methods(), [](val& item, const auto&) { item.set("loss", true); });
  list = list.call<val>("concat", loss);
  return list;
}

// Arrays are heap addresses of n×d floats (K, V, dK, dV: n_k×d; lse: n), their lengths checked by
// the JS wrapper; o = lse = 0 when the forward's output is not given. Returns
// { ms (the kernel alone), validate_ms (shapes, finiteness, memory), threads,
// scale, flops, stats }.
val grad_run(const std::string& method, std::uintptr_t q, std::uintptr_t k, std::uintptr_t v, std::uintptr_t dout,
             std::uintptr_t o, std::uintptr_t lse, std::uintptr_t dq, std::uintptr_t dk, std::uintptr_t dv, double n,
             double nk, double d, const val& opts) {
  return guarded([&] {
    const Dims dims = check_dims(grad::family(), {{"n", n}, {"n_k", nk}, {"d", d}});
    const auto nn = dim_of(dims, "n"), kk = dim_of(dims, "n_k"), dd = dim_of(dims, "d");
    const grad::Params params = grad::params_from(options_from(opts), dd, method);
    auto f = [](std::uintptr_t p) { return reinterpret_cast<const float*>(p); };
    const std::size_t nd = nn * dd, kd = kk * dd;
    const grad::Problem p{nn, dd, {f(q), nd}, {f(k), kd}, {f(v), kd}, {f(dout), nd},
                          {f(o), o ? nd : 0}, {f(lse), lse ? nn : 0}, kk};
    const grad::Output out{reinterpret_cast<float*>(dq), reinterpret_cast<float*>(dk), reinterpret_cast<float*>(dv)};
    grad::Stats stats;
    const double t0 = now_ms();
    const grad::Method& m = grad::prepare(method, p, params);
    const double t1 = now_ms();
    grad::execute(m, p, params, out, stats);
    const double ms = now_ms() - t1;
    val r = val::object();
    r.set("ms", ms);
    r.set("validate_ms", t1 - t0);
    r.set("threads", resolve_threads(params.threads));
    r.set("scale", grad::resolved_scale(params, dd));
    r.set("flops", m.cost(nn, kk, dd, params).flops);
    r.set("forward_included", o == 0 && std::string(m.name) == "flash");
    val s = val::object();
    for (const auto& [key, value] : stats) s.set(key, value);
    r.set("stats", s);
    return r;
  });
}

// The paper's problem: A1, A2, A3, E are heap addresses of n×d floats, X, Y
// of d×d, dx of the d×d output (lengths checked by the JS wrapper). Returns
// { loss, ms (the kernel alone), validate_ms, threads, scale, flops, stats }.
val grad_loss_run(const std::string& method, std::uintptr_t a1, std::uintptr_t a2, std::uintptr_t a3,
                  std::uintptr_t x, std::uintptr_t y, std::uintptr_t e, std::uintptr_t dx, double n, double d,
                  const val& opts) {
  return guarded([&] {
    const Dims dims = check_dims(grad::family(), {{"n", n}, {"d", d}});
    const auto nn = dim_of(dims, "n"), dd = dim_of(dims, "d");
    const grad::Params params = grad::params_from(options_from(opts), dd, method);
    auto f = [](std::uintptr_t p) { return reinterpret_cast<const float*>(p); };
    const std::size_t nd = nn * dd, sq = dd * dd;
    const grad::LossProblem p{nn, dd, {f(a1), nd}, {f(a2), nd}, {f(a3), nd}, {f(e), nd}, {f(x), sq}, {f(y), sq}};
    grad::Stats stats;
    const double t0 = now_ms();
    const grad::LossMethod& m = grad::prepare_loss(method, p, params);
    const double t1 = now_ms();
    const double loss = grad::execute_loss(m, p, params, reinterpret_cast<float*>(dx), stats);
    const double ms = now_ms() - t1;
    val r = val::object();
    r.set("loss", loss);
    r.set("ms", ms);
    r.set("validate_ms", t1 - t0);
    r.set("threads", resolve_threads(params.threads));
    r.set("scale", grad::resolved_scale(params, dd));
    r.set("flops", m.cost(nn, dd, params).flops);
    val s = val::object();
    for (const auto& [key, value] : stats) s.set(key, value);
    r.set("stats", s);
    return r;
  });
}

}  // namespace
}  // namespace subquad

EMSCRIPTEN_BINDINGS(subquad_grad) {
  emscripten::function("gradMethods", &subquad::grad_methods);
  emscripten::function("gradRun", &subquad::grad_run);
  emscripten::function("gradLossRun", &subquad::grad_loss_run);
}
