// Measurement of one neurons method at one shape (suite "neurons"): the
// forward alone (dtree: query + sparse forward from the leaves; dense: every
// correlation), then `steps` whole gradient steps (forward, gradient, weight
// update; dtree also repairs the moved neurons' trees), each timed on its own.
// The network is made and the trees are built outside every timer (the
// build is reported as build_ms: the n·m inner products the trees rest on).
#include <algorithm>
#include <cmath>
#include <vector>

#include "bench/measure.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "neurons/neurons.hpp"

namespace subquad::bench {

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

}  // namespace

std::string measure_neurons(const Options& o) {
  const OptionValues v = suite_values("neurons", o);
  const std::string method = v.text("method");
  Options init;
  for (const char* k : {"b", "seed", "data"}) init.set(k, v.text(k));
  const Dims dims = {{"n", double(v.integer("n"))}, {"m", double(v.integer("m"))}, {"d", double(v.integer("d"))}};
  const neurons::Config c = neurons::config_from(dims, init);
  Options rest = method_options(o, neurons::family(), method, suite_keys("neurons"));
  for (const char* k : {"b", "seed", "data"}) rest.erase(k);
  neurons::Params params = neurons::params_from(rest, method);
  const auto steps = static_cast<std::size_t>(v.integer("steps"));
  const double min_ms = v.number("min_ms");
  const int threads = resolve_threads(params.threads);
  require_memory("m", neurons::find_method(method).cost(c, params, threads).memory_bytes);

  neurons::Network net = neurons::make_network(c);
  double build_ms = 0;
  neurons::Params forward = params;
  forward.update = false;
  if (method == "dtree") {
    const double t0 = now_ms();
    neurons::build_trees(net, params.threads);
    build_ms = now_ms() - t0;
  }
  // The forward, repeated on the batches training would take next (the
  // weights do not move): a mini-batch's trees are not warm from the last rep.
  neurons::Record fr;
  std::vector<double> fq, ff;
  const Timing ft = time_median(
      [&] {
        fr = neurons::step(method, net, forward);
        fq.push_back(fr.ms_query);
        ff.push_back(fr.ms_forward);
        ++net.steps;
      },
      1, min_ms, 100);
  net.steps = 0;
  // Whole steps; the network moves, so each is timed once.
  std::vector<double> total, query, fwd, repair, moved, fraction, loss;
  for (std::size_t s = 0; s < steps; ++s) {
    const neurons::Record r = neurons::step(method, net, params);
    total.push_back(r.ms_total);
    query.push_back(r.ms_query);
    fwd.push_back(r.ms_forward);
    repair.push_back(r.ms_repair);
    moved.push_back(r.moved);
    fraction.push_back(r.firing_fraction);
    loss.push_back(r.loss);
  }
  const neurons::Method& m = neurons::find_method(method);
  const Cost cost = m.cost(c, params, threads);
  JsonLine j;
  j.add("suite", "neurons").add("method", method).add("n", c.n).add("m", c.m).add("d", c.d).add("b", c.b);
  j.add("data", c.data).add("batch", params.batch ? params.batch : c.n).add("lr", params.lr);
  j.add("flavour", build_flavour()).add("threads", threads);
  j.add("timed", "kernel (network made and trees built outside)");
  j.add("forward_median_ms", ft.median_ms).add("forward_min_ms", ft.min_ms).add("forward_reps", ft.reps);
  j.add("forward_query_ms", median(fq)).add("forward_sum_ms", median(ff));
  j.add("median_ms", median(total)).add("steps", steps);
  j.add("step_query_ms", median(query)).add("step_forward_gradient_ms", median(fwd)).add("step_repair_ms", median(repair));
  j.add("moved", median(moved)).add("moved_fraction", median(moved) / double(c.m));
  j.add("firing_fraction", fr.firing_fraction).add("gaussian_tail", neurons::gaussian_tail(c.b));
  j.add("visits_per_point", fr.visits / double(fr.batch)).add("max_visits", fr.max_visits);
  j.add("loss_first", loss.empty() ? NAN : loss.front()).add("loss_last", loss.empty() ? NAN : loss.back());
  j.add("build_ms", build_ms).add("memory_mb", cost.memory_bytes / 1048576.0);
  j.add("model_gflop", cost.flops / 1e9);
  return j.str();
}

}  // namespace subquad::bench
