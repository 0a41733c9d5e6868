// Suite "pairs": one pair-search method on one generated instance (or several
// seeds, for recall), timed in C++ without the generation (cpp/pairs/).
//   method (reference | gram | bitset | simhash | minhash), problem, threshold,
//   gen (gaussian | sparse | planted | planted_sparse | ovhard), n, d, rho,
//   density, seed, seeds, threads, tables, bits, bands, rows, min_ms
// found_best compares the method's pair with the exact optimum, computed by
// `reference` for n ≤ 2048 and by `gram` above (gram is tested against
// reference in tests/native/test_pairs.cpp).
#include <algorithm>
#include <cmath>
#include <vector>

#include "bench/measure.hpp"
#include "common/json.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "pairs/generate.hpp"
#include "pairs/pairs.hpp"

namespace subquad::bench {

std::string measure_pairs(const Options& o) {
  const OptionValues v = suite_values("pairs", o);
  const std::string method = v.text("method");
  const std::string gen = v.text("gen");
  pairs::GenerateOptions g;
  g.n = static_cast<std::size_t>(v.integer("n"));
  g.d = static_cast<std::size_t>(v.integer("d"));
  g.rho = v.number("rho");
  g.density = v.number("density");
  g.seed = static_cast<std::uint64_t>(v.integer("seed"));
  const int seeds = static_cast<int>(v.integer("seeds"));
  const double min_ms = v.number("min_ms");
  Options po = method_options(o, pairs::family(), method, suite_keys("pairs"));
  if (po.has("seed") || method == "simhash" || method == "minhash") po.set("seed", std::to_string(g.seed + 17));
  const pairs::Params params = pairs::params_from(po, method);

  std::vector<double> times;
  double found_best = 0, ratio = 0, planted_found = 0;
  pairs::Result r, best;
  for (int s = 0; s < seeds; ++s) {
    throw_if_cancelled();
    pairs::GenerateOptions gs = g;
    gs.seed = g.seed + static_cast<std::uint64_t>(s);
    const pairs::Instance x = pairs::generate(gen, gs);
    const pairs::Data data{x.X.data(), x.n, x.d};
    pairs::Params ps = params;
    ps.seed = params.seed + static_cast<std::uint64_t>(s);
    // Every instance is timed warm (one untimed run first); the time budget
    // is shared between the instances, and the median over them is reported.
    const pairs::Method& pm = pairs::prepare(method, data, ps);  // validation outside the timer
    // At least kMinRepsUnderOneSecond timings per point, spread over its seeds.
    const int fast = (kMinRepsUnderOneSecond + seeds - 1) / seeds;
    const Timing t = time_median([&] { r = pairs::execute(pm, data, ps); }, 1, min_ms / seeds, 50, fast);
    times.push_back(t.median_ms);
    const std::string judge = x.n <= 2048 ? "reference" : "gram";
    best = (judge == method) ? r : pairs::run(judge, data, params);
    const bool same = r.i == best.i && r.j == best.j;
    found_best += same || (r.i >= 0 && r.value == best.value);
    ratio += best.value != 0 ? r.value / best.value : (r.value == 0 ? 1.0 : 0.0);
    planted_found += x.planted_i >= 0 && r.i == x.planted_i && r.j == x.planted_j;
  }
  std::sort(times.begin(), times.end());
  const double ms = times[times.size() / 2];
  JsonLine j;
  j.add("suite", "pairs").add("method", method).add("problem", pairs::kind_name(params.kind));
  j.add("gen", gen).add("n", g.n).add("d", g.d);
  if (gen == "planted" || gen == "planted_sparse") j.add("rho", g.rho);
  if (gen == "sparse" || gen == "planted_sparse") j.add("density", g.density);
  j.add("seed", static_cast<double>(g.seed)).add("seeds", seeds);
  j.add("flavour", build_flavour()).add("threads", resolve_threads(params.threads));
  for (const auto& [k, v] : r.stats)
    if (k == "tables" || k == "bits" || k == "bands" || k == "rows") j.add(k, v);
  // The spread is over instances (each instance's own median).
  j.add("timed", "search").add("median_ms", ms).add("min_ms", times.front()).add("max_ms", times.back());
  j.add("q1_ms", times[times.size() / 4]).add("q3_ms", times[std::min(times.size() - 1, (3 * times.size()) / 4)]);
  j.add("candidates", r.candidates).add("total_pairs", r.total_pairs);
  if (pairs::find_method(method).exact) j.add("gflops", 2.0 * g.d * r.total_pairs / (ms * 1e6));
  j.add("found_best", found_best / seeds).add("ratio", ratio / seeds);
  if (gen.rfind("planted", 0) == 0 || gen == "ovhard") j.add("planted_found", planted_found / seeds);
  j.add("value", r.value).add("best_value", best.value);
  j.add("i", static_cast<double>(r.i)).add("j", static_cast<double>(r.j));
  return j.str();
}

}  // namespace subquad::bench
