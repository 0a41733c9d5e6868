// The kernel family under fuzzing: any method, small shapes (n ≤ 120, so the
// exact product crosses its 48-row blocks and 128-column panels; d ≤ 6), any
// values and options, valid or not. Invalid input must raise subquad::Error
// (nothing else, and no hang: CG is capped). Valid input: exact, polynomial
// and fgt must stay within their stated errors of the double reference —
// exact within float32's uncertainty of t = ‖x̃ − ỹ‖² (grows with B), polynomial
// within (δ + rounding)·‖w‖₁, fgt within its error_bound·‖w‖₁; a converged
// solve must report a residual ≤ its tolerance.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "fuzz/harness.hpp"
#include "kernel/kernel.hpp"

namespace subquad::fuzz {

namespace {

double stat_or(const kernel::Stats& s, const char* key, double fallback) {
  for (const auto& [k, v] : s)
    if (k == key) return v;
  return fallback;
}

}  // namespace

int kernel(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  const auto& list = kernel::methods();
  const std::string name = list[in.u8() % list.size()].name;
  const std::size_t n = 1 + in.u8() % 120, d = 1 + in.u8() % 6;
  kernel::Params params;
  const std::uint8_t hb = in.u8();
  params.bandwidth = hb == 255 ? NAN : hb == 254 ? 0.0 : hb == 253 ? -1.0 : hb == 252 ? INFINITY : 0.1 + hb * 0.05;
  params.op = (in.u8() & 1) ? "laplacian" : "adjacency";
  params.threads = in.u8() % 3;  // 2 may exceed the pool: must be an Error
  const std::uint8_t eb = in.u8();
  params.error = eb == 255 ? 0.0 : eb == 254 ? 1.0 : eb == 253 ? NAN : std::pow(10.0, -1.0 - (eb % 10));
  params.degree = in.u8() % 16;
  params.factor = (in.u8() & 1) ? "product" : "distance";
  params.order = in.u8() % 20;
  const std::uint8_t rb = in.u8();
  params.radius = rb == 255 ? 0.0 : 0.1 + (rb % 40) * 0.05;
  params.clusters = in.u8() % 24;
  const char* products[] = {"reference", "exact", "polynomial", "fgt", "laplacian_solve"};
  params.product = products[in.u8() % 5];
  params.iterations = 1 + in.u8() % 60;
  params.tolerance = std::pow(10.0, -1.0 - (in.u8() % 10));
  const float scale = 0.1f + static_cast<float>(in.u8() % 32) * 0.25f;
  // Keep the fuzzer fast: ranks and Taylor tables small.
  while (params.degree > 0 && kernel::polynomial_rank(params.factor, d, params.degree) > 5000) --params.degree;
  while (params.order > 0 && kernel::rank_of(d, params.order) > 3000) --params.order;
  std::vector<float> X(n * d), w(n), y(n), r(n);
  for (auto& x : X) x = in.value(scale);
  for (auto& x : w) x = in.value(1.0f);
  kernel::Stats stats;
  const kernel::Problem p{n, d, X.data(), X.size(), w.data(), w.size()};
  try {
    // An automatic degree or order can be large on wide point sets: cap the work here by B.
    if ((name == "polynomial" || name == "fgt") && params.degree == 0 && params.order == 0) {
      double B = 0;
      for (float x : X) B = std::max(B, double(std::fabs(x)));
      if (!(B * B * d / (params.bandwidth * params.bandwidth) < 30)) params.degree = params.order = 3;
    }
    kernel::run(name, p, params, y.data(), stats);
  } catch (const Error&) {
    return 0;  // refused with a named error: fine
  }
  if (name == "laplacian_solve") {
    if (stat_or(stats, "converged", 0) == 1 && !(stat_or(stats, "residual", 1) <= params.tolerance)) {
      std::fprintf(stderr, "converged with residual %g > tolerance %g\n", stat_or(stats, "residual", 1), params.tolerance);
      std::abort();
    }
    return 0;
  }
  if (name == "reference") return 0;
  kernel::Params rp = params;
  rp.threads = 0;
  kernel::Stats rs;
  kernel::run("reference", p, rp, r.data(), rs);
  double wl1 = 0;
  for (float x : w) wl1 += std::fabs(double(x));
  const bool lap = params.op == "laplacian";
  const double B = stat_or(stats, "B", 0);
  double rel = 0;
  if (name == "exact") rel = 2e-6 + 4e-7 * B;
  if (name == "polynomial") rel = stat_or(stats, "delta", 1) + stat_or(stats, "rounding_bound", 1) + 1e-7;
  if (name == "fgt") rel = stat_or(stats, "error_bound", 1) + 1e-7;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(r[i])) continue;
    // Aw errs by ≤ rel·‖w‖₁; (A1)∘w by ≤ rel·n·|w_i|; float32 output rounding on top.
    const double allowed = rel * (wl1 + (lap ? n * std::fabs(double(w[i])) : 0.0)) + 1e-6 * std::fabs(double(r[i])) + 1e-30;
    if (!(std::fabs(double(y[i]) - double(r[i])) <= allowed)) {
      std::fprintf(stderr, "%s row %zu: %.9g vs reference %.9g (allowed %g; n=%zu d=%zu B=%g op=%s)\n", name.c_str(), i,
                   y[i], r[i], allowed, n, d, B, params.op.c_str());
      for (const auto& [k, v] : stats) std::fprintf(stderr, "  %s = %g\n", k.c_str(), v);
      std::abort();
    }
  }
  return 0;
}

}  // namespace subquad::fuzz
