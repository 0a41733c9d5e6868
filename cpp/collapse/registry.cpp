#include "common/registry.hpp"

#include <cmath>
#include <map>
#include <string>

#include "attention/attention.hpp"
#include "collapse/collapse.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "common/scale.hpp"
#include "common/threads.hpp"

namespace subquad::collapse {

namespace {

double weight_count(std::size_t d, const Params& p) {
  return double(p.layers) * p.heads * 3 * double(d) * d;
}

attention::Params attention_params(std::size_t d, const Params& p) {
  attention::Params ap;
  ap.scale = resolved_scale(p, d);
  ap.threads = p.threads;
  return ap;
}

// Heads a run evaluates: the network, and with compare the merged layer, the
// first layer and the network with the other skip setting.
double heads_run(const Params& p, const std::string& method) {
  const double LH = double(p.layers) * p.heads;
  if (method == "san_merged") return LH;
  if (method == "first_layer") return p.heads;
  return p.compare ? 3 * LH + p.heads : LH;
}

Cost cost_fast(std::size_t n, std::size_t d, const Params& p, const std::string& method) {
  const attention::Params ap = attention_params(d, p);
  const Cost att = attention::find_method(p.attention).cost(n, n, d, ap);
  const double heads = heads_run(p, method), nd = double(n) * d;
  const double flops = heads * (6.0 * nd * d + att.flops + nd);
  const int copies = method == "san_merged" ? 0 : method == "first_layer" ? 1 : p.compare ? 2 : 1;
  return {flops, 4.0 * (2 * nd + weight_count(d, p)), network_memory(n, d, p, copies)};
}

Cost cost_san_forward(std::size_t n, std::size_t d, const Params& p) {
  return cost_fast(n, d, p, "san_forward");
}
Cost cost_san_merged(std::size_t n, std::size_t d, const Params& p) {
  return cost_fast(n, d, p, "san_merged");
}
Cost cost_first_layer(std::size_t n, std::size_t d, const Params& p) {
  return cost_fast(n, d, p, "first_layer");
}

Cost cost_reference(std::size_t n, std::size_t d, const Params& p) {
  const double heads = heads_run(p, "reference"), nd = double(n) * d;
  // Per head: three projections plus two more for the entry bounds (2·n·d² each),
  // n² scores and n² weighted sums (2·n²·d each), n² exps.
  const double flops = heads * (10.0 * nd * d + 4.0 * n * nd + double(n) * n);
  // Doubles: X, the state, the head sum, one head, its Q, K, V, a score row;
  // with compare the network's output is kept while the others run.
  const double memory = 8.0 * (nd * (7 + (p.compare ? 1 : 0)) + n) + 4.0 * weight_count(d, p);
  return {flops, 4.0 * (2 * nd + weight_count(d, p)), memory};
}

Cost cost_fit(std::size_t n, std::size_t d, const Params& p) {
  // Per step and input: the deep network (L·H heads) for the target, the
  // student's forward (L·H heads), then per head a recomputed forward, the
  // flash backward (≈ 2.5 forwards) and three d×n×d products.
  const attention::Params ap = attention_params(d, p);
  const double head =
      6.0 * double(n) * d * d + attention::find_method("flash").cost(n, n, d, ap).flops;
  const double LH = double(p.layers) * p.heads;
  const double per_input = LH * head * (1 + 1 + 1 + 2.5) + LH * 6.0 * double(n) * d * d;
  const double flops = (double(p.steps) * p.batch + 2) * per_input;
  return {flops, 4.0 * (2.0 * n * d + weight_count(d, p)), fit_memory(n, d, p)};
}

Cost cost_res_norm(std::size_t n, std::size_t d, const Params&) {
  return {2.0 * n * d, 8.0 * n * d, 0};
}

const std::vector<Method> kMethods = {
    {"san_forward",
     "the L-layer, H-head self-attention network, each head by the attention family's flash (or "
     "exact); with "
     "compare: deviation from identity, the merged and first-layer errors, res_norm per layer with "
     "and without skips",
     true, san_forward, cost_san_forward,
     "layers heads eta residual seed scale attention compare threads"},
    {"san_merged", "the one-layer surrogate: all L·H heads in one layer, each fed the input X",
     true, san_merged, cost_san_merged, "layers heads eta residual seed scale attention threads"},
    {"first_layer", "the network truncated to its first layer (a naive baseline)", true,
     first_layer, cost_first_layer, "layers heads eta residual seed scale attention threads"},
    {"reference",
     "san_forward and its report in double precision, obvious loops and its own softmax", true,
     reference, cost_reference, "layers heads eta residual seed scale compare"},
    {"res_norm",
     "distance to the nearest matrix with identical rows, max-norm: per column half the range "
     "(output: X − 1xᵀ)",
     true, res_norm_method, cost_res_norm, ""},
    {"fit_one_layer",
     "a one-layer network of L·H heads trained by Adam (from san_merged's weights) to imitate the "
     "deep one on random "
     "inputs; its error against the deep network on X",
     false, fit_one_layer, cost_fit, "layers heads eta residual seed scale steps lr batch threads"},
};

Family make_family() {
  Family f;
  f.name = "collapse";
  f.summary =
      "layer collapse: a deep residual self-attention network with small weights against one-layer "
      "surrogates, measured relative to its own deviation from identity";
  f.paper =
      "Alman & Song, Only Large Weights (And Not Skip Connections) Can Prevent the Perils of Rank "
      "Collapse "
      "(arXiv 2505.16284; claimed — the proofs were disputed by ICLR 2026 reviewers)";
  f.dims = {{"n", 1, 16384, "tokens (rows of X)"}, {"d", 1, 128, "model width = head width"}};
  f.inputs = {{"X", "n×d"}, {"W", "layers×heads×3×d×d"}};
  using T = OptionType;
  f.options = {
      {"layers", T::integer, "6", 1, kMaxLayers, {}, "L, layers of the network"},
      {"heads", T::integer, "2", 1, kMaxHeads, {}, "H, heads per layer"},
      {"eta", T::number, "0.01", 0, kMaxEta, {}, "weights η·U[−1, 1] (not with W given)", true},
      {"residual",
       T::boolean,
       "true",
       0,
       0,
       {},
       "skip connections X_ℓ + Σ heads (false: the DCL21 pure SAN)"},
      {"seed",
       T::integer,
       "1",
       0,
       9007199254740991.0,
       {},
       "seed of the weights (not with W given)"},
      {"scale",
       T::number,
       "1",
       0,
       1e6,
       {"sqrt", "inv_d"},
       "softmax(scale·QKᵀ): a number (1: THEORY-2 §5's check), sqrt = 1/√d, inv_d = 1/d",
       true},
      {"attention",
       T::choice,
       "flash",
       0,
       0,
       {"flash", "exact"},
       "the attention family's method for every head"},
      {"compare",
       T::boolean,
       "true",
       0,
       0,
       {},
       "also run the merged layer, the first layer and the other skip setting (the report)"},
      {"threads", T::integer, "0", 0, 1024, {}, "threads to use; 0 = all the pool has"},
      {"steps", T::integer, "300", 0, kMaxSteps, {}, "fit_one_layer: Adam steps"},
      {"lr",
       T::number,
       "0.01",
       0,
       1,
       {},
       "fit_one_layer: Adam's learning rate as a fraction of η (cosine decay to 0)",
       true},
      {"batch",
       T::integer,
       "2",
       1,
       kMaxBatch,
       {},
       "fit_one_layer: random inputs X ~ N(0, 1) per step"},
  };
  const std::map<std::string, std::string> papers = {
      {"san_forward",
       "Dong, Cordonnier & Loukas, Attention is Not All You Need (ICML 2021, arXiv 2103.03404)"},
      {"san_merged",
       "THEORY-2.md §5 (our surrogate for Alman & Song's one-layer network, arXiv 2505.16284)"},
      {"first_layer", "THEORY-2.md §5 (a naive baseline)"},
      {"reference", "Dong, Cordonnier & Loukas (ICML 2021, arXiv 2103.03404)"},
      {"fit_one_layer",
       "THEORY-2.md §5 (the optional trained surrogate; Kingma & Ba, Adam, arXiv 1412.6980)"},
      {"res_norm", "Dong, Cordonnier & Loukas (ICML 2021, arXiv 2103.03404), res(X) = X − 1xᵀ"},
  };
  for (const Method& m : kMethods) {
    MethodSpec spec{m.name, m.summary, m.exact, option_list(m.options), {}, papers.at(m.name)};
    if (std::string(m.name) == "res_norm") spec.inputs = {{"X", "n×d"}};
    f.methods.push_back(spec);
  }
  f.cost = [](const std::string& method, const Dims& given, const Options& o) {
    const Dims dims = check_dims(family(), given);
    const std::size_t n = dim_of(dims, "n"), d = dim_of(dims, "d");
    const Params params = params_from(o, d, method);
    return find_method(method).cost(n, d, params);
  };
  f.example = [](const std::string& method, const Dims& given, const Options& o,
                 const Family::Ready& ready) {
    const Dims dims = check_dims(family(), given);
    const std::size_t n = dim_of(dims, "n"), d = dim_of(dims, "d");
    const Params params = params_from(o, d, method);
    const auto X = gaussian_matrix(n, d, 1.0, 21);
    std::vector<float> out(n * d);
    Stats stats;
    stats.reserve(16 * kMaxLayers + 64);
    if (ready) ready();
    run(method, {n, d, {X.data(), X.size()}, {}}, params, out.data(), stats);
  };
  return f;
}

}  // namespace

const std::vector<Method>& methods() { return kMethods; }

const Method& find_method(const std::string& name) {
  return find_by_name(kMethods, name, "collapse");
}

const Family& family() {
  static const Family f = make_family();
  return f;
}

double resolved_scale(const Params& params, std::size_t d) { return subquad::resolved_scale(params.scale, d); }

double deviation_bound(std::size_t d, const Params& params, double x_norm, double eta) {
  return (std::pow(1.0 + params.heads * double(d) * eta, params.layers) - 1.0) * x_norm;
}

double network_memory(std::size_t n, std::size_t d, const Params& params, int copies) {
  const double nd = double(n) * d;
  const Cost att =
      attention::find_method(params.attention).cost(n, n, d, attention_params(d, params));
  // The weights (seeded or a copy of W), Q, K, V, O of one head, the layer's
  // state and head sum, `copies` updates D, and the attention method's own.
  return 4.0 * nd * (6 + copies) + 4.0 * weight_count(d, params) + att.memory_bytes;
}

Params params_from(const Options& o, std::size_t d, const std::string& method) {
  const OptionValues v(family(), method, o);
  Params p;
  if (v.takes("layers")) p.layers = static_cast<int>(v.integer("layers"));
  if (v.takes("heads")) p.heads = static_cast<int>(v.integer("heads"));
  if (v.takes("eta")) {
    p.eta = v.number("eta");
    p.eta_given = v.given("eta");
  }
  if (v.takes("residual")) p.residual = v.boolean("residual");
  if (v.takes("seed")) {
    p.seed = static_cast<std::uint64_t>(v.integer("seed"));
    p.seed_given = v.given("seed");
  }
  if (v.takes("scale")) p.scale = scale_option(v, d);
  if (v.takes("attention")) p.attention = v.text("attention");
  if (v.takes("compare")) p.compare = v.boolean("compare");
  if (v.takes("threads")) p.threads = static_cast<int>(v.integer("threads"));
  if (v.takes("steps")) p.steps = static_cast<int>(v.integer("steps"));
  if (v.takes("lr")) p.lr = v.number("lr");
  if (v.takes("batch")) p.batch = static_cast<int>(v.integer("batch"));
  return p;
}

std::vector<float> weights(const Problem& p, const Params& params) {
  if (p.W.data) return std::vector<float>(p.W.data, p.W.data + p.W.size);
  Rng rng(params.seed);
  std::vector<float> W(static_cast<std::size_t>(weight_count(p.d, params)));
  for (auto& w : W) w = static_cast<float>(params.eta * rng.uniform(-1.0, 1.0));
  return W;
}

const Method& prepare(const std::string& name, const Problem& p, const Params& params) {
  const Method& m = find_method(name);
  require(p.n >= 1 && p.n <= 16384, "n", p.n, "in [1, 16384]");
  require(p.d >= 1 && p.d <= 128, "d", p.d, "in [1, 128]");
  if (!p.X.data) throw Error("X", "missing (an n×d array is required)");
  require_length("X", p.X.size, p.n * p.d, "n·d");
  require_bounded("X", p.X.data, p.n * p.d, kMaxEntry, "larger entries overflow float32 scores");
  if (m.run == res_norm_method) {
    if (p.W.data) throw Error("W", "res_norm takes X alone");
    return m;
  }
  require(params.layers >= 1 && params.layers <= kMaxLayers, "layers", params.layers,
          "an integer in [1, 64]");
  require(params.heads >= 1 && params.heads <= kMaxHeads, "heads", params.heads,
          "an integer in [1, 16]");
  require(std::isfinite(params.eta) && params.eta > 0 && params.eta <= kMaxEta, "eta", params.eta,
          "in (0, 100]");
  require(std::isfinite(params.scale) && params.scale >= 0 && params.scale <= 1e6, "scale",
          params.scale, "finite, in (0, 1e6] (0 = 1/sqrt(d))");
  if (params.attention != "flash" && params.attention != "exact")
    throw Error("attention", "got '" + params.attention + "', must be flash or exact");
  resolve_threads(params.threads);
  if (m.run == fit_one_layer) {
    require(params.steps >= 0 && params.steps <= kMaxSteps, "steps", params.steps,
            "an integer in [0, 5000]");
    require(std::isfinite(params.lr) && params.lr > 0 && params.lr <= 1, "lr", params.lr,
            "in (0, 1]");
    require(params.batch >= 1 && params.batch <= kMaxBatch, "batch", params.batch,
            "an integer in [1, 64]");
  }
  if (p.W.data) {
    require_length("W", p.W.size, static_cast<std::size_t>(weight_count(p.d, params)),
                   "layers·heads·3·d·d");
    require_bounded("W", p.W.data, p.W.size, kMaxEntry, "larger weights overflow float32 scores");
    if (params.eta_given)
      throw Error("eta", "not used when W is given (the weights are W as passed)");
    if (params.seed_given)
      throw Error("seed", "not used when W is given (the weights are W as passed)");
  }
  require_memory(m.name, m.cost(p.n, p.d, params).memory_bytes);
  return m;
}

void execute(const Method& m, const Problem& p, const Params& params, float* out, Stats& stats) {
  m.run(p, params, out, stats);
}

void run(const std::string& name, const Problem& p, const Params& params, float* out,
         Stats& stats) {
  execute(prepare(name, p, params), p, params, out, stats);
}

}  // namespace subquad::collapse
