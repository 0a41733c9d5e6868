#include <cmath>
#include <string>

#include "attention/attention.hpp"
#include "attention/feature_attention.hpp"
#include "common/error.hpp"
#include "common/registry.hpp"
#include "common/threads.hpp"

namespace subquad::attention {

namespace {

double causal_fraction(const Params& p, std::size_t n) {
  return p.causal ? (static_cast<double>(n) + 1) / (2.0 * n) : 1.0;
}

Cost cost_reference(std::size_t n, std::size_t d, const Params& p) {
  const double nn = double(n) * n * causal_fraction(p, n);
  return {4.0 * nn * d, 16.0 * n * d, 8.0 * (n + d)};
}

Cost cost_exact(std::size_t n, std::size_t d, const Params& p) {
  const double nn = double(n) * n * causal_fraction(p, n);
  const double threads = resolve_threads(p.threads);
  // Kᵀ plus one block of ≤ 96 rows of scores per thread.
  const double rows = std::min<double>(96, std::max<double>(6, 65536.0 / n));
  return {4.0 * nn * d, 16.0 * n * d, 4.0 * (double(n) * d + threads * rows * n)};
}

Cost cost_flash(std::size_t n, std::size_t d, const Params& p) {
  const double nn = double(n) * n * causal_fraction(p, n);
  const double threads = resolve_threads(p.threads);
  const double tiles = std::ceil(n / 64.0);
  const double d8 = std::ceil(d / 8.0) * 8;
  // Packed Kᵀ and V; per thread a query block, two output blocks, a score tile.
  return {4.0 * nn * d, 16.0 * n * d,
          4.0 * (tiles * 64 * (d + d8) + threads * (64.0 * d + 2 * 64 * d8 + 64 * 64 + 192))};
}

Cost cost_polynomial(std::size_t n, std::size_t d, const Params& p) {
  const double r = poly_rank(d, p.degree), threads = resolve_threads(p.threads);
  const double e = std::ceil((d + 1.0) / 4) * 4;  // [V 1] (the denominator), padded to 4
  // Feature maps (one multiply per monomial per row, twice), ψᵀ[V 1] and
  // φ·(ψᵀ[V 1]); causal adds the exact-in-P 64×64 diagonal blocks.
  double flops = 2.0 * n * r + 4.0 * n * r * e;
  if (p.causal) flops += 2.0 * n * 64 * r + 2.0 * n * 64 * e;
  // feature_attention in 64-row blocks (r ≤ 2^53: the rank check comes first).
  const double memory = r > 1e12 ? 4.0 * threads * r * e
                                 : feature_attention_memory(n, d, static_cast<std::size_t>(r), p.causal,
                                                            static_cast<int>(threads), 64);
  return {flops, 16.0 * n * d, memory};
}

double window_keys(std::size_t n, const Params& p) {
  const double w = static_cast<double>(std::min<std::size_t>(p.window, n));
  return p.causal ? w : std::min<double>(2 * w - 1, n);
}

Cost cost_window(std::size_t n, std::size_t d, const Params& p) {
  const double threads = resolve_threads(p.threads);
  // Kᵀ plus, per thread, one block of 64 rows × (64 + 2·window) band scores.
  const double width = std::min<double>(n, 64.0 + 2.0 * std::min<std::size_t>(p.window, n));
  return {4.0 * n * window_keys(n, p) * d, 16.0 * n * d, 4.0 * (double(n) * d + threads * 64.0 * width)};
}

// Feature-map attention (linear, performer) with r features per row: the
// summary and the outputs, plus the 256 × 256 masked blocks when causal.
double feature_flops(std::size_t n, std::size_t d, double r, bool causal) {
  const double e = double(d) + 1;
  return 4.0 * n * r * e + (causal ? 2.0 * n * 256 * (r + e) : 0);
}

Cost cost_linear(std::size_t n, std::size_t d, const Params& p) {
  return {feature_flops(n, d, double(d), p.causal) + 4.0 * n * d, 16.0 * n * d,
          feature_attention_memory(n, d, d, p.causal, resolve_threads(p.threads))};
}

Cost cost_performer(std::size_t n, std::size_t d, const Params& p) {
  const std::size_t m = static_cast<std::size_t>(p.features);
  // Exponents of Q and K (K twice: once for the stabilising max) by GEMM, then
  // the feature-map attention; W in double and √s·Wᵀ in float.
  return {6.0 * n * m * d + feature_flops(n, d, double(m), p.causal), 16.0 * n * d,
          12.0 * m * d + 4.0 * resolve_threads(p.threads) * 256.0 * m +
              feature_attention_memory(n, d, m, p.causal, resolve_threads(p.threads))};
}

Cost cost_lsh(std::size_t n, std::size_t d, const Params& p) {
  const double keys = std::min<double>(2.0 * p.chunk, n);
  const double per_round = double(n) * d * p.buckets + 4.0 * n * keys * d;
  const double threads = resolve_threads(p.threads);
  // Outputs per round (when combined) and log-sum-exps, sort orders, and per
  // thread a chunk's gathered keys and values plus one 64-row block of scores.
  const double rounds_out = p.rounds > 1 ? 4.0 * p.rounds * n * d : 0;
  return {p.rounds * per_round, 16.0 * n * d,
          rounds_out + 8.0 * n * (p.rounds + 4) + 4.0 * d * p.buckets +
              threads * 4.0 * (2 * keys * d + 64.0 * keys + 128.0 * d)};
}

const std::vector<Method> kMethods = {
    {"exact_reference", "double-precision obvious loops: the yardstick", true, exact_reference,
     cost_reference},
    {"exact", "row-blocked scores, SIMD micro-kernels, threads over row blocks", true, exact,
     cost_exact},
    {"flash", "fused 64×64 tiles, online base-2 softmax, 4×8 QKᵀ and 6×8 PV micro-kernels", true,
     flash, cost_flash},
    {"polynomial",
     "Alman–Song (arXiv 2302.13214): degree-g polynomial for exp, rank C(d+g,g) feature maps",
     false, polynomial, cost_polynomial},
    {"window", "sliding window: keys with |i − j| < window", false, window, cost_window},
    {"linear", "linear attention, feature map elu(x)+1 (Katharopoulos et al. 2020)", false, linear,
     cost_linear},
    {"performer", "FAVOR+ positive orthogonal random features (Choromanski et al. 2021)", false,
     performer, cost_performer},
    {"lsh", "Reformer-style LSH: random rotations, sort by bucket, attend within chunks", false,
     lsh, cost_lsh},
};

}  // namespace

const std::vector<Method>& methods() { return kMethods; }

const Method& find_method(const std::string& name) {
  return find_by_name(kMethods, name, "attention");
}

double resolved_scale(const Params& params, std::size_t d) {
  return params.scale > 0 ? params.scale : 1.0 / std::sqrt(static_cast<double>(d));
}

Params params_from(const Options& o, std::size_t d) {
  Params p;
  const std::string scale = o.str("scale", "sqrt");
  if (scale == "sqrt") {
    p.scale = 0;
  } else if (scale == "inv_d") {
    p.scale = 1.0 / static_cast<double>(d);
  } else {
    p.scale = o.num("scale", 0);
  }
  p.causal = o.flag("causal", false);
  p.diagonal = o.flag("diagonal", false);
  p.threads = static_cast<int>(o.integer("threads", 0, 0, 1024));
  p.seed = static_cast<std::uint64_t>(o.integer("seed", 1, 0, 1ll << 53));
  p.degree = static_cast<int>(o.integer("degree", p.degree, 0, kMaxDegree));
  p.poly = o.str("poly", p.poly);
  p.R = o.num("R", p.R);
  p.features = static_cast<int>(o.integer("features", p.features, 1, 1 << 16));
  p.window = static_cast<std::size_t>(o.integer("window", p.window, 1, 1 << 24));
  p.buckets = static_cast<int>(o.integer("buckets", p.buckets, 2, 1024));
  p.chunk = static_cast<std::size_t>(o.integer("chunk", p.chunk, 1, 1 << 24));
  p.rounds = static_cast<int>(o.integer("rounds", p.rounds, 1, 16));
  validate(p);
  return p;
}

void validate(const Params& p) {
  static_assert(kMaxR == 64, "update the R messages here and in polynomial.cpp");
  require(p.degree >= 0 && p.degree <= kMaxDegree, "degree", p.degree, "in [0, 12]");
  if (p.poly != "taylor" && p.poly != "chebyshev")
    throw Error("poly", "got '" + p.poly + "', must be taylor or chebyshev");
  require(std::isfinite(p.R) && p.R >= 0 && p.R <= kMaxR, "R", p.R,
          "in [0, 64] (0 = the inputs' score range; beyond 64 float32 sums of e^R over 2^24 keys overflow)");
  require(p.features >= 1 && p.features <= (1 << 16), "features", p.features, "in [1, 65536]");
  require(p.window >= 1 && p.window <= (1u << 24), "window", p.window, "in [1, 16777216]");
  require(p.buckets >= 2 && p.buckets <= 1024 && p.buckets % 2 == 0, "buckets", p.buckets,
          "even, in [2, 1024]");
  require(p.chunk >= 1 && p.chunk <= (1u << 24), "chunk", p.chunk, "in [1, 16777216]");
  require(p.rounds >= 1 && p.rounds <= 16, "rounds", p.rounds, "in [1, 16]");
}

void run(const std::string& name, const Problem& p, const Params& params, float* O, Stats& stats) {
  const Method& m = find_method(name);
  require(p.n >= 1 && p.n <= (1u << 24), "n", p.n, "in [1, 16777216]");
  require(p.d >= 1 && p.d <= 4096, "d", p.d, "in [1, 4096]");
  require(std::isfinite(params.scale) && params.scale >= 0, "scale", params.scale,
          "finite and > 0 (0 = 1/sqrt(d))");
  resolve_threads(params.threads);
  validate(params);
  if (params.diagonal) {
    if (!m.exact)
      throw Error("diagonal", std::string("method '") + m.name +
                                  "' has no diagonal mask (exact_reference, exact and flash have one)");
    if (params.causal) throw Error("diagonal", "cannot be combined with causal (row 0 would attend to nothing)");
    require(p.n >= 2, "n", p.n, "at least 2 with a masked diagonal (row i needs a key j ≠ i)");
  }
  const std::size_t count = p.n * p.d;
  const char* why = "larger entries overflow float32 scores";
  require_bounded("Q", p.Q, count, kMaxEntry, why);
  require_bounded("K", p.K, count, kMaxEntry, why);
  require_bounded("V", p.V, count, kMaxEntry, why);
  require_memory(m.name, m.cost(p.n, p.d, params).memory_bytes);
  m.run(p, params, O, stats);
}

}  // namespace subquad::attention
