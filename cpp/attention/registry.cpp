#include <cmath>
#include <map>
#include <string>

#include "attention/attention.hpp"
#include "attention/feature_attention.hpp"
#include "attention/rope.hpp"
#include "attention/toeplitz.hpp"
#include "common/error.hpp"
#include "common/registry.hpp"
#include "common/rng.hpp"
#include "common/scale.hpp"
#include "common/threads.hpp"

namespace subquad::attention {

namespace {

// Query–key pairs attended: n·n_k, or Σ_i (i + n_k − n + 1) when causal.
double pairs_attended(const Params& p, std::size_t n, std::size_t nk) {
  return p.causal ? double(n) * (n + 1) / 2 + double(n) * (double(nk) - double(n)) : double(n) * nk;
}

double io_bytes(std::size_t n, std::size_t nk, std::size_t d) { return 8.0 * (n + nk) * d; }

Cost cost_reference(std::size_t n, std::size_t nk, std::size_t d, const Params& p) {
  return {4.0 * pairs_attended(p, n, nk) * d, io_bytes(n, nk, d), 8.0 * (nk + d)};
}

Cost cost_exact(std::size_t n, std::size_t nk, std::size_t d, const Params& p) {
  const double threads = resolve_threads(p.threads);
  // Kᵀ plus one block of ≤ 96 rows of scores per thread.
  const double rows = std::min<double>(96, std::max<double>(6, 65536.0 / nk));
  return {4.0 * pairs_attended(p, n, nk) * d, io_bytes(n, nk, d),
          4.0 * (double(nk) * d + threads * rows * nk)};
}

Cost cost_flash(std::size_t n, std::size_t nk, std::size_t d, const Params& p) {
  const double threads = resolve_threads(p.threads);
  const double tiles = std::ceil(nk / 64.0);
  const double d8 = std::ceil(d / 8.0) * 8;
  // Packed Kᵀ and V; per thread a query block, two output blocks, a score tile.
  return {4.0 * pairs_attended(p, n, nk) * d, io_bytes(n, nk, d),
          4.0 * (tiles * 64 * (d + d8) + threads * (64.0 * d + 2 * 64 * d8 + 64 * 64 + 192))};
}

Cost cost_polynomial(std::size_t n, std::size_t, std::size_t d, const Params& p) {
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

Cost cost_window(std::size_t n, std::size_t, std::size_t d, const Params& p) {
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

Cost cost_linear(std::size_t n, std::size_t, std::size_t d, const Params& p) {
  return {feature_flops(n, d, double(d), p.causal) + 4.0 * n * d, 16.0 * n * d,
          feature_attention_memory(n, d, d, p.causal, resolve_threads(p.threads))};
}

Cost cost_performer(std::size_t n, std::size_t, std::size_t d, const Params& p) {
  const std::size_t m = static_cast<std::size_t>(p.features);
  // Exponents of Q and K (K twice: once for the stabilising max) by GEMM, then
  // the feature-map attention; W in double and √s·Wᵀ in float.
  return {6.0 * n * m * d + feature_flops(n, d, double(m), p.causal), 16.0 * n * d,
          12.0 * m * d + 4.0 * resolve_threads(p.threads) * 256.0 * m +
              feature_attention_memory(n, d, m, p.causal, resolve_threads(p.threads))};
}

Cost cost_lsh(std::size_t n, std::size_t, std::size_t d, const Params& p) {
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

// RoPE: the rotation of Q and K (≈ 6 flops per entry) and its cos/sin tables.
double rope_flops(std::size_t n, std::size_t d) { return 12.0 * n * d; }

Cost cost_rope_reference(std::size_t n, std::size_t, std::size_t d, const Params& p) {
  // Q and K rotated in double; one row of scores and one output row.
  return {4.0 * pairs_attended(p, n, n) * d + rope_flops(n, d), io_bytes(n, n, d), 16.0 * n * d + 8.0 * (n + d)};
}

Cost cost_rope_flash(std::size_t n, std::size_t, std::size_t d, const Params& p) {
  Cost c = cost_flash(n, n, d, p);
  c.flops += rope_flops(n, d);
  // The tables, one rotated K row, one rotated Q row per thread.
  c.memory_bytes += RopeRotation::memory_bytes(n, d) + 4.0 * d * (1 + resolve_threads(p.threads));
  return c;
}

Cost cost_rope_polynomial(std::size_t n, std::size_t, std::size_t d, const Params& p) {
  Cost c = cost_polynomial(n, n, d, p);
  c.flops += rope_flops(n, d);
  c.memory_bytes += 8.0 * n * d + RopeRotation::memory_bytes(n, d);  // rotated Q and K (float)
  return c;
}

Cost cost_positional_reference(std::size_t n, std::size_t, std::size_t d, const Params& p) {
  return {6.0 * pairs_attended(p, n, n) * d, io_bytes(n, n, d) + 4.0 * (2 * n - 1) * d, 8.0 * (n + d)};
}

Cost cost_positional_exact(std::size_t n, std::size_t, std::size_t d, const Params& p) {
  Cost c = cost_flash(n, n, d, p);
  c.flops = 5.0 * pairs_attended(p, n, n) * d;  // 3 per (i, j, l) for the score, 2 for P·V
  c.bytes += 4.0 * (2 * n - 1) * d;
  c.memory_bytes += 4.0 * d * (2.0 * n - 1 + 64);  // W reversed per channel
  return c;
}

Cost cost_positional_fft(std::size_t n, std::size_t, std::size_t d, const Params& p) {
  const std::size_t support = p.support == "rope" ? 2 * d : d;
  const double pieces = poly_rank(support, p.degree), L = double(toeplitz_fft_length(n));
  const double C = std::ceil((d + 1) / 2.0), log2L = std::max(1.0, std::log2(L));
  // Per piece: the kernel's FFT and C paired columns forward and back (5 L log2 L each),
  // the spectrum product, u, v, t and the accumulation.
  const double per_piece = 5.0 * L * log2L * (1 + 2 * C) + 6.0 * L * C + 4.0 * n * (d + 1) +
                           double(p.degree) * (4.0 * n - 1);
  return {pieces * per_piece, io_bytes(n, n, d) + 4.0 * (2 * n - 1) * d,
          positional_fft_memory(n, d, support, resolve_threads(p.threads)) + 48.0 * pieces};
}

const std::vector<Method> kMethods = {
    {"exact_reference", "double-precision obvious loops: the yardstick", true, exact_reference,
     cost_reference, "scale causal diagonal return_lse threads", true},
    {"exact", "row-blocked scores, SIMD micro-kernels, threads over row blocks", true, exact,
     cost_exact, "scale causal diagonal return_lse threads", true},
    {"flash", "fused 64×64 tiles, online base-2 softmax, QKᵀ and PV on the GEMM micro-kernel variant measured fastest here", true,
     flash, cost_flash, "scale causal diagonal return_lse threads", true},
    {"polynomial",
     "Alman–Song (arXiv 2302.13214): degree-g polynomial for exp, rank C(d+g,g) feature maps",
     false, polynomial, cost_polynomial, "scale causal threads degree poly R", false, polynomial_describe},
    {"window", "sliding window: keys with |i − j| < window", false, window, cost_window,
     "scale causal threads window"},
    // elu(x)+1 acts on the raw entries: linear has no temperature, so no `scale`.
    {"linear", "linear attention, feature map elu(x)+1 (Katharopoulos et al. 2020)", false, linear,
     cost_linear, "causal threads"},
    {"performer", "FAVOR+ positive orthogonal random features (Choromanski et al. 2021)", false,
     performer, cost_performer, "scale causal threads features seed"},
    {"lsh", "Reformer-style LSH: random rotations, sort by bucket, attend within chunks", false,
     lsh, cost_lsh, "scale causal threads buckets chunk rounds seed"},
    // RoPE attention (THEORY-2.md §1): checked against rope_reference, not exact_reference.
    {"rope_reference", "RoPE attention in double: rotate Q and K by position, then exact softmax", true,
     rope_reference, cost_rope_reference, "scale causal threads rope_base rope_layout", false, nullptr, "rope_reference"},
    {"rope_flash", "RoPE attention: flash with the rotation fused into its Q/K packing (O(n·d) extra work)", true,
     rope_flash, cost_rope_flash, "scale causal threads rope_base rope_layout", false, nullptr, "rope_reference"},
    {"rope_polynomial",
     "RoPE by pre-rotation, then the polynomial method (rotations keep the norms, so R and the bound are unchanged)",
     false, rope_polynomial, cost_rope_polynomial, "scale causal threads degree poly R rope_base rope_layout", false,
     rope_polynomial_describe, "rope_reference"},
    // General (diagonal) position matrices W_Δ = diag(w_Δ), given as the input W.
    {"positional_reference", "A_ij = exp(scale·Σ_l q_il w_{i−j,l} k_jl) in double, dense: the yardstick", true,
     positional_reference, cost_positional_reference, "scale causal threads", false, nullptr, "positional_reference"},
    {"positional_exact", "flash's tiles and online softmax with the score Σ_l q_il w_{i−j,l} k_jl, 4 keys per SIMD step",
     true, positional_exact, cost_positional_exact, "scale causal threads", false, nullptr, "positional_reference"},
    {"positional_fft",
     "polynomial method + FFT: C(d+g, g) rescaled Toeplitz pieces, each applied by FFT, O(n log n) per piece",
     false, positional_fft, cost_positional_fft, "scale causal threads degree poly R support rope_base rope_layout", false,
     positional_fft_describe, "positional_reference"},
};

constexpr double kMaxRows = 1 << 24;

void check_shape(const Method& m, std::size_t n, std::size_t nk, std::size_t d, const Params& params);

Family make_family() {
  Family f;
  f.name = "attention";
  f.summary = "softmax attention Att(Q,K,V) = D⁻¹ exp(scale·QKᵀ) V: exact, fused, the polynomial method, heuristics, RoPE and diagonal position matrices";
  f.paper = "Alman & Song, Fast Attention Requires Bounded Entries (NeurIPS 2023, arXiv 2302.13214)";
  f.dims = {{"n", 1, kMaxRows, "query rows"},
            {"n_k", 1, kMaxRows, "key/value rows (= n unless given; exact methods only)"},
            {"d", 1, 4096, "head width"}};
  f.inputs = {{"Q", "n×d"}, {"K", "n_k×d"}, {"V", "n_k×d"}};
  using T = OptionType;
  f.options = {
      {"scale", T::number, "sqrt", 0, 1e6, {"sqrt", "inv_d"},
       "softmax(scale·QKᵀ): sqrt = 1/√d (practice), inv_d = 1/d (the papers), or a number", true},
      {"causal", T::boolean, "false", 0, 0, {}, "query i attends to keys j ≤ i + (n_k − n)"},
      {"diagonal", T::boolean, "false", 0, 0, {},
       "row i never attends to key i (n_k = n; the pair-search construction)"},
      {"return_lse", T::boolean, "false", 0, 0, {}, "also return each row's log-sum-exp (natural log)"},
      {"threads", T::integer, "0", 0, 1024, {}, "threads to use; 0 = all the pool has"},
      {"seed", T::integer, "1", 0, 9007199254740991.0, {}, "seed of the random features or rotations"},
      {"degree", T::integer, "4", 0, kMaxDegree, {}, "degree g of the polynomial P ≈ exp"},
      {"poly", T::choice, "chebyshev", 0, 0, {"chebyshev", "taylor"}, "how P is fitted on [−R, R]"},
      {"R", T::number, "0", 0, kMaxR, {},
       "half-width of the interval P is fitted on; 0 = the inputs' score range scale·max‖q‖·max‖k‖"},
      {"features", T::integer, "256", 1, 65536, {}, "random features m"},
      {"window", T::integer, "256", 1, kMaxRows, {}, "keys with |i − j| < window"},
      {"buckets", T::integer, "8", 2, 1024, {}, "hash buckets per round (even)"},
      {"chunk", T::integer, "64", 1, kMaxRows, {}, "chunk length after sorting by bucket"},
      {"rounds", T::integer, "1", 1, 16, {}, "hash rounds, combined by log-sum-exp weights"},
      {"rope_base", T::number, "10000", 0, 1e12, {},
       "RoPE base: pair t turns by θ_t = base^(−2t/d) per position (d must be even)", true},
      {"rope_layout", T::choice, "interleaved", 0, 0, {"interleaved", "half"},
       "RoPE pairs: interleaved = (2t, 2t+1), half = (t, t + d/2) (GPT-NeoX style)"},
      {"support", T::choice, "diagonal", 0, 0, {"diagonal", "rope"},
       "support S of W_Δ: diagonal = the input W (|S| = d), rope = standard RoPE (|S| = 2d, no W, d even)"},
  };
  const std::map<std::string, std::string> papers = {
      {"exact_reference", "Vaswani et al., Attention Is All You Need (NeurIPS 2017, arXiv 1706.03762)"},
      {"exact", "Vaswani et al., Attention Is All You Need (NeurIPS 2017, arXiv 1706.03762)"},
      {"flash", "Dao et al., FlashAttention (NeurIPS 2022, arXiv 2205.14135); FlashAttention-2 (arXiv 2307.08691)"},
      {"window", "Beltagy et al., Longformer (arXiv 2004.05150)"},
      {"linear", "Katharopoulos et al., Transformers are RNNs (ICML 2020, arXiv 2006.16236)"},
      {"performer", "Choromanski et al., Rethinking Attention with Performers (ICLR 2021, arXiv 2009.14794)"},
      {"lsh", "Kitaev et al., Reformer (ICLR 2020, arXiv 2001.04451)"},
      {"rope_reference", "Su et al., RoFormer: Enhanced Transformer with Rotary Position Embedding (arXiv 2104.09864)"},
      {"rope_flash", "Su et al., RoFormer (arXiv 2104.09864); the kernel is flash's (Dao et al., arXiv 2205.14135)"},
      {"rope_polynomial", "Alman & Song, Fast RoPE Attention: Combining the Polynomial Method and Fast Fourier Transform (arXiv 2505.11892); RoPE: Su et al. (arXiv 2104.09864)"},
      {"positional_reference", "Alman & Song, Fast RoPE Attention: Combining the Polynomial Method and Fast Fourier Transform (arXiv 2505.11892): the general problem, diagonal W"},
      {"positional_exact", "Alman & Song, Fast RoPE Attention: Combining the Polynomial Method and Fast Fourier Transform (arXiv 2505.11892): the general problem; the kernel is flash's (arXiv 2205.14135)"},
      {"positional_fft", "Alman & Song, Fast RoPE Attention: Combining the Polynomial Method and Fast Fourier Transform (arXiv 2505.11892); algorithm as reconstructed in THEORY-2.md §1"},
  };
  for (const Method& m : kMethods) {
    // polynomial: the family's paper (Alman–Song)
    MethodSpec spec{m.name, m.summary, m.exact, option_list(m.options), {}, papers.count(m.name) ? papers.at(m.name) : ""};  // polynomial: the family's (Alman–Song)
    if (std::string(m.name).rfind("positional_", 0) == 0)
      spec.inputs = {{"Q", "n×d"}, {"K", "n×d"}, {"V", "n×d"}, {"W", "(2n−1)×d"}};
    f.methods.push_back(spec);
  }
  f.cost = [](const std::string& method, const Dims& given, const Options& o) {
    const Family& fam = family();
    const Dims dims = check_dims(fam, given, {{"n_k", "n"}});
    const std::size_t n = dim_of(dims, "n"), nk = dim_of(dims, "n_k"), d = dim_of(dims, "d");
    const Params params = params_from(o, d, method);
    const Method& m = find_method(method);
    check_shape(m, n, nk, d, params);
    return m.cost(n, nk, d, params);
  };
  f.example = [](const std::string& method, const Dims& given, const Options& o, const Family::Ready& ready) {
    const Dims dims = check_dims(family(), given, {{"n_k", "n"}});
    const std::size_t n = dim_of(dims, "n"), nk = dim_of(dims, "n_k"), d = dim_of(dims, "d");
    const Params params = params_from(o, d, method);
    const auto Q = uniform_matrix(n, d, 1.0, 11), K = uniform_matrix(nk, d, 1.0, 12), V = uniform_matrix(nk, d, 1.0, 13);
    const bool positions = needs_positions(find_method(method), params);
    const auto W = positions ? uniform_matrix(2 * n - 1, d, 1.0, 14) : std::vector<float>();
    std::vector<float> O(n * d), lse(params.return_lse ? n : 0);
    Stats stats;
    stats.reserve(16);
    if (ready) ready();
    run(method, {n, d, Q.data(), K.data(), V.data(), nk, positions ? W.data() : nullptr}, params, O.data(), stats,
        params.return_lse ? lse.data() : nullptr);
  };
  return f;
}

}  // namespace

const std::vector<Method>& methods() { return kMethods; }

const Method& find_method(const std::string& name) {
  return find_by_name(kMethods, name, "attention");
}

double resolved_scale(const Params& params, std::size_t d) { return subquad::resolved_scale(params.scale, d); }

const Family& family() {
  static const Family f = make_family();
  return f;
}

Params params_from(const Options& o, std::size_t d, const std::string& method) {
  const OptionValues v(family(), method, o);  // refuses unknown keys, wrong types, out of range
  Params p;
  if (v.takes("scale")) p.scale = scale_option(v, d);
  if (v.takes("causal")) p.causal = v.boolean("causal");
  if (v.takes("diagonal")) p.diagonal = v.boolean("diagonal");
  if (v.takes("return_lse")) p.return_lse = v.boolean("return_lse");
  if (v.takes("threads")) p.threads = static_cast<int>(v.integer("threads"));
  if (v.takes("seed")) p.seed = static_cast<std::uint64_t>(v.integer("seed"));
  if (v.takes("degree")) p.degree = static_cast<int>(v.integer("degree"));
  if (v.takes("poly")) p.poly = v.text("poly");
  if (v.takes("R")) p.R = v.number("R");
  if (v.takes("features")) p.features = static_cast<int>(v.integer("features"));
  if (v.takes("window")) p.window = static_cast<std::size_t>(v.integer("window"));
  if (v.takes("buckets")) p.buckets = static_cast<int>(v.integer("buckets"));
  if (v.takes("chunk")) p.chunk = static_cast<std::size_t>(v.integer("chunk"));
  if (v.takes("rounds")) p.rounds = static_cast<int>(v.integer("rounds"));
  if (v.takes("rope_base")) p.rope_base = v.number("rope_base");
  if (v.takes("rope_layout")) p.rope_layout = v.text("rope_layout");
  if (v.takes("support")) p.support = v.text("support");
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
  require(std::isfinite(p.rope_base) && p.rope_base > 0 && p.rope_base <= 1e12, "rope_base", p.rope_base,
          "in (0, 1e12]");
  if (p.rope_layout != "interleaved" && p.rope_layout != "half")
    throw Error("rope_layout", "got '" + p.rope_layout + "', must be interleaved or half");
  if (p.support != "diagonal" && p.support != "rope")
    throw Error("support", "got '" + p.support + "', must be diagonal or rope");
}

namespace {

// What the shape (n, n_k, d) allows for this method and these params: the cost
// model and a run both check it, so an estimate never prices a refused call.
void check_shape(const Method& m, std::size_t n, std::size_t nk, std::size_t d, const Params& params) {
  const bool rotates = takes_option(family(), m.name, "rope_base") &&
                      (!takes_option(family(), m.name, "support") || params.support == "rope");
  if (d % 2 && rotates)
    throw Error("d", "got " + std::to_string(d) + ", must be even for " + m.name +
                         " (RoPE rotates pairs of coordinates)");
  if (nk == n) return;
  if (!m.any_keys)
    throw Error("n_k", "got " + std::to_string(nk) + " ≠ n = " + std::to_string(n) + "; method '" + m.name +
                           "' needs n_k = n (exact_reference, exact and flash take separate key counts)");
  if (params.causal) require(nk >= n, "n_k", nk, ">= n when causal (query i is position i + n_k − n of the keys)");
  if (params.diagonal) require(nk == n, "n_k", nk, "equal to n with a masked diagonal");
}

}  // namespace

const Method& prepare(const std::string& name, const Problem& p, const Params& params) {
  const Method& m = find_method(name);
  const std::size_t nk = p.keys();
  require(p.n >= 1 && p.n <= (1u << 24), "n", p.n, "in [1, 16777216]");
  require(nk >= 1 && nk <= (1u << 24), "n_k", nk, "in [1, 16777216]");
  require(p.d >= 1 && p.d <= 4096, "d", p.d, "in [1, 4096]");
  check_shape(m, p.n, nk, p.d, params);
  require(std::isfinite(params.scale) && params.scale >= 0, "scale", params.scale,
          "finite and > 0 (0 = 1/sqrt(d))");
  resolve_threads(params.threads);
  validate(params);
  if (params.return_lse && !m.any_keys)
    throw Error("return_lse", std::string("method '") + m.name +
                                  "' computes no log-sum-exp (exact_reference, exact and flash do)");
  if (params.diagonal) {
    if (!takes_option(family(), m.name, "diagonal"))
      throw Error("diagonal", std::string("method '") + m.name +
                                  "' has no diagonal mask (exact_reference, exact and flash have one)");
    if (params.causal) throw Error("diagonal", "cannot be combined with causal (row 0 would attend to nothing)");
    require(nk == p.n, "n_k", nk, "equal to n with a masked diagonal");
    require(p.n >= 2, "n", p.n, "at least 2 with a masked diagonal (row i needs a key j ≠ i)");
  }
  const char* why = "larger entries overflow float32 scores";
  require_bounded("Q", p.Q, p.n * p.d, kMaxEntry, why);
  require_bounded("K", p.K, nk * p.d, kMaxEntry, why);
  require_bounded("V", p.V, nk * p.d, kMaxEntry, why);
  if (needs_positions(m, params)) {
    if (!p.W) throw Error("W", std::string("missing: method '") + m.name + "' needs W, (2n−1)×d position weights");
    require_bounded("W", p.W, (2 * p.n - 1) * p.d, kMaxEntry, why);
  } else if (p.W) {
    throw Error("W", std::string("given, but method '") + m.name + "' " +
                         (takes_positions(m) ? "with support = rope computes its own" :
                                               "takes no W (positional_reference and positional_fft do)"));
  }
  require_memory(m.name, m.cost(p.n, nk, p.d, params).memory_bytes);
  return m;
}

void execute(const Method& m, const Problem& p, const Params& params, float* O, Stats& stats, float* lse) {
  if (params.return_lse && !lse) throw Error("return_lse", "set, but no buffer for the log-sum-exps was given");
  m.run(p, params, O, params.return_lse ? lse : nullptr, stats);
}

void reference_row(const Method& m, const Problem& p, const Params& params, std::size_t i, double* o) {
  const std::string ref = m.reference;
  if (ref == "rope_reference") rope_reference_row(p, params, i, o);
  else if (ref == "positional_reference") positional_reference_row(p, params, i, o);
  else exact_reference_row(p, params, i, o);
}

bool needs_positions(const Method& m, const Params& params) {
  return takes_positions(m) && !(takes_option(family(), m.name, "support") && params.support == "rope");
}

bool takes_positions(const Method& m) {
  for (const auto& in : family().inputs_of(family().method(m.name)))
    if (in.name == "W") return true;
  return false;
}

void describe(const Method& m, const Problem& p, const Params& params, Stats& stats) {
  if (m.describe) m.describe(p, params, stats);
}

void run(const std::string& name, const Problem& p, const Params& params, float* O, Stats& stats, float* lse) {
  const Method& m = prepare(name, p, params);
  execute(m, p, params, O, stats, lse);
  describe(m, p, params, stats);
}

}  // namespace subquad::attention
