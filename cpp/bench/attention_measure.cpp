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


std::string measure_attention(const Options& o) {
  const std::string method = o.str("method", "exact");
  const auto n = static_cast<std::size_t>(o.integer("n", 1024, 1, 1 << 24));
  const auto d = static_cast<std::size_t>(o.integer("d", 64, 1, 4096));
  const auto seed = static_cast<std::uint64_t>(o.integer("seed", 1, 0, 1ll << 53));
  const double min_ms = o.num("min_ms", 200);
  const auto check_rows = static_cast<std::size_t>(o.integer("check_rows", 16, 0, 1 << 24));
  attention::Params params = attention::params_from(o, d);
  const attention::Method& m = attention::find_method(method);
  // Inputs and output must fit beside what the method itself allocates.
  require_memory("n, d", 16.0 * n * d + m.cost(n, d, params).memory_bytes);

  const auto Q = make_matrix(o, n, d, seed), K = make_matrix(o, n, d, seed + 1),
             V = make_matrix(o, n, d, seed + 2);
  std::vector<float> out(n * d);
  const attention::Problem prob{n, d, Q.data(), K.data(), V.data()};
  attention::Stats stats;
  const Timing t = time_median(
      [&] {
        stats.clear();
        attention::run(method, prob, params, out.data(), stats);
      },
      1, min_ms, 200);

  // Error against the double-precision reference on evenly spread rows.
  double err = 0, ref = 0;
  const std::size_t rows = std::min(check_rows, n);
  std::vector<double> r(d);
  for (std::size_t s = 0; s < rows; ++s) {
    const std::size_t i = rows == 1 ? 0 : s * (n - 1) / (rows - 1);
    attention::exact_reference_row(prob, params, i, r.data());
    for (std::size_t k = 0; k < d; ++k) {
      err = std::max(err, std::fabs(double(out[i * d + k]) - r[k]));
      ref = std::max(ref, std::fabs(r[k]));
    }
  }
  const attention::Cost cost = m.cost(n, d, params);
  JsonLine j;
  j.add("suite", "attention").add("method", method).add("n", n).add("d", d);
  j.add("dist", o.str("dist", "uniform"));
  if (o.str("dist", "uniform") == "uniform") j.add("B", o.num("B", 1.0));
  j.add("scale", attention::resolved_scale(params, d)).add("causal", params.causal);
  j.add("flavour", build_flavour()).add("threads", resolve_threads(params.threads));
  j.add("median_ms", t.median_ms).add("min_ms", t.min_ms).add("reps", t.reps);
  j.add("gflops", cost.flops / (t.median_ms * 1e6));
  j.add("memory_mb", cost.memory_bytes / 1048576.0);
  j.add("error", rows ? (ref > 0 ? err / ref : err) : NAN).add("error_rows", rows);
  for (const auto& [key, value] : stats) j.add(key, value);
  return j.str();
}


}  // namespace subquad::bench
