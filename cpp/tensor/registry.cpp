#include <cmath>
#include <map>
#include <string>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/registry.hpp"
#include "common/rng.hpp"
#include "common/scale.hpp"
#include "common/threads.hpp"
#include "tensor/tensor.hpp"

namespace subquad::tensor {

namespace {

// Key pairs attended over all queries: Σ_i |J_i|·|K_i|.
double pairs_attended(std::size_t n, const Params& p, bool windowed) {
  if (!windowed) return p.causal ? double(n) * (n + 1) * (2.0 * n + 1) / 6 : double(n) * n * n;
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Ranges r = ranges(i, n, p, true);
    total += double(r.j1 - r.j0) * double(r.k1 - r.k0);
  }
  return total;
}

double io_bytes(std::size_t n, std::size_t d) { return 24.0 * n * d; }  // five inputs, one output

Cost cost_reference(std::size_t n, std::size_t d, const Params& p) {
  // Two passes: scores (2 per pair per width, plus q∘k₁ per j), then e·V₂ (2 more).
  return {6.0 * pairs_attended(n, p, false) * d, io_bytes(n, d), 8.0 * 3 * d};
}

Cost cost_exact(std::size_t n, std::size_t d, const Params& p) {
  // Per pair: the score (2 per width) and P·V₂ (2 per width); exps not counted.
  return {4.0 * pairs_attended(n, p, false) * d, io_bytes(n, d), pair_memory(n, d, resolve_threads(p.threads), false, p)};
}

Cost cost_windowed(std::size_t n, std::size_t d, const Params& p) {
  return {4.0 * pairs_attended(n, p, true) * d, io_bytes(n, d), pair_memory(n, d, resolve_threads(p.threads), true, p)};
}

Cost cost_polynomial(std::size_t n, std::size_t d, const Params& p) {
  const double r = attention::poly_rank(d, p.degree), e = d + 1.0;
  const int threads = resolve_threads(p.threads);
  // Three feature maps (≈ 2 per monomial per row), two r×e summaries and U₁Z.
  const double memory = r > 1e12 ? 4.0 * threads * r * e : polynomial_memory(d, static_cast<std::size_t>(r), threads);
  return {6.0 * n * r * e + 6.0 * n * r, io_bytes(n, d), memory};
}

const std::vector<Method> kMethods = {
    {"reference", "double-precision triple loop over (i, j, k): the yardstick", true, reference, cost_reference,
     "scale causal"},
    {"exact",
     "per query, the n×n score slab K₁ diag(q_i) K₂ᵀ on the SIMD micro-kernel with an online softmax over 64×64 "
     "key-pair tiles: O(n³d) time, O(n·d) memory, threads over queries",
     true, exact, cost_exact, "scale causal threads"},
    {"windowed",
     "2-simplicial attention: pairs in windows i − w1 < j ≤ i, i − w2 < k ≤ i (causal; |i − j| < w1, |i − k| < w2 "
     "otherwise), the exact kernel on them: O(n·w1·w2·d)",
     false, windowed, cost_windowed, "scale causal threads w1 w2"},
    {"polynomial",
     "degree-g polynomial of exp with trilinear feature maps of rank C(d+g, g) and the Khatri–Rao identity: "
     "O(n·r·d), never the n×n² matrix (our reconstruction; non-causal)",
     false, polynomial, cost_polynomial, "scale threads degree poly R", polynomial_describe},
};

Family make_family() {
  Family f;
  f.name = "tensor";
  f.summary = "tensor (triple-wise) attention: softmax over key pairs (j, k) of scale·Σ_l Q_il K1_jl K2_kl, "
              "output Σ P·(V1[j] ∘ V2[k])";
  f.paper = "Alman & Song, How to Capture Higher-order Correlations? Generalizing Matrix Softmax Attention to "
            "Kronecker Computation (ICLR 2024, arXiv 2310.04064)";
  f.dims = {{"n", 1, double(kMaxN), "tokens"}, {"d", 1, 4096, "head width"}};
  f.inputs = {{"Q", "n×d"}, {"K1", "n×d"}, {"K2", "n×d"}, {"V1", "n×d"}, {"V2", "n×d"}};
  using T = OptionType;
  f.options = {
      {"scale", T::number, "sqrt", 0, 1e6, {"sqrt", "inv_d"},
       "scores scale·Σ q·k1·k2: sqrt = 1/√d (2-simplicial), inv_d = 1/d (the papers), or a number", true},
      {"causal", T::boolean, "false", 0, 0, {}, "query i attends to pairs with j ≤ i and k ≤ i"},
      {"threads", T::integer, "0", 0, 1024, {}, "threads to use; 0 = all the pool has"},
      {"w1", T::integer, "512", 1, double(kMaxN), {}, "window of the first key: i − w1 < j ≤ i (|i − j| < w1 non-causal)"},
      {"w2", T::integer, "32", 1, double(kMaxN), {}, "window of the second key: i − w2 < k ≤ i (|i − k| < w2 non-causal)"},
      {"degree", T::integer, "4", 0, attention::kMaxDegree, {}, "degree g of the polynomial P ≈ exp (rank C(d+g, g))"},
      {"poly", T::choice, "chebyshev", 0, 0, {"chebyshev", "taylor"}, "how P is fitted on [−R, R]"},
      {"R", T::number, "0", 0, kMaxR, {},
       "half-width of the interval P is fitted on; 0 = the inputs' score bound scale·Σ_l max|Q_l|·max|K1_l|·max|K2_l|"},
  };
  const std::map<std::string, std::string> papers = {
      {"reference", "Alman & Song (ICLR 2024, arXiv 2310.04064): the definition"},
      {"exact", "Alman & Song (arXiv 2310.04064); the online softmax of Dao, FlashAttention-2 (arXiv 2307.08691)"},
      {"windowed", "Roy et al., Fast and Simplex: 2-Simplicial Attention in Triton (arXiv 2507.02754)"},
      {"polynomial", "Alman & Song (arXiv 2310.04064): the polynomial method, our reconstruction (THEORY-2.md §3)"},
  };
  for (const Method& m : kMethods)
    f.methods.push_back({m.name, m.summary, m.exact, option_list(m.options), {}, papers.at(m.name)});
  f.cost = [](const std::string& method, const Dims& given, const Options& o) {
    const Dims dims = check_dims(family(), given);
    const std::size_t n = dim_of(dims, "n"), d = dim_of(dims, "d");
    return find_method(method).cost(n, d, params_from(o, d, method));
  };
  f.example = [](const std::string& method, const Dims& given, const Options& o, const Family::Ready& ready) {
    const Dims dims = check_dims(family(), given);
    const std::size_t n = dim_of(dims, "n"), d = dim_of(dims, "d");
    const Params params = params_from(o, d, method);
    const auto Q = generate(n, d, 1.0, false, 21), K1 = generate(n, d, 1.0, false, 22),
               K2 = generate(n, d, 1.0, false, 23), V1 = generate(n, d, 1.0, false, 24),
               V2 = generate(n, d, 1.0, false, 25);
    std::vector<float> O(n * d);
    Stats stats;
    stats.reserve(16);
    if (ready) ready();
    const Method& m = prepare(method, {n, d, Q.data(), K1.data(), K2.data(), V1.data(), V2.data()}, params);
    execute(m, {n, d, Q.data(), K1.data(), K2.data(), V1.data(), V2.data()}, params, O.data(), stats);
  };
  return f;
}

std::string gflop(double flops) { return detail::to_text(std::round(flops / 1e8) / 10); }

}  // namespace

const std::vector<Method>& methods() { return kMethods; }

const Method& find_method(const std::string& name) { return find_by_name(kMethods, name, "tensor"); }

const Family& family() {
  static const Family f = make_family();
  return f;
}

double resolved_scale(const Params& params, std::size_t d) { return subquad::resolved_scale(params.scale, d); }

std::vector<float> generate(std::size_t rows, std::size_t cols, double B, bool nonnegative, std::uint64_t seed) {
  std::vector<float> m = uniform_matrix(rows, cols, B, seed);
  if (nonnegative)
    for (auto& x : m) x = 0.5f * (x + static_cast<float>(B));  // [−B, B] → [0, B]
  return m;
}

Params params_from(const Options& o, std::size_t d, const std::string& method) {
  const OptionValues v(family(), method, o);
  Params p;
  if (v.takes("scale")) p.scale = scale_option(v, d);
  if (v.takes("causal")) p.causal = v.boolean("causal");
  if (v.takes("threads")) p.threads = static_cast<int>(v.integer("threads"));
  if (v.takes("w1")) p.w1 = static_cast<std::size_t>(v.integer("w1"));
  if (v.takes("w2")) p.w2 = static_cast<std::size_t>(v.integer("w2"));
  if (v.takes("degree")) p.degree = static_cast<int>(v.integer("degree"));
  if (v.takes("poly")) p.poly = v.text("poly");
  if (v.takes("R")) p.R = v.number("R");
  return p;
}

const Method& prepare(const std::string& name, const Problem& p, const Params& params) {
  const Method& m = find_method(name);
  require(p.n >= 1 && p.n <= kMaxN, "n", p.n, "in [1, 1048576]");
  require(p.d >= 1 && p.d <= 4096, "d", p.d, "in [1, 4096]");
  require(std::isfinite(params.scale) && params.scale >= 0 && params.scale <= 1e6, "scale", params.scale,
          "in (0, 1e6] (0 = 1/sqrt(d))");
  resolve_threads(params.threads);
  require(params.w1 >= 1 && params.w1 <= kMaxN, "w1", params.w1, "in [1, 1048576]");
  require(params.w2 >= 1 && params.w2 <= kMaxN, "w2", params.w2, "in [1, 1048576]");
  require(params.degree >= 0 && params.degree <= attention::kMaxDegree, "degree", params.degree, "in [0, 12]");
  if (params.poly != "taylor" && params.poly != "chebyshev")
    throw Error("poly", "got '" + params.poly + "', must be taylor or chebyshev");
  require(std::isfinite(params.R) && params.R >= 0 && params.R <= kMaxR, "R", params.R, "in [0, 40]");
  const std::size_t nd = p.n * p.d;
  const std::pair<const char*, const float*> arrays[] = {{"Q", p.Q}, {"K1", p.K1}, {"K2", p.K2}, {"V1", p.V1}, {"V2", p.V2}};
  for (const auto& [array, data] : arrays) {
    if (!data) throw Error(array, "missing (an n×d array is required)");
    require_bounded(array, data, nd, kMaxEntry, "larger entries overflow float32 trilinear scores");
  }
  // Every float32 score must be finite: Σ_l max|Q_l|·max|K1_l|·max|K2_l| bounds them all.
  const double bound = score_bound(p, resolved_scale(params, p.d));
  if (!(bound <= 1e37))
    throw Error("Q", "scores scale·Σ q·k1·k2 reach " + detail::to_text(bound) +
                         ", beyond float32 (≤ 1e37): smaller entries or scale");
  if (m.run == polynomial && params.causal)
    throw Error("causal", "the polynomial method is non-causal only (reference, exact and windowed take causal)");
  if (m.run == polynomial && params.R == 0) {
    require(bound <= kMaxR, "R", bound,
            "<= 40: the inputs' score bound scale·Σ_l max|Q_l|·max|K1_l|·max|K2_l| is too wide for float32 sums "
            "over n² pairs (smaller entries or scale)");
  }
  // The per-pair methods: a time budget in flops, refused with the largest n that fits.
  if (m.run != polynomial) {
    const double budget = m.run == reference ? kReferenceBudget : kExactBudget;
    const double flops = m.cost(p.n, p.d, params).flops;
    if (flops > budget) {
      std::size_t lo = 1, hi = p.n;  // largest n with cost ≤ budget (cost grows with n)
      while (lo + 1 < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        (m.cost(mid, p.d, params).flops <= budget ? lo : hi) = mid;
      }
      throw Error("n", "got " + std::to_string(p.n) + ": " + m.name + " needs " + gflop(flops) +
                           " GFLOP, beyond its time budget of " + gflop(budget) + " GFLOP; the largest n at d = " +
                           std::to_string(p.d) + " is " + std::to_string(lo) +
                           (m.run == windowed ? "" : " (windowed and polynomial take longer sequences)"));
    }
  }
  const double memory = m.cost(p.n, p.d, params).memory_bytes;
  if (m.run == polynomial && memory > memory_budget_bytes())
    throw Error("degree", "got " + std::to_string(params.degree) + ": rank C(d+g, g) = " +
                              detail::to_text(attention::poly_rank(p.d, params.degree)) + " needs " +
                              detail::to_text(std::round(memory / 1048576.0 * 10) / 10) + " MiB, memory budget is " +
                              detail::to_text(std::round(memory_budget_bytes() / 1048576.0 * 10) / 10) + " MiB");
  require_memory(m.name, memory);
  return m;
}

void execute(const Method& m, const Problem& p, const Params& params, float* O, Stats& stats) {
  m.run(p, params, O, stats);
}

void describe(const Method& m, const Problem& p, const Params& params, Stats& stats) {
  if (m.describe) m.describe(p, params, stats);
}

void run(const std::string& name, const Problem& p, const Params& params, float* O, Stats& stats) {
  const Method& m = prepare(name, p, params);
  execute(m, p, params, O, stats);
  describe(m, p, params, stats);
}

}  // namespace subquad::tensor
