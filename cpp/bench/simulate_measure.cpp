// Measurement of one simulate mode at one shape (suite "simulate"): the whole
// simulation (every oracle call, the padding and the merges) timed alone, its
// call counts, and for the full-attention modes (blocks, blocks_lse, sampled)
// the direct flash on the same input in the same record: its time, the ratio,
// and the error of the simulation against it (every row). window and sinks
// are checked on sampled rows against the masked double reference; packed
// against flash on each instance.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "bench/measure.hpp"
#include "common/compare.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "simulate/simulate.hpp"

namespace subquad::bench {

namespace {

// window / sinks: max |out − ref| / max |ref| over `rows` evenly spread rows,
// each row from the double reference over the keys it sees (O(rows·(r+s)·d)).
double masked_rows_error(const std::string& method, const simulate::Problem& p, const simulate::Params& q,
                         const float* O, std::size_t rows) {
  const std::size_t n = p.n, d = p.d;
  rows = std::min(rows, n);
  if (!rows) return NAN;
  simulate::Mask mask;
  mask.causal = true;
  mask.window = q.window;
  mask.sinks = method == "sinks" ? q.sinks : 0;
  const double scale = simulate::resolved_scale(q, d);
  std::vector<double> qi(d), o(d);
  double err = 0, ref = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t i = rows == 1 ? n - 1 : r * (n - 1) / (rows - 1);
    const std::vector<double> K(p.K.data, p.K.data + (i + 1) * d), V(p.V.data, p.V.data + (i + 1) * d);
    for (std::size_t k = 0; k < d; ++k) qi[k] = p.Q.data[i * d + k];
    simulate::attention_f64(qi.data(), 1, K.data(), V.data(), i + 1, d, scale, mask, o.data(), nullptr);
    for (std::size_t k = 0; k < d; ++k) {
      err = std::isfinite(O[i * d + k]) ? std::max(err, std::fabs(O[i * d + k] - o[k])) : INFINITY;
      ref = std::max(ref, std::fabs(o[k]));
    }
  }
  return ref > 0 ? err / ref : err;
}

}  // namespace

std::string measure_simulate(const Options& o) {
  const OptionValues v = suite_values("simulate", o);
  const std::string method = v.text("method");
  const auto n = static_cast<std::size_t>(v.integer("n"));
  const auto d = static_cast<std::size_t>(v.integer("d"));
  const auto seed = static_cast<std::uint64_t>(v.integer("seed"));
  const double min_ms = v.number("min_ms");
  const auto check_rows = static_cast<std::size_t>(v.integer("check_rows"));
  const simulate::Params given =
      simulate::params_from(method_options(o, simulate::family(), method, suite_keys("simulate")), d, method);
  const simulate::Params q = simulate::resolved(given, n);
  simulate::check_sizes(method, n, q);
  // float64 runs (the panel's normaliser pitfall) are checked against the double reference instead.
  const bool full = !given.float64 && (method == "blocks" || method == "blocks_lse" || method == "sampled");
  // Q, K, V, O and the direct output beside what the simulation allocates.
  require_memory("n, d", 4.0 * 5 * n * d + simulate::cost(method, n, d, q).memory_bytes);

  auto Q = make_matrix(v, n, d, seed), K = make_matrix(v, n, d, seed + 1), V = make_matrix(v, n, d, seed + 2);
  const bool needle = v.boolean("needle");
  if (needle || v.boolean("positive")) {
    for (auto& x : V) x = std::fabs(x);  // values that do not cancel (Thm 4.1's condition)
  }
  if (needle) {
    // One key every query scores 8 with (coordinate 0: q = 1, k = 8/scale), value 10; the others score as drawn
    // less their coordinate 0. A most-similar-pair instance: sampling M of N keys misses it w.p. 1 − M/N.
    const double s = simulate::resolved_scale(q, d);
    for (std::size_t i = 0; i < n; ++i) {
      Q[i * d] = 1;
      K[i * d] = 0;
    }
    const std::size_t at = n / 3;
    K[at * d] = static_cast<float>(8 / s);
    for (std::size_t k = 0; k < d; ++k) V[at * d + k] = 10;
  }
  std::vector<float> O(q.float64 ? 0 : n * d), direct(full ? n * d : 0);
  std::vector<double> O64(q.float64 ? n * d : 0);
  const simulate::Problem prob{n, d, {Q.data(), Q.size()}, {K.data(), K.size()}, {V.data(), V.size()}};
  const simulate::Output out{O.data(), O64.data(), nullptr};
  simulate::Report report;
  const double v0 = now_ms();
  const simulate::Method& m = simulate::prepare(method, prob, given);
  const double validate_ms = now_ms() - v0;
  const Timing t = time_median([&] { simulate::execute(m, prob, given, out, report); }, 1, min_ms, 200);

  JsonLine j;
  j.add("suite", "simulate").add("method", method).add("n", n).add("d", d).add("M", q.M);
  if (method == "window" || method == "sinks") j.add("window", q.window);
  if (method == "sinks") j.add("sinks", q.sinks);
  if (method == "packed") j.add("B_code", q.B).add("code_length", report.code_length).add("leak_bound", report.leak_bound);
  j.add("dist", v.text("dist")).add("needle", needle).add("positive", needle || v.boolean("positive"));
  if (v.text("dist") == "uniform") j.add("B", v.number("B"));
  const bool causal = method == "window" || method == "sinks" || (q.causal && method != "sampled");
  j.add("scale", simulate::resolved_scale(q, d)).add("causal", causal);
  j.add("precision", q.float64 ? "float64" : "float32").add("flavour", build_flavour()).add("threads", resolve_threads(q.threads));
  j.add("timed", "simulation").add("median_ms", t.median_ms).add("min_ms", t.min_ms).add("max_ms", t.max_ms);
  j.add("q1_ms", t.q1_ms).add("q3_ms", t.q3_ms).add("reps", t.reps).add("validate_ms", validate_ms);
  j.add("calls", report.calls).add("calls_predicted", report.calls_predicted);
  j.add("flops", report.flops).add("gflops", report.flops / (t.median_ms * 1e6));
  j.add("memory_mb", simulate::cost(method, n, d, q).memory_bytes / 1048576.0);
  if (method == "blocks" || method == "window" || method == "sinks") j.add("failures", report.failures);
  if (report.calls <= simulate::kMaxTrace) {
    // Each call "q0:rows:k0:keys" (keys with a synthetic one), space-separated, in call order (the panel's grid).
    std::string trace;
    for (const auto& c : report.trace)
      trace += (trace.empty() ? "" : " ") + std::to_string(c[0]) + ":" + std::to_string(c[1]) + ":" + std::to_string(c[2]) +
               ":" + std::to_string(c[3]);
    j.add("trace", trace);
  }
  if (q.float64) {
    j.add("error", simulate::direct_error(method, prob, given, out)).add("error_against", "reference");
    j.add("error_rows", n);
  } else if (full) {
    attention::Params ap;
    ap.scale = simulate::resolved_scale(q, d);
    ap.causal = method != "sampled" && q.causal;
    ap.threads = q.threads;
    const attention::Problem aprob{n, d, Q.data(), K.data(), V.data()};
    const attention::Method& flash = attention::prepare("flash", aprob, ap);
    attention::Stats stats;
    const Timing ft = time_median(
        [&] {
          stats.clear();
          attention::execute(flash, aprob, ap, direct.data(), stats);
        },
        1, min_ms, 200);
    j.add("direct", "flash").add("direct_median_ms", ft.median_ms).add("direct_min_ms", ft.min_ms);
    j.add("direct_q1_ms", ft.q1_ms).add("direct_q3_ms", ft.q3_ms).add("direct_reps", ft.reps);
    j.add("over_direct", t.median_ms / ft.median_ms);
    double err = 0, ref = 0;
    for (std::size_t i = 0; i < n * d; ++i) {
      err = std::isfinite(O[i]) ? std::max(err, std::fabs(double(O[i]) - direct[i])) : INFINITY;
      ref = std::max(ref, std::fabs(double(direct[i])));
    }
    j.add("error", ref > 0 ? err / ref : err).add("error_against", "flash").add("error_rows", n);
  } else if (method == "packed") {
    j.add("error", simulate::direct_error(method, prob, given, out)).add("error_against", "flash per instance");
    j.add("error_rows", n);
  } else {
    const std::size_t rows = std::min(check_rows, n);
    j.add("error", masked_rows_error(method, prob, q, O.data(), rows)).add("error_against", "reference");
    j.add("error_rows", rows);
  }
  return j.str();
}

}  // namespace subquad::bench
