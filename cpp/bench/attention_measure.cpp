// Measurement of one attention method at one shape (suite "attention").
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "bench/measure.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"

namespace subquad::bench {

namespace {

// Error of `out` against the double-precision reference of `method`
// (Method::reference) on `check_rows` evenly spread rows: max |O − R| / max |R| over those rows.
double sampled_error(const attention::Problem& prob, const attention::Params& params,
                     const float* out, std::size_t check_rows, const std::string& method) {
  const attention::Method& m = attention::find_method(method);
  const std::size_t n = prob.n, d = prob.d, rows = std::min(check_rows, n);
  double err = 0, ref = 0;
  std::vector<double> r(d);
  for (std::size_t s = 0; s < rows; ++s) {
    const std::size_t i = rows == 1 ? 0 : s * (n - 1) / (rows - 1);
    attention::reference_row(m, prob, params, i, r.data());
    for (std::size_t k = 0; k < d; ++k) {
      err = std::max(err, std::fabs(double(out[i * d + k]) - r[k]));
      ref = std::max(ref, std::fabs(r[k]));
    }
  }
  return rows ? (ref > 0 ? err / ref : err) : NAN;
}

}  // namespace

std::string measure_attention(const Options& o) {
  const OptionValues v = suite_values("attention", o);
  const std::string method = v.text("method");
  const auto n = static_cast<std::size_t>(v.integer("n"));
  const auto d = static_cast<std::size_t>(v.integer("d"));
  const auto seed = static_cast<std::uint64_t>(v.integer("seed"));
  const double min_ms = v.number("min_ms");
  const auto check_rows = static_cast<std::size_t>(v.integer("check_rows"));
  const attention::Params params =
      attention::params_from(method_options(o, attention::family(), method, suite_keys("attention")), d, method);
  const attention::Method& m = attention::find_method(method);
  // Inputs and output must fit beside what the method itself allocates.
  require_memory("n, d", 16.0 * n * d + m.cost(n, n, d, params).memory_bytes);

  const auto Q = make_matrix(v, n, d, seed), K = make_matrix(v, n, d, seed + 1), V = make_matrix(v, n, d, seed + 2);
  // positional_*: w_l(Δ) i.i.d. uniform in [−1, 1] per channel and offset, or smooth
  // (THEORY-2.md §1 (d)).
  const bool positions = attention::needs_positions(m, params);
  const auto W = positions ? position_weights(v.text("w"), n, d, seed + 3) : std::vector<float>();
  std::vector<float> out(n * d), lse(params.return_lse ? n : 0);
  const attention::Problem prob{n, d, Q.data(), K.data(), V.data(), 0, positions ? W.data() : nullptr};
  attention::Stats stats;
  // Validation (a pass over 3·n·d entries, the memory check) once, outside
  // the timer: the timed region is the kernel alone.
  const double v0 = now_ms();
  attention::prepare(method, prob, params);
  const double validate_ms = now_ms() - v0;
  const Timing t = time_median(
      [&] {
        stats.clear();
        attention::execute(m, prob, params, out.data(), stats, lse.data());
      },
      1, min_ms, 200);
  attention::describe(m, prob, params, stats);  // outside the timer

  const std::size_t rows = std::min(check_rows, n);
  const double error = sampled_error(prob, params, out.data(), rows, method);
  const attention::Cost cost = m.cost(n, n, d, params);
  JsonLine j;
  j.add("suite", "attention").add("method", method).add("n", n).add("d", d);
  j.add("dist", v.text("dist"));
  if (v.text("dist") == "uniform") j.add("B", v.number("B"));
  j.add("scale", attention::resolved_scale(params, d)).add("causal", params.causal);
  if (positions) j.add("w", v.text("w"));
  j.add("flavour", build_flavour()).add("threads", resolve_threads(params.threads));
  j.add("timed", "kernel").add("median_ms", t.median_ms).add("min_ms", t.min_ms).add("max_ms", t.max_ms);
  j.add("q1_ms", t.q1_ms).add("q3_ms", t.q3_ms).add("reps", t.reps).add("validate_ms", validate_ms);
  j.add("gflops", cost.flops / (t.median_ms * 1e6));
  j.add("memory_mb", cost.memory_bytes / 1048576.0);
  j.add("error", error).add("error_rows", rows);
  for (const auto& [key, value] : stats) j.add(key, value);
  return j.str();
}


// The degree (hence rank, hence time) the polynomial method needs for a target
// error as B grows (THEORY.md §2(c)): the smallest g in [0, 12] whose sampled
// error is ≤ target at this n, d, B, then its time against flash's.
std::string measure_poly_degree(const Options& o) {
  const OptionValues v = suite_values("poly_degree", o);
  const auto n = static_cast<std::size_t>(v.integer("n"));
  const auto d = static_cast<std::size_t>(v.integer("d"));
  const auto seed = static_cast<std::uint64_t>(v.integer("seed"));
  const double target = v.number("target");
  const double min_ms = v.number("min_ms");
  const auto check_rows = static_cast<std::size_t>(v.integer("check_rows"));
  // Every other key goes to the polynomial method (degree is the search's own).
  attention::Params params = attention::params_from(
      method_options(o, attention::family(), "polynomial", suite_keys("poly_degree")).without({"degree"}), d,
      "polynomial");
  attention::Params flash_params;
  flash_params.scale = params.scale;
  flash_params.threads = params.threads;
  flash_params.causal = params.causal;
  require_memory("n, d", 16.0 * n * d);
  const auto Q = make_matrix(v, n, d, seed), K = make_matrix(v, n, d, seed + 1), V = make_matrix(v, n, d, seed + 2);
  std::vector<float> out(n * d);
  const attention::Problem prob{n, d, Q.data(), K.data(), V.data()};
  attention::Stats stats;
  int found = -1;
  double error = NAN, rank = NAN;
  std::string stopped;
  for (int g = 0; g <= attention::kMaxDegree && found < 0; ++g) {
    params.degree = g;
    stats.clear();
    try {
      attention::run("polynomial", prob, params, out.data(), stats);
    } catch (const Error& e) {
      stopped = e.what();  // rank beyond the memory budget, R too wide, …
      break;
    }
    error = sampled_error(prob, params, out.data(), check_rows, "polynomial");
    if (error <= target) found = g;
  }
  JsonLine j;
  j.add("suite", "poly_degree").add("method", "polynomial").add("poly", params.poly);
  j.add("n", n).add("d", d).add("dist", v.text("dist"));
  if (v.text("dist") == "uniform") j.add("B", v.number("B"));
  j.add("scale", attention::resolved_scale(params, d)).add("target", target);
  j.add("flavour", build_flavour()).add("threads", resolve_threads(params.threads));
  if (found < 0) {
    j.add("degree", NAN).add("error", error);
    if (!stopped.empty()) j.add("stopped", stopped);
    return j.str();
  }
  for (const auto& [key, value] : stats)
    if (key == "R" || key == "poly_max_rel_error") j.add(key, value);
  rank = attention::poly_rank(d, found);
  // Both timed as kernels alone (validation outside the timer).
  const attention::Method& poly_m = attention::prepare("polynomial", prob, params);
  const attention::Method& flash_m = attention::prepare("flash", prob, flash_params);
  const Timing poly = time_median([&] {
    stats.clear();
    attention::execute(poly_m, prob, params, out.data(), stats);
  }, 1, min_ms, 50);
  const Timing flash = time_median([&] {
    stats.clear();
    attention::execute(flash_m, prob, flash_params, out.data(), stats);
  }, 1, min_ms, 50);
  j.add("degree", found).add("rank", rank).add("error", error);
  j.add("median_ms", poly.median_ms).add("flash_ms", flash.median_ms);
  j.add("speedup", flash.median_ms / poly.median_ms);
  return j.str();
}

}  // namespace subquad::bench
