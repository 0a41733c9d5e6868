#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "common/error.hpp"
#include "common/registry.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "neurons/neurons.hpp"

namespace subquad::neurons {

namespace {

double log2_leaves(std::size_t m) { return m > 1 ? std::ceil(std::log2(double(m))) : 1.0; }

std::size_t batch_of(const Config& c, const Params& p) { return p.batch ? p.batch : c.n; }

// Expected firing pairs and moved neurons under the Gaussian model (w ~ N(0, I), ‖x‖ = 1).
double expected_fired(const Config& c, const Params& p) {
  return double(batch_of(c, p)) * c.m * gaussian_tail(c.b);
}
double expected_moved(const Config& c, const Params& p) {
  return p.update ? c.m * (1.0 - std::pow(1.0 - gaussian_tail(c.b), double(batch_of(c, p)))) : 0.0;
}

Cost cost_reference(const Config& c, const Params& p, int) {
  const double s = double(batch_of(c, p)), m = double(c.m), d = double(c.d);
  const double fired = expected_fired(c, p);
  return {2.0 * s * m * d + 3.0 * s * m + (p.update ? 2.0 * fired * d : 0.0), 4.0 * (c.n * d + 2.0 * m * d + s),
          8.0 * (s * m + (p.update ? m * d : 0.0)) + 24.0 * s + m / 8};
}

Cost cost_dense(const Config& c, const Params& p, int threads) {
  const double s = double(batch_of(c, p)), m = double(c.m), d = double(c.d);
  const double used = std::min<double>(threads, std::ceil(s / kDenseRows)), rows = kDenseRows;
  // Wᵀ, each worker's C block (and for the gradient its D block, its G and its firing marks).
  const double per_worker = 4.0 * rows * m + (p.update ? 4.0 * rows * m + 4.0 * m * d + m : 0.0);
  return {2.0 * s * m * d + 3.0 * s * m + (p.update ? 2.0 * s * m * d + 2.0 * s * m : 0.0),
          4.0 * (c.n * d + 2.0 * m * d + s), 4.0 * m * d + used * per_worker + 16.0 * s};
}

Cost cost_dtree(const Config& c, const Params& p, int threads) {
  const double s = double(batch_of(c, p)), m = double(c.m), d = double(c.d), n = double(c.n);
  const double depth = log2_leaves(c.m), fired = expected_fired(c, p), moved = expected_moved(c, p);
  const double visits = s * std::min(2.0 * m, 1.0 + 2.0 * (fired / s) * depth);
  // Query, forward from the leaves, gradient of the firing pairs, then the
  // moved neurons' n correlations and root paths. The trees themselves count
  // as memory (built on the first step).
  const double flops = visits + 2.0 * fired + (p.update ? 2.0 * fired * d + moved * n * (2.0 * d + depth) : 0.0);
  const double used = std::min<double>(threads, std::ceil(n / kDenseRows));
  const double scratch = 4.0 * fired + 40.0 * s +
                         (p.update ? 4.0 * fired + 12.0 * m + 4.0 * moved * (d + used * kDenseRows) : 0.0);
  return {flops, 4.0 * (n * d + 2.0 * m * d + s) + 4.0 * (visits + moved * n * depth),
          tree_bytes(c.n, c.m) + std::max(4.0 * m * d, scratch)};
}

const std::vector<Method> kMethods = {
    {"reference", "double-precision obvious loops, one thread: the yardstick", true, reference, cost_reference,
     "b seed data lr batch update"},
    {"dense", "every neuron on every batch point: X·Wᵀ and the gradient by the SIMD micro-kernel, threads", true, dense,
     cost_dense, "b seed data lr batch update threads"},
    {"dtree",
     "per point a max-tree over its m correlations: firing sets by depth-first search, only moved neurons repaired "
     "(our reconstruction)",
     true, dtree, cost_dtree, "b seed data lr batch update threads"},
};

const char* const kInitKeys[] = {"b", "seed", "data"};

Family make_family() {
  Family f;
  f.name = "neurons";
  f.summary = "which neurons fire: one gradient step of a two-layer shifted-ReLU network, dense or with weight–data "
              "correlation trees";
  f.paper = "Alman, Liang, Song, Zhang & Zhuo, Bypass Exponential Time Preprocessing: Fast Neural Network Training "
            "via Weight-Data Correlation Preprocessing (NeurIPS 2023, arXiv 2211.14227)";
  f.dims = {{"n", 1, double(kMaxN), "data points"},
            {"m", 1, double(kMaxM), "neurons (network width)"},
            {"d", 1, double(kMaxD), "input dimension"}};
  f.inputs = {{"X", "n×d"}, {"W", "m×d"}};
  using T = OptionType;
  f.options = {
      {"b", T::number, "2", -kMaxB, kMaxB, {}, "threshold of the shifted ReLU max(z − b, 0); set at neuronsInit"},
      {"seed", T::integer, "1", 0, 4294967295.0, {}, "seed of the data, teacher and weights; set at neuronsInit"},
      {"data", T::choice, "gaussian", 0, 0, {"gaussian", "planted"},
       "gaussian: x on the sphere, w ~ N(0, I); planted: ±1/√d vectors with one pair w = x (Max-IP); set at "
       "neuronsInit"},
      {"lr", T::number, "1", 0, 1e4, {}, "gradient-descent step size", true},
      {"batch", T::integer, "0", 0, double(kMaxN), {}, "points per step s (cyclic over the data); 0 = all n"},
      {"update", T::boolean, "true", 0, 0, {}, "false: forward only (firing sets and loss), the weights stay"},
      {"threads", T::integer, "0", 0, 1024, {}, "threads to use; 0 = all the pool has"},
  };
  const std::map<std::string, std::string> papers = {
      {"reference", "Alman, Liang, Song, Zhang & Zhuo (NeurIPS 2023, arXiv 2211.14227): the setting"},
      {"dense", "the straightforward Θ(nmd) iteration the paper improves on"},
      {"dtree", "Alman, Liang, Song, Zhang & Zhuo (NeurIPS 2023, arXiv 2211.14227), Correlation DTree (our "
                "reconstruction, THEORY-2.md §7)"},
  };
  for (const Method& m : kMethods) {
    f.methods.push_back({m.name, m.summary, m.exact, option_list(m.options), {}, papers.at(m.name)});
  }
  f.cost = [](const std::string& method, const Dims& given, const Options& o) {
    const Dims dims = check_dims(family(), given);
    Options init, rest = o;
    for (const char* k : kInitKeys)
      if (o.has(k)) {
        init.set(k, o.str(k, ""));
        rest.erase(k);
      }
    find_method(method);
    (void)OptionValues(family(), method, o);  // every key checked against the method's schema
    const Config c = config_from(dims, init);
    const Params p = params_from(rest, method);
    return find_method(method).cost(c, p, resolve_threads(p.threads));
  };
  f.example = [](const std::string& method, const Dims& given, const Options& o, const Family::Ready& ready) {
    const Dims dims = check_dims(family(), given);
    Options init, rest = o;
    for (const char* k : kInitKeys)
      if (o.has(k)) {
        init.set(k, o.str(k, ""));
        rest.erase(k);
      }
    (void)OptionValues(family(), method, o);
    Network net = make_network(config_from(dims, init));
    const Params p = params_from(rest, method);
    if (ready) ready();
    step(method, net, p);
  };
  return f;
}

}  // namespace

const std::vector<Method>& methods() { return kMethods; }

const Method& find_method(const std::string& name) { return find_by_name(kMethods, name, "neurons"); }

const Family& family() {
  static const Family f = make_family();
  return f;
}

Config config_from(const Dims& given, const Options& init) {
  init.allow({"b", "seed", "data"}, "neuronsInit");
  const Dims dims = check_dims(family(), given);
  const OptionValues v(family(), "dtree", init);
  Config c;
  c.n = dim_of(dims, "n");
  c.m = dim_of(dims, "m");
  c.d = dim_of(dims, "d");
  c.b = v.number("b");
  c.seed = static_cast<std::uint64_t>(v.integer("seed"));
  c.data = v.text("data");
  return c;
}

Params params_from(const Options& o, const std::string& method) {
  for (const char* k : kInitKeys)
    if (o.has(k))
      throw Error(k, "is set when the network is made (neuronsInit), not per step");
  const OptionValues v(family(), method, o);
  Params p;
  p.lr = v.number("lr");
  p.batch = static_cast<std::size_t>(v.integer("batch"));
  p.update = v.boolean("update");
  if (v.takes("threads")) p.threads = static_cast<int>(v.integer("threads"));
  return p;
}

Record step(const std::string& name, Network& net, const Params& params, Trace* trace) {
  const Method& m = find_method(name);
  if (net.X.empty()) throw Error("state", "this network was disposed");
  require(std::isfinite(params.lr) && params.lr > 0, "lr", params.lr, "finite and > 0");
  if (params.batch > net.n)
    throw Error("batch", "got " + std::to_string(params.batch) + ", must be at most n = " + std::to_string(net.n));
  resolve_threads(params.threads);
  if (m.step == dtree && net.trees.empty()) require_memory("m", tree_bytes(net.n, net.m));
  Record rec;
  rec.step = net.steps;
  rec.batch = params.batch ? params.batch : net.n;
  const double t0 = now_ms();
  m.step(net, params, rec, trace);
  rec.ms_total = now_ms() - t0;
  rec.firing_fraction = rec.fired / (double(rec.batch) * double(net.m));
  return rec;
}

}  // namespace subquad::neurons
