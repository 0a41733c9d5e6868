// Suite "construction": the attention-vs-subquadratic experiment on one
// planted bichromatic Max-IP instance (cpp/experiments/construction.hpp).
//   method = any attention method, or "sketch_reader" (fixed state)
//   n, l (dimension), density, beta (β = beta·ln n), state (reader floats), seed
// problem=ov runs the OV construction instead (QKᵀ = −3 ln n·⟨a,b⟩, V = 1, one
// extra zero token; THEORY.md §3) on random 0/1 sets A, B of word density
// `density`, and reports how often its answer equals OV brute force.
#include <algorithm>
#include <cmath>
#include <vector>

#include "bench/measure.hpp"
#include "common/json.hpp"
#include "common/threads.hpp"
#include "common/rng.hpp"
#include "experiments/construction.hpp"
#include "pairs/generate.hpp"

namespace subquad::bench {

namespace {

bool takes_option_of_suite(const std::string& key) {
  for (const auto& spec : suite("construction").options)
    if (spec.name == key) return true;
  return false;
}

std::string measure_ov_construction(const Options& o) {
  const OptionValues v = suite_values("construction", o);
  for (const auto& [key, value] : o.values())
    if (key != "suite" && !takes_option_of_suite(key))
      throw Error(key, "unknown option for the ov construction; it takes the construction suite's keys");
  const std::string method = v.text("method");
  const auto n = static_cast<std::size_t>(v.integer("n"));
  // ov's own defaults: short, dense documents (a partner exists about half the time).
  const auto l = static_cast<std::size_t>(v.given("l") ? v.integer("l") : 16);
  const double density = v.given("density") ? v.number("density") : 0.5;
  require(density < 1, "density", density, "in (0, 1) (all ones has no orthogonal pair)");
  const auto seed = static_cast<std::uint64_t>(v.integer("seed"));
  const int threads = static_cast<int>(v.integer("threads"));
  const auto seeds = static_cast<int>(v.integer("seeds"));
  std::vector<double> times;
  double agree = 0, yes = 0;
  experiments::OvOutcome r;
  for (int s = 0; s < seeds; ++s) {
    throw_if_cancelled();
    Rng rng(seed + static_cast<std::uint64_t>(s));
    std::vector<float> A(n * l), B(n * l);
    for (auto* m : {&A, &B})
      for (auto& v : *m) v = rng.uniform() < density ? 1.0f : 0.0f;
    r = experiments::ov_by_attention(A.data(), B.data(), n, l, method, threads);
    const bool truth = pairs::ov_brute_force(A.data(), n, B.data(), n, l).first >= 0;
    agree += r.exists == truth;
    yes += truth;
    times.push_back(r.ms);
  }
  std::sort(times.begin(), times.end());
  JsonLine j;
  j.add("suite", "construction").add("problem", "ov").add("method", method).add("n", n).add("l", l);
  j.add("density", density).add("seed", static_cast<double>(seed)).add("seeds", seeds);
  j.add("flavour", build_flavour()).add("threads", resolve_threads(threads));
  j.add("timed", "attention kernel").add("median_ms", times[times.size() / 2]).add("min_ms", times.front());
  j.add("max_ms", times.back()).add("accuracy", agree / seeds).add("yes_fraction", yes / seeds);
  j.add("threshold", r.threshold).add("yes_min", r.yes_min).add("no_max", r.no_max);
  return j.str();
}

}  // namespace

std::string measure_construction(const Options& o) {
  const OptionValues v = suite_values("construction", o);
  if (v.text("problem") == "ov") return measure_ov_construction(o);
  const std::string method = v.text("method");
  const auto n = static_cast<std::size_t>(v.integer("n"));
  const auto l = static_cast<std::size_t>(v.integer("l"));
  const double density = v.number("density");
  const auto seed = static_cast<std::uint64_t>(v.integer("seed"));
  const double beta = v.number("beta");
  const auto state = static_cast<std::size_t>(v.integer("state"));
  const int threads = static_cast<int>(v.integer("threads"));
  const auto seeds = static_cast<int>(v.integer("seeds"));
  // Keys not the suite's go to the attention method (its parser refuses what it does not take).
  std::vector<std::pair<std::string, std::string>> extra;
  for (const auto& [key, value] : o.values())
    if (key != "suite" && !takes_option_of_suite(key)) extra.emplace_back(key, value);
  // One instance per seed; accuracy is the fraction solved exactly.
  std::vector<double> times;
  double solved = 0, ratio = 0, decoded = 0;
  int decoded_count = 0;
  experiments::Outcome r;
  experiments::Pair opt;
  for (int s = 0; s < seeds; ++s) {
    throw_if_cancelled();
    const std::uint64_t sd = seed + static_cast<std::uint64_t>(s);
    const experiments::Bichromatic x = experiments::planted_maxip(n, l, density, sd);
    if (method == "sketch_reader") {
      if (!extra.empty()) throw Error(extra.front().first, "unknown option for sketch_reader; options are state");
      r = experiments::maxip_by_sketch_reader(x, state, sd + 7);
    } else {
      auto e = extra;
      e.emplace_back("seed", std::to_string(sd));
      r = experiments::maxip_by_attention(x, method, beta, threads, e);
    }
    opt = experiments::maxip_brute_force(x);
    times.push_back(r.ms);
    solved += r.exact;
    ratio += r.ratio;
    if (std::isfinite(r.decoded)) {
      decoded += r.decoded;
      ++decoded_count;
    }
  }
  std::sort(times.begin(), times.end());
  JsonLine j;
  j.add("suite", "construction").add("method", method).add("n", n).add("l", l);
  j.add("density", density).add("seed", static_cast<double>(seed));
  if (method == "sketch_reader") j.add("state", state);
  else j.add("beta", beta).add("beta_value", beta * std::log(double(n)));
  j.add("flavour", build_flavour()).add("threads", resolve_threads(threads));
  j.add("seeds", seeds).add("timed", method == "sketch_reader" ? "reader" : "attention kernel");
  j.add("median_ms", times[times.size() / 2]).add("min_ms", times.front()).add("max_ms", times.back());
  j.add("accuracy", solved / seeds).add("ratio", ratio / seeds);
  j.add("decoded", decoded_count ? decoded / decoded_count : NAN);
  // The last instance's answer, for a look at one case.
  j.add("exact", r.exact).add("value", r.pair.value).add("optimum", opt.value);
  j.add("i", r.pair.i).add("j", r.pair.j).add("opt_i", opt.i).add("opt_j", opt.j);
  return j.str();
}

}  // namespace subquad::bench
