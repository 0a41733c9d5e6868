// Measurement of one collapse method at one shape (suite "collapse"): the
// time of one forward pass of the L-layer, H-head network (or a surrogate),
// kernel only, and — up to check_n tokens — its distance to the double
// reference. With the method's compare option (off by default here: the
// suite times a forward) the report's numbers come along.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "bench/measure.hpp"
#include "collapse/collapse.hpp"
#include "common/compare.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"

namespace subquad::bench {

std::string measure_collapse(const Options& o) {
  const OptionValues v = suite_values("collapse", o);
  const std::string method = v.text("method");
  const auto n = static_cast<std::size_t>(v.integer("n"));
  const auto d = static_cast<std::size_t>(v.integer("d"));
  const auto seed = static_cast<std::uint64_t>(v.integer("seed"));
  const double min_ms = v.number("min_ms");
  const auto check_n = static_cast<std::size_t>(v.integer("check_n"));
  Options mo = method_options(o, collapse::family(), method, suite_keys("collapse"));
  if (!mo.has("compare") && takes_option(collapse::family(), method, "compare"))
    mo.set("compare", "false");
  const collapse::Params params = collapse::params_from(mo, d, method);
  const collapse::Method& m = collapse::find_method(method);
  require_memory("n, d", 4.0 * 2 * n * d + m.cost(n, d, params).memory_bytes);

  const auto X = make_matrix(v, n, d, seed);
  std::vector<float> S(n * d);
  const collapse::Problem p{n, d, {X.data(), X.size()}, {}};
  collapse::Stats stats;
  const double v0 = now_ms();
  collapse::prepare(method, p, params);
  const double validate_ms = now_ms() - v0;
  const Timing t = time_median(
      [&] {
        stats.clear();
        collapse::execute(m, p, params, S.data(), stats);
      },
      1, min_ms, 200);

  double error = NAN;
  if (n <= check_n && m.run != collapse::reference && m.run != collapse::res_norm_method) {
    // The deep network's output against san_forward's double reference (the surrogates: their own
    // deviation only).
    if (m.run == collapse::san_forward) {
      collapse::Params rp = params;
      rp.compare = false;
      std::vector<float> R(n * d);
      collapse::Stats rs;
      collapse::run("reference", p, rp, R.data(), rs);
      error = relative_error(S.data(), R.data(), n * d);
    }
  }
  const Cost cost = m.cost(n, d, params);
  JsonLine j;
  j.add("suite", "collapse").add("method", method).add("n", n).add("d", d);
  const bool network = m.run != collapse::res_norm_method;
  if (network) {
    j.add("layers", params.layers).add("heads", params.heads).add("eta", params.eta);
    j.add("residual", params.residual).add("scale", collapse::resolved_scale(params, d));
    if (m.run != collapse::reference) j.add("attention", params.attention);
    j.add("compare", params.compare);
  }
  j.add("dist", v.text("dist"));
  j.add("flavour", build_flavour())
      .add("threads",
           m.run == collapse::reference || !network ? 1 : resolve_threads(params.threads));
  j.add("timed", "kernel")
      .add("median_ms", t.median_ms)
      .add("min_ms", t.min_ms)
      .add("max_ms", t.max_ms);
  j.add("q1_ms", t.q1_ms).add("q3_ms", t.q3_ms).add("reps", t.reps).add("validate_ms", validate_ms);
  if (network) {
    const double heads =
        m.run == collapse::first_layer ? params.heads : double(params.layers) * params.heads;
    j.add("ms_per_head", t.median_ms / heads);
  }
  j.add("gflops", cost.flops / (t.median_ms * 1e6));
  j.add("memory_mb", cost.memory_bytes / 1048576.0);
  j.add("error", error).add("error_vs", std::isnan(error) ? "none" : "reference");
  // Per-layer res_norm (res_norm_skip_ℓ, …) only with the report (the page's depth chart).
  for (const auto& [key, value] : stats) {
    const bool per_layer = key.rfind("res_norm_", 0) == 0 || key.rfind("norm_", 0) == 0;
    if (key != "eta" && (!per_layer || params.compare)) j.add(key, value);
  }
  return j.str();
}

}  // namespace subquad::bench
