#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/registry.hpp"
#include "common/rng.hpp"
#include "common/scale.hpp"
#include "common/threads.hpp"
#include "simulate/simulate.hpp"

namespace subquad::simulate {

namespace {

const std::vector<Method> kMethods = {
    {"blocks", "the paper's construction: per block pair a synthetic-token call for A = y/(1−y) and a plain call; 2(N/M)² calls",
     true, blocks, "scale causal M precision threads"},
    {"blocks_lse", "ours: the oracle also returns its log-sum-exp; one call per block pair, merged by log-sum-exp",
     true, blocks_lse, "scale causal M precision threads"},
    {"window", "causal sliding window of r keys: prefix-sum differences of two causal calls per chunk of M − r queries",
     true, window, "scale M window precision threads"},
    {"sinks", "the window plus the first s keys (attention sinks): O(N/M) calls", true, sinks,
     "scale M window sinks precision threads"},
    {"sampled", "average case: each query block attends to M keys of a random permutation, normaliser ×N/M; not exact",
     false, sampled, "scale M seed precision threads"},
    {"packed", "the converse: the N/M length-M instances in one length-N call, kept apart by ±B codes",
     false, packed, "scale causal M B precision threads"},
};

// The calls a mode makes, shape by shape (rows, keys, width, causal), without
// running them: the cost model's flops and memory.
using Visit = std::function<void(std::size_t rows, std::size_t keys, std::size_t width, bool causal)>;

void schedule(const std::string& method, std::size_t n, std::size_t d, const Params& q, const Visit& visit) {
  const std::size_t M = q.M;
  if (method == "blocks" || method == "blocks_lse") {
    for (std::size_t q0 = 0; q0 < n; q0 += M)
      for (std::size_t k0 = 0; k0 < n && (!q.causal || k0 <= q0); k0 += M) {
        const std::size_t rows = std::min(M, n - q0), keys = std::min(M, n - k0);
        const bool diagonal = q.causal && k0 == q0;
        if (method == "blocks") visit(rows, keys + 1, d + 1, diagonal);
        visit(rows, keys, d, diagonal);
      }
  } else if (method == "window" || method == "sinks") {
    const std::size_t r = q.window, s = method == "sinks" ? q.sinks : 0, C = M - r;
    for (std::size_t a = 0; a < n; a += C) {
      const std::size_t e = std::min(n, a + C), s0 = a > r ? a - r : 0, b = std::max(a, r);
      visit(e - a, e - s0, d, true);
      if (b < e) visit(e - b, e - b, d, true);
      if (s == 0) continue;
      const std::size_t x = r + s - 1, c0 = std::max(a, r), c1 = std::min(e, x), f0 = std::max(a, x);
      if (c0 < c1) visit(c1 - c0, c1 - r, d, true);
      if (f0 < e) visit(e - f0, std::min(s, n), d, false);
    }
  } else if (method == "sampled") {
    for (std::size_t q0 = 0; q0 < n; q0 += M) visit(std::min(M, n - q0), M, d, false);
  } else {
    visit(n, n, d + code_length((n + M - 1) / M), q.causal);
  }
}

double call_pairs(std::size_t rows, std::size_t keys, bool causal) {
  return causal ? double(rows) * keys - double(rows) * (rows - 1) / 2 : double(rows) * keys;
}

Family make_family() {
  Family f;
  f.name = "simulate";
  f.summary = "length-N attention from calls to an exact attention capped at M tokens: counted, checked";
  f.paper = "Yu & Alman, Two Heads Are Better than One: Simulating Large Transformers with Small Ones "
            "(NeurIPS 2025, arXiv 2506.12220)";
  f.dims = {{"n", 2, 1 << 24, "sequence length N"}, {"d", 1, 4096, "head width"}};
  f.inputs = {{"Q", "n×d"}, {"K", "n×d"}, {"V", "n×d"}};
  using T = OptionType;
  f.options = {
      {"scale", T::number, "sqrt", 0, 1e6, {"sqrt", "inv_d"},
       "softmax(scale·QKᵀ): sqrt = 1/√d (practice), inv_d = 1/d (the papers), or a number", true},
      {"causal", T::boolean, "false", 0, 0, {}, "query i attends to keys j ≤ i"},
      {"M", T::integer, "0", 0, 1 << 24, {}, "the oracle's length M (2 ≤ M ≤ N); 0 = ⌈√N⌉"},
      {"window", T::integer, "0", 0, 1 << 24, {}, "window width r (keys i−r < j ≤ i), r < M; 0 = max(1, M/4)"},
      {"sinks", T::integer, "0", 0, 1 << 24, {}, "sink keys s (the first s), s ≤ M; 0 = max(1, M/16)"},
      {"seed", T::integer, "1", 0, 9007199254740991.0, {}, "seed of the key permutation"},
      {"precision", T::choice, "float32", 0, 0, {"float32", "float64"},
       "the oracle's arithmetic: float32 (the attention family's flash) or float64 (exactness checks)"},
      {"B", T::number, "4", 0, 16, {}, "packed: code strength; scores between instances drop by at least B²"},
      {"threads", T::integer, "0", 0, 1024, {}, "threads each oracle call may use; 0 = all the pool has"},
  };
  const std::map<std::string, std::string> papers = {
      {"blocks", "Yu & Alman (arXiv 2506.12220), Lemma B.1 and Theorem B.5"},
      {"blocks_lse", "ours: the FlashAttention / ring-attention log-sum-exp merge (Dao et al., arXiv 2205.14135)"},
      {"window", "Yu & Alman (arXiv 2506.12220), Theorem D.1"},
      {"sinks", "Yu & Alman (arXiv 2506.12220), Theorem D.1; sinks: Xiao et al., StreamingLLM (ICLR 2024)"},
      {"sampled", "Yu & Alman (arXiv 2506.12220), Theorem C.1 (Theorem 4.1)"},
      {"packed", "Yu & Alman (arXiv 2506.12220), Theorem C.2 (Theorem 4.2)"},
  };
  for (const Method& m : kMethods)
    f.methods.push_back({m.name, m.summary, m.exact, option_list(m.options), {}, papers.at(m.name)});
  f.cost = [](const std::string& method, const Dims& given, const Options& o) {
    const Dims dims = check_dims(family(), given);
    const std::size_t n = dim_of(dims, "n"), d = dim_of(dims, "d");
    find_method(method);
    const Params p = resolved(params_from(o, d, method), n);
    check_sizes(method, n, p);
    return cost(method, n, d, p);
  };
  f.example = [](const std::string& method, const Dims& given, const Options& o, const Family::Ready& ready) {
    const Dims dims = check_dims(family(), given);
    const std::size_t n = dim_of(dims, "n"), d = dim_of(dims, "d");
    const Params params = params_from(o, d, method);
    const auto Q = uniform_matrix(n, d, 1.0, 11), K = uniform_matrix(n, d, 1.0, 12), V = uniform_matrix(n, d, 1.0, 13);
    std::vector<float> O(params.float64 ? 0 : n * d);
    std::vector<double> O64(params.float64 ? n * d : 0);
    Report report;
    if (ready) ready();
    run(method, {n, d, {Q.data(), Q.size()}, {K.data(), K.size()}, {V.data(), V.size()}}, params,
        {O.data(), O64.data(), nullptr}, report);
  };
  return f;
}

}  // namespace

const std::vector<Method>& methods() { return kMethods; }

const Method& find_method(const std::string& name) { return find_by_name(kMethods, name, "simulate"); }

const Family& family() {
  static const Family f = make_family();
  return f;
}

double resolved_scale(const Params& params, std::size_t d) { return subquad::resolved_scale(params.scale, d); }

Params resolved(const Params& given, std::size_t n) {
  Params p = given;
  if (p.M == 0) p.M = std::min(n, std::max<std::size_t>(2, static_cast<std::size_t>(std::ceil(std::sqrt(double(n))))));
  if (p.window == 0) p.window = std::max<std::size_t>(1, p.M / 4);
  if (p.sinks == 0) p.sinks = std::max<std::size_t>(1, p.M / 16);
  return p;
}

Params params_from(const Options& o, std::size_t d, const std::string& method) {
  const OptionValues v(family(), method, o);
  Params p;
  if (v.takes("scale")) p.scale = scale_option(v, d);
  if (v.takes("causal")) p.causal = v.boolean("causal");
  if (v.takes("M")) p.M = static_cast<std::size_t>(v.integer("M"));
  if (v.takes("window")) p.window = static_cast<std::size_t>(v.integer("window"));
  if (v.takes("sinks")) p.sinks = static_cast<std::size_t>(v.integer("sinks"));
  if (v.takes("seed")) p.seed = static_cast<std::uint64_t>(v.integer("seed"));
  if (v.takes("precision")) p.float64 = v.text("precision") == "float64";
  if (v.takes("B")) p.B = v.number("B");
  if (v.takes("threads")) p.threads = static_cast<int>(v.integer("threads"));
  return p;
}

std::size_t predicted_calls(const std::string& method, std::size_t n, const Params& given) {
  const Params p = resolved(given, n);
  const std::size_t M = p.M, T = (n + M - 1) / M;
  if (method == "blocks") return p.causal ? T * (T + 1) : 2 * T * T;
  if (method == "blocks_lse") return p.causal ? T * (T + 1) / 2 : T * T;
  if (method == "sampled") return T;
  if (method == "packed") return 1;
  // window / sinks: K chunks of C = M − r queries; a full call each, a short
  // call for every chunk holding a row ≥ r; sinks: a call over the s sink keys
  // for every chunk holding a row ≥ r + s − 1, a causal one for every chunk
  // holding a row in [r, r + s − 1).
  const std::size_t r = p.window, C = M - r, K = (n + C - 1) / C;
  auto chunks_from = [&](std::size_t x) { return x < n ? K - x / C : 0; };
  std::size_t calls = K + chunks_from(r);
  if (method == "sinks") {
    const std::size_t x = r + p.sinks - 1, hi = std::min(x, n);
    calls += chunks_from(x);
    if (r < hi) calls += (hi - 1) / C - r / C + 1;
  }
  return calls;
}

Cost cost(const std::string& method, std::size_t n, std::size_t d, const Params& given) {
  const Params p = resolved(given, n);
  const double bytes_t = p.float64 ? 8 : 4;
  const attention::Method& flash = attention::find_method("flash");
  Cost c;
  double buffers = 0, oracle = 0;
  schedule(method, n, d, p, [&](std::size_t rows, std::size_t keys, std::size_t width, bool causal) {
    c.flops += 4.0 * call_pairs(rows, keys, causal) * width;
    if (!p.float64) {
      attention::Params ap;
      ap.causal = causal;
      ap.return_lse = true;
      ap.threads = p.threads;
      oracle = std::max(oracle, flash.cost(rows, keys, width, ap).memory_bytes);
    }
  });
  // float64 widens Q, K, V (sampled: Q) into double copies; float32 reads them in place.
  const double M = double(p.M), nd = p.float64 ? double(n) * d : 0, dd = double(d);
  if (method == "blocks") {
    const double w = dd + 1;
    buffers = 3 * nd + 2 * M * w + 2 * (M + 1) * w + 2 * M * dd + M + dd;
  } else if (method == "blocks_lse") {
    buffers = 3 * nd + 2 * M * dd + 3 * M + dd;
  } else if (method == "window" || method == "sinks") {
    const double C = M - double(p.window);
    buffers = 3 * nd + 4 * C * dd + 5 * C + dd;
  } else if (method == "sampled") {
    buffers = nd + 3 * M * dd + M + 8.0 / bytes_t * n;
  } else {
    const double w = dd + code_length((n + p.M - 1) / p.M);
    buffers = 4 * double(n) * w;
  }
  // The call trace (Report::trace), reserved up front.
  const double trace = 32.0 * std::min(predicted_calls(method, n, p), kMaxTrace);
  c.memory_bytes = bytes_t * buffers + oracle + trace;
  c.bytes = 4.0 * 4 * double(n) * d;
  return c;
}

// M, window, sinks, B and the call cap (the cost model checks them too: its
// schedule walks every call).
void check_sizes(const std::string& name, std::size_t n, const Params& q) {
  if (q.M < 2 || q.M > n)
    throw Error("M", "got " + std::to_string(q.M) + ", must be in [2, N = " + std::to_string(n) + "]");
  if (name == "window" || name == "sinks") {
    if (q.window >= q.M)
      throw Error("window", "got " + std::to_string(q.window) + ", must be < M = " + std::to_string(q.M) +
                                " (a chunk's windows must fit one oracle call)");
  }
  if (name == "sinks" && q.sinks > q.M)
    throw Error("sinks", "got " + std::to_string(q.sinks) + ", must be ≤ M = " + std::to_string(q.M));
  if (name == "packed") {
    require(std::isfinite(q.B) && q.B >= 0 && q.B <= 16, "B", q.B, "in [0, 16]");
  }
  const std::size_t calls = predicted_calls(name, n, q);
  if (calls > kMaxCalls)
    throw Error("M", "got " + std::to_string(q.M) + ": " + name + " needs " + std::to_string(calls) +
                         " oracle calls at N = " + std::to_string(n) + ", more than the cap of " +
                         std::to_string(kMaxCalls) + " (raise M)");
}

const Method& prepare(const std::string& name, const Problem& p, const Params& given) {
  const Method& m = find_method(name);
  require(p.n >= 2 && p.n <= (1u << 24), "n", p.n, "in [2, 16777216]");
  require(p.d >= 1 && p.d <= 4096, "d", p.d, "in [1, 4096]");
  require(std::isfinite(given.scale) && given.scale >= 0, "scale", given.scale, "finite and > 0 (0 = 1/sqrt(d))");
  resolve_threads(given.threads);
  const std::size_t nd = p.n * p.d;
  const std::pair<const char*, const View*> arrays[] = {{"Q", &p.Q}, {"K", &p.K}, {"V", &p.V}};
  for (const auto& [array, view] : arrays) {
    if (!view->data) throw Error(array, "missing (an n×d array is required)");
    require_length(array, view->size, nd, "n·d");
    require_bounded(array, view->data, nd, kMaxEntry, "larger entries overflow float32 scores");
  }
  const Params q = resolved(given, p.n);
  check_sizes(name, p.n, q);
  require_memory(m.name, cost(name, p.n, p.d, q).memory_bytes);
  return m;
}

void execute(const Method& m, const Problem& p, const Params& given, const Output& out, Report& report) {
  const Params q = resolved(given, p.n);
  report = Report{};
  report.M = q.M;
  report.window = q.window;
  report.sinks = q.sinks;
  report.calls_predicted = predicted_calls(m.name, p.n, q);
  report.trace.reserve(std::min(report.calls_predicted, kMaxTrace));
  m.run(p, q, out, report);
}

void run(const std::string& name, const Problem& p, const Params& params, const Output& out, Report& report) {
  execute(prepare(name, p, params), p, params, out, report);
}

}  // namespace subquad::simulate
