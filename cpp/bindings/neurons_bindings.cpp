// Embind surface of the neurons family (cpp/neurons/): networks live in the
// WASM heap, named by an id; JS holds a handle (web/lib/neurons.js) and frees
// the network with dispose().
#include <emscripten/bind.h>

#include <map>
#include <memory>

#include "bindings/support.hpp"
#include "common/schema.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "neurons/neurons.hpp"

namespace subquad {
namespace {

using namespace bindings;

std::map<int, std::unique_ptr<neurons::Network>>& networks() {
  static std::map<int, std::unique_ptr<neurons::Network>> all;
  return all;
}

neurons::Network& network(int id) {
  auto it = networks().find(id);
  if (it == networks().end())
    throw Error("state", "no network " + std::to_string(id) + " in this module (disposed, or made by another one)");
  return *it->second;
}

val neurons_methods() { return method_list(neurons::methods()); }

// → { id, n, m, d, b, leaves, tree_mb, data, planted_i, planted_r, ms (data, teacher, weights) }.
val neurons_create(double n, double m, double d, const val& opts) {
  return guarded([&] {
    const neurons::Config c = neurons::config_from({{"n", n}, {"m", m}, {"d", d}}, options_from(opts));
    const double t0 = now_ms();
    auto net = std::make_unique<neurons::Network>(neurons::make_network(c));
    const double ms = now_ms() - t0;
    static int next = 1;
    const int id = next++;
    val r = val::object();
    r.set("id", id);
    r.set("n", double(net->n));
    r.set("m", double(net->m));
    r.set("d", double(net->d));
    r.set("b", net->b);
    r.set("leaves", double(net->P));
    r.set("tree_mb", neurons::tree_bytes(net->n, net->m) / 1048576.0);
    r.set("data", net->data);
    r.set("planted_i", double(net->planted_i));
    r.set("planted_r", double(net->planted_r));
    r.set("gaussian_tail", neurons::gaussian_tail(net->b));
    r.set("ms", ms);
    networks()[id] = std::move(net);
    return r;
  });
}

val neurons_step(const std::string& method, int id, const val& opts) {
  return guarded([&] {
    neurons::Network& net = network(id);
    const neurons::Params p = neurons::params_from(options_from(opts), method);
    const neurons::Record rec = neurons::step(method, net, p);
    val r = val::object();
    r.set("method", method);
    r.set("step", double(rec.step));
    r.set("batch", double(rec.batch));
    r.set("loss", rec.loss);
    r.set("fired", rec.fired);
    r.set("firing_fraction", rec.firing_fraction);
    r.set("visits", rec.visits);
    r.set("max_visits", rec.max_visits);
    r.set("moved", rec.moved);
    r.set("ms_build", rec.ms_build);
    r.set("ms_query", rec.ms_query);
    r.set("ms_forward", rec.ms_forward);
    r.set("ms_repair", rec.ms_repair);
    r.set("ms", rec.ms_total);
    r.set("threads", resolve_threads(p.threads));
    return r;
  });
}

val copy_of(const std::vector<float>& v) {
  return val::global("Float32Array").new_(emscripten::typed_memory_view(v.size(), v.data()));
}

// Copies of X, W, y, a (tests check the steps against their own double reference).
val neurons_data(int id) {
  return guarded([&] {
    const neurons::Network& net = network(id);
    val r = val::object();
    r.set("X", copy_of(net.X));
    r.set("W", copy_of(net.W));
    r.set("y", copy_of(net.y));
    r.set("a", copy_of(net.a));
    return r;
  });
}

bool neurons_dispose(int id) { return networks().erase(id) != 0; }

int neurons_count() { return static_cast<int>(networks().size()); }

}  // namespace
}  // namespace subquad

EMSCRIPTEN_BINDINGS(subquad_neurons) {
  emscripten::function("neuronsMethods", &subquad::neurons_methods);
  emscripten::function("neuronsCreate", &subquad::neurons_create);
  emscripten::function("neuronsStep", &subquad::neurons_step);
  emscripten::function("neuronsData", &subquad::neurons_data);
  emscripten::function("neuronsDispose", &subquad::neurons_dispose);
  emscripten::function("neuronsCount", &subquad::neurons_count);
}
