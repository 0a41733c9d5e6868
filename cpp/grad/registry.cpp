#include <cmath>
#include <map>
#include <string>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/registry.hpp"
#include "common/rng.hpp"
#include "common/scale.hpp"
#include "common/threads.hpp"
#include "grad/grad.hpp"

namespace subquad::grad {

namespace {

// Query–key pairs: n·n_k, or Σ_i (i + n_k − n + 1) when causal (n_k ≥ n).
double pairs(std::size_t n, std::size_t nk, const Params& p) {
  return p.causal ? double(n) * (n + 1) / 2 + double(n) * (double(nk) - double(n)) : double(n) * nk;
}

// Reads Q, dO (n×d), K, V (n_k×d); writes dQ, dK, dV.
double io_bytes(std::size_t n, std::size_t nk, std::size_t d) { return 4.0 * (4.0 * n + 3.0 * nk) * d; }

Cost cost_reference(std::size_t n, std::size_t nk, std::size_t d, const Params& p) {
  // Per pair: the score, dP, and three d-wide updates (dQ, dK, dV), in double.
  return {10.0 * pairs(n, nk, p) * d, io_bytes(n, nk, d), 8.0 * (2.0 * nk * d + nk + 2.0 * d)};
}

Cost cost_flash(std::size_t n, std::size_t nk, std::size_t d, const Params& p) {
  const int threads = resolve_threads(p.threads);
  // Five n×n_k×d products (S, dP, dV, dK, dQ). Memory: the sweep's buffers plus
  // O and lse, which it computes (and holds) when they are not given.
  return {10.0 * pairs(n, nk, p) * d, io_bytes(n, nk, d),
          flash_memory(n, nk, d, threads) + 4.0 * (double(n) * d + n)};
}

Cost cost_polynomial(std::size_t n, std::size_t nk, std::size_t d, const Params& p) {
  const double r = attention::poly_rank(d, p.degree), e = std::ceil((d + 1.0) / 4) * 4;
  const int threads = resolve_threads(p.threads);
  // Three sweeps of features (≈ 3 multiplies per monomial per row) and five
  // n×r×e products, two reverse sweeps over the monomials (4 per monomial).
  if (p.causal) {
    // Both sweeps recompute both feature sets; per block five r-deep products
    // (rows × rows and rows × e) and three e-deep ones beside the states'.
    const double memory = r > 1e12 ? 4.0 * r * e * 7 * 64 : polynomial_causal_memory(n, d, static_cast<std::size_t>(r));
    return {12.0 * n * r + 2.0 * n * r * (64 * 4 + 6 * e) + 17.0 * n * r, io_bytes(n, nk, d), memory};
  }
  const double memory = r > 1e12 ? 4.0 * threads * r * e : polynomial_memory(d, static_cast<std::size_t>(r), threads);
  return {10.0 * (0.4 * n + 0.6 * nk) * r * e + 17.0 * (0.5 * n + 0.5 * nk) * r, io_bytes(n, nk, d), memory};
}

// The paper's problem: reads A₁, A₂, A₃, E (n×d) and X, Y (d×d), writes dX (d×d).
double loss_bytes(std::size_t n, std::size_t d) { return 4.0 * (4.0 * n * d + 3.0 * d * d); }

Cost cost_loss_reference(std::size_t n, std::size_t d, const Params&) {
  // Per pair: the score, f·h, q = c·h and p·A₂ (2d each), the exp and p; in double.
  // Memory: f and q (n×n), Q, h, O, c (n×d), in double.
  return {(8.0 * d + 6) * n * n + 4.0 * n * d * d, loss_bytes(n, d),
          8.0 * (2.0 * n * n + 4.0 * n * d + d * d + d)};
}

Cost cost_loss_exact(std::size_t n, std::size_t d, const Params& p) {
  // The forward's two n×n×d products and the backward's three, an exp per pair in each.
  return {10.0 * n * n * d + 2.0 * n * n + 6.0 * n * d * d, loss_bytes(n, d),
          loss_exact_memory(n, d, resolve_threads(p.threads))};
}

Cost cost_loss_polynomial(std::size_t n, std::size_t d, const Params& p) {
  const double r = attention::poly_rank(d, p.degree), w = 2.0 * d + 1 + double(d) * d, v = double(d) * d + d;
  const int threads = resolve_threads(p.threads);
  // Features twice (≈ 3 per monomial per row), Ψᵀ Z (2nrw), Φ·SK (2nr(d+1)),
  // Wᵀ Φ (2nrv), the d×d contractions (2rd³); A₁X and A₃Y (2nd² each).
  const double memory =
      r > 1e12 ? 8.0 * threads * r * w : loss_polynomial_memory(n, d, static_cast<std::size_t>(r), threads);
  return {6.0 * n * r + 2.0 * n * r * (w + d + 1 + v) + 2.0 * r * d * d * d + 4.0 * n * d * d, loss_bytes(n, d),
          memory};
}

const std::vector<LossMethod> kLossMethods = {
    {"loss_reference", "the paper's loss L(X) and dL/dX, dense in double (n×n f and q stored): the yardstick", true,
     loss_reference, cost_loss_reference, "scale"},
    {"loss_exact",
     "L(X) and dL/dX in O(n²d) time and O(n·d) memory: the flash forward, then score tiles recomputed per query "
     "block, threads over query blocks",
     true, loss_exact, cost_loss_exact, "scale threads"},
    {"loss_polynomial",
     "Alman–Song's almost-linear algorithm: f replaced by the polynomial method's low rank f̃ in the gradient "
     "formula, contracted in O(n·r·d²), no n×n or n×r matrix",
     false, loss_polynomial, cost_loss_polynomial, "scale threads degree poly R"},
};

const std::vector<Method> kMethods = {
    {"reference", "double-precision obvious loops: the yardstick", true, reference, cost_reference,
     "scale causal"},
    {"flash", "FlashAttention-2 backward: 64×64 score tiles recomputed from the log-sum-exps, threads over key blocks",
     true, flash, cost_flash, "scale causal threads"},
    {"polynomial",
     "the exact gradient of Alman–Song's low-rank attention φ(Q)ψ(K)ᵀ: O(n·r·d), no n×n or n×r matrix; causal "
     "through prefix states (one thread)",
     false, polynomial, cost_polynomial, "scale causal threads degree poly R"},
};

// n_k against n and the options: causal needs n_k ≥ n (query i is key position i + n_k − n).
void check_keys(std::size_t n, std::size_t nk, const Params& p) {
  require(nk >= 1 && nk <= (1u << 24), "n_k", nk, "in [1, 16777216]");
  if (p.causal) require(nk >= n, "n_k", nk, ">= n when causal (query i is position i + n_k − n of the keys)");
}

void loss_keys(std::size_t nk, std::size_t n) {
  if (nk != n)
    throw Error("n_k", "got " + std::to_string(nk) + " ≠ n = " + std::to_string(n) +
                           "; the loss methods take n_k = n (A₂ is n×d)");
}

Family make_family() {
  Family f;
  f.name = "grad";
  f.summary = "the attention backward pass: dQ, dK, dV of O = softmax(scale·QKᵀ)V given dO; and the paper's "
              "training problem L(X) = ½‖softmax(scale·A₁XA₂ᵀ)A₃Y − E‖² with dL/dX (loss_* methods)";
  f.paper = "Alman & Song, The Fine-Grained Complexity of Gradient Computation for Training Large Language Models "
            "(NeurIPS 2024, arXiv 2402.04497)";
  f.dims = {{"n", 1, 1 << 24, "query rows"},
            {"n_k", 1, 1 << 24, "key/value rows (= n unless given; the loss methods take n_k = n)"},
            {"d", 1, 4096, "head width"}};
  f.inputs = {{"Q", "n×d"}, {"K", "n_k×d"}, {"V", "n_k×d"}, {"dO", "n×d"}, {"O", "n×d"}, {"lse", "n"}};
  using T = OptionType;
  f.options = {
      {"scale", T::number, "sqrt", 0, 1e6, {"sqrt", "inv_d"},
       "softmax(scale·QKᵀ): sqrt = 1/√d (practice), inv_d = 1/d (the papers), or a number", true},
      {"causal", T::boolean, "false", 0, 0, {}, "query i attends to keys j ≤ i + (n_k − n)"},
      {"threads", T::integer, "0", 0, 1024, {}, "threads to use; 0 = all the pool has"},
      {"degree", T::integer, "4", 0, attention::kMaxDegree, {}, "degree g of the polynomial P ≈ exp (rank C(d+g, g))"},
      {"poly", T::choice, "chebyshev", 0, 0, {"chebyshev", "taylor"}, "how P is fitted on [−R, R]"},
      {"R", T::number, "0", 0, attention::kMaxR, {},
       "half-width of the interval P is fitted on; 0 = the inputs' score range scale·max‖q‖·max‖k‖"},
  };
  const std::map<std::string, std::string> papers = {
      {"reference", "Vaswani et al., Attention Is All You Need (NeurIPS 2017, arXiv 1706.03762)"},
      {"flash", "Dao, FlashAttention-2 (arXiv 2307.08691), Algorithm 2"},
      {"polynomial", "Alman & Song (NeurIPS 2024, arXiv 2402.04497), Appendix D"},
  };
  for (const Method& m : kMethods) {
    f.methods.push_back({m.name, m.summary, m.exact, option_list(m.options), {}, papers.at(m.name)});
  }
  const std::vector<InputSpec> loss_inputs = {{"A1", "n×d"}, {"A2", "n×d"}, {"A3", "n×d"},
                                              {"X", "d×d"},  {"Y", "d×d"},  {"E", "n×d"}};
  const char* loss_paper = "Alman & Song (NeurIPS 2024, arXiv 2402.04497), Def. 1.4 (AAttLGC), Lemma C.7, App. D";
  for (const LossMethod& m : kLossMethods)
    f.methods.push_back({m.name, m.summary, m.exact, option_list(m.options), loss_inputs, loss_paper});
  f.cost = [](const std::string& method, const Dims& given, const Options& o) {
    const Dims dims = check_dims(family(), given, {{"n_k", "n"}});
    const std::size_t n = dim_of(dims, "n"), nk = dim_of(dims, "n_k"), d = dim_of(dims, "d");
    const Params params = params_from(o, d, method);
    if (is_loss_method(method)) {
      loss_keys(nk, n);
      return find_loss_method(method).cost(n, d, params);
    }
    check_keys(n, nk, params);
    if (method == "polynomial" && params.causal && nk != n)
      throw Error("n_k", "got " + std::to_string(nk) + " ≠ n = " + std::to_string(n) +
                             "; the causal polynomial gradient needs n_k = n");
    return find_method(method).cost(n, nk, d, params);
  };
  f.example = [](const std::string& method, const Dims& given, const Options& o, const Family::Ready& ready) {
    const Dims dims = check_dims(family(), given, {{"n_k", "n"}});
    const std::size_t n = dim_of(dims, "n"), nk = dim_of(dims, "n_k"), d = dim_of(dims, "d");
    const Params params = params_from(o, d, method);
    if (is_loss_method(method)) {
      loss_keys(nk, n);
      // ‖A₁X‖∞ ≤ 1: inside the polynomial method's regime at any d.
      const auto A1 = uniform_matrix(n, d, 1.0, 11), A2 = uniform_matrix(n, d, 1.0, 12),
                 A3 = uniform_matrix(n, d, 1.0, 13), E = uniform_matrix(n, d, 1.0, 14),
                 X = uniform_matrix(d, d, 1.0 / d, 15), Y = uniform_matrix(d, d, 1.0, 16);
      std::vector<float> dX(d * d);
      Stats stats;
      stats.reserve(16);
      if (ready) ready();
      const std::size_t nd = n * d, dd = d * d;
      const LossProblem p{n, d, {A1.data(), nd}, {A2.data(), nd}, {A3.data(), nd}, {E.data(), nd}, {X.data(), dd},
                          {Y.data(), dd}};
      run_loss(method, p, params, dX.data(), stats);
      return;
    }
    const auto Q = uniform_matrix(n, d, 1.0, 11), K = uniform_matrix(nk, d, 1.0, 12), V = uniform_matrix(nk, d, 1.0, 13),
               dO = uniform_matrix(n, d, 1.0, 14);
    std::vector<float> dQ(n * d), dK(nk * d), dV(nk * d);
    Stats stats;
    stats.reserve(16);
    if (ready) ready();
    Problem p{n, d, {Q.data(), Q.size()}, {K.data(), K.size()}, {V.data(), V.size()}, {dO.data(), dO.size()}, {}, {},
              nk};
    run(method, p, params, {dQ.data(), dK.data(), dV.data()}, stats);
  };
  return f;
}

}  // namespace

const std::vector<Method>& methods() { return kMethods; }

const Method& find_method(const std::string& name) { return find_by_name(kMethods, name, "grad"); }

const std::vector<LossMethod>& loss_methods() { return kLossMethods; }

const LossMethod& find_loss_method(const std::string& name) { return find_by_name(kLossMethods, name, "grad loss"); }

bool is_loss_method(const std::string& name) {
  for (const auto& m : kLossMethods)
    if (name == m.name) return true;
  return false;
}

const Family& family() {
  static const Family f = make_family();
  return f;
}

double resolved_scale(const Params& params, std::size_t d) { return subquad::resolved_scale(params.scale, d); }

Params params_from(const Options& o, std::size_t d, const std::string& method) {
  const OptionValues v(family(), method, o);
  Params p;
  if (v.takes("scale")) p.scale = scale_option(v, d);
  if (v.takes("causal")) p.causal = v.boolean("causal");
  if (v.takes("threads")) p.threads = static_cast<int>(v.integer("threads"));
  if (v.takes("degree")) p.degree = static_cast<int>(v.integer("degree"));
  if (v.takes("poly")) p.poly = v.text("poly");
  if (v.takes("R")) p.R = v.number("R");
  return p;
}

const Method& prepare(const std::string& name, const Problem& p, const Params& params) {
  const Method& m = find_method(name);
  require(p.n >= 1 && p.n <= (1u << 24), "n", p.n, "in [1, 16777216]");
  require(p.d >= 1 && p.d <= 4096, "d", p.d, "in [1, 4096]");
  require(std::isfinite(params.scale) && params.scale >= 0, "scale", params.scale, "finite and > 0 (0 = 1/sqrt(d))");
  resolve_threads(params.threads);
  check_keys(p.n, p.keys(), params);
  const std::size_t nd = p.n * p.d, kd = p.keys() * p.d;
  const char* why = "larger entries overflow float32 scores";
  const std::pair<const char*, const View*> queries[] = {{"Q", &p.Q}, {"dO", &p.dO}};
  for (const auto& [name_, view] : queries) {
    if (!view->data) throw Error(name_, "missing (an n×d array is required)");
    require_length(name_, view->size, nd, "n·d");
    require_bounded(name_, view->data, nd, kMaxEntry, why);
  }
  const std::pair<const char*, const View*> keys[] = {{"K", &p.K}, {"V", &p.V}};
  for (const auto& [name_, view] : keys) {
    if (!view->data) throw Error(name_, "missing (an n_k×d array is required)");
    require_length(name_, view->size, kd, p.n_k ? "n_k·d" : "n·d");
    require_bounded(name_, view->data, kd, kMaxEntry, why);
  }
  if ((p.O.data == nullptr) != (p.lse.data == nullptr))
    throw Error(p.O.data ? "lse" : "O", "missing: give both O and lse (the forward's output and log-sum-exps) or neither");
  if (p.O.data) {
    require_length("O", p.O.size, nd, "n·d");
    require_bounded("O", p.O.data, nd, kMaxEntry, why);
    require_length("lse", p.lse.size, p.n, "n");
    require_finite("lse", p.lse.data, p.n);
  }
  require(params.degree >= 0 && params.degree <= attention::kMaxDegree, "degree", params.degree, "in [0, 12]");
  if (params.poly != "taylor" && params.poly != "chebyshev")
    throw Error("poly", "got '" + params.poly + "', must be taylor or chebyshev");
  require(std::isfinite(params.R) && params.R >= 0 && params.R <= attention::kMaxR, "R", params.R, "in [0, 64]");
  if (m.run == polynomial && params.causal && p.keys() != p.n)
    throw Error("n_k", "got " + std::to_string(p.keys()) + " ≠ n = " + std::to_string(p.n) +
                           "; the causal polynomial gradient needs n_k = n");
  const double memory = m.cost(p.n, p.keys(), p.d, params).memory_bytes;
  if (m.run == polynomial && memory > memory_budget_bytes())
    throw Error("degree", "got " + std::to_string(params.degree) + ": rank C(d+g, g) = " +
                              detail::to_text(attention::poly_rank(p.d, params.degree)) + " needs " +
                              detail::to_text(std::round(memory / 1048576.0 * 10) / 10) + " MiB, memory budget is " +
                              detail::to_text(std::round(memory_budget_bytes() / 1048576.0 * 10) / 10) + " MiB");
  require_memory(m.name, memory);
  return m;
}

const LossMethod& prepare_loss(const std::string& name, const LossProblem& p, const Params& params) {
  const LossMethod& m = find_loss_method(name);
  require(p.n >= 1 && p.n <= (1u << 24), "n", p.n, "in [1, 16777216]");
  require(p.d >= 1 && p.d <= 4096, "d", p.d, "in [1, 4096]");
  require(std::isfinite(params.scale) && params.scale >= 0, "scale", params.scale, "finite and > 0 (0 = 1/sqrt(d))");
  resolve_threads(params.threads);
  const char* why = "larger entries overflow float32 products";
  const std::pair<const char*, const View*> tall[] = {{"A1", &p.A1}, {"A2", &p.A2}, {"A3", &p.A3}, {"E", &p.E}};
  for (const auto& [name_, view] : tall) {
    if (!view->data) throw Error(name_, "missing (an n×d array is required)");
    require_length(name_, view->size, p.n * p.d, "n·d");
    require_bounded(name_, view->data, p.n * p.d, kMaxLossEntry, why);
  }
  const std::pair<const char*, const View*> square[] = {{"X", &p.X}, {"Y", &p.Y}};
  for (const auto& [name_, view] : square) {
    if (!view->data) throw Error(name_, "missing (a d×d array is required)");
    require_length(name_, view->size, p.d * p.d, "d·d");
    require_bounded(name_, view->data, p.d * p.d, kMaxLossEntry, why);
  }
  require(params.degree >= 0 && params.degree <= attention::kMaxDegree, "degree", params.degree, "in [0, 12]");
  if (params.poly != "taylor" && params.poly != "chebyshev")
    throw Error("poly", "got '" + params.poly + "', must be taylor or chebyshev");
  require(std::isfinite(params.R) && params.R >= 0 && params.R <= attention::kMaxR, "R", params.R, "in [0, 64]");
  if (params.causal) throw Error("causal", "the loss methods are non-causal");
  const double memory = m.cost(p.n, p.d, params).memory_bytes;
  if (m.run == loss_polynomial && memory > memory_budget_bytes())
    throw Error("degree", "got " + std::to_string(params.degree) + ": rank C(d+g, g) = " +
                              detail::to_text(attention::poly_rank(p.d, params.degree)) + " at d = " +
                              std::to_string(p.d) + " needs " +
                              detail::to_text(std::round(memory / 1048576.0 * 10) / 10) + " MiB, memory budget is " +
                              detail::to_text(std::round(memory_budget_bytes() / 1048576.0 * 10) / 10) + " MiB");
  require_memory(m.name, memory);
  return m;
}

double execute_loss(const LossMethod& m, const LossProblem& p, const Params& params, float* dX, Stats& stats) {
  return m.run(p, params, dX, stats);
}

double run_loss(const std::string& name, const LossProblem& p, const Params& params, float* dX, Stats& stats) {
  return execute_loss(prepare_loss(name, p, params), p, params, dX, stats);
}

void execute(const Method& m, const Problem& p, const Params& params, const Output& out, Stats& stats) {
  m.run(p, params, out, stats);
}

void run(const std::string& name, const Problem& p, const Params& params, const Output& out, Stats& stats) {
  execute(prepare(name, p, params), p, params, out, stats);
}

}  // namespace subquad::grad
