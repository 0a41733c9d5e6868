// The attention backward pass (THEORY-2.md §2; Alman & Song, NeurIPS 2024,
// arXiv 2402.04497). Forward O = softmax(s·QKᵀ)V with Q, K, V n×d; given the
// upstream gradient dO = ∂L/∂O (n×d), return dQ, dK, dV (n×d each):
//   P = softmax(s·QKᵀ) row-wise, D_i = Σ_k dO_ik O_ik  (= ⟨P_i, dO_i Vᵀ⟩),
//   dV = Pᵀ dO,   dS = P ∘ (dO Vᵀ − D 1ᵀ),   dQ = s·dS K,   dK = s·dSᵀ Q.
// (The paper's p = f∘q − diag(r) f with q = c hᵀ, r = rowsum(c∘O), dO = c.)
//
// One registry, the shape of attention's (cpp/attention/attention.hpp): a
// method is a name, a kernel, a cost model and its options. O and lse (each
// row's natural-log log-sum-exp, as attention's return_lse gives) are
// optional inputs: a method that needs them and is not given them computes
// them with the attention family's flash forward.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "common/options.hpp"
#include "common/schema.hpp"

namespace subquad::grad {

struct Params {
  double scale = 0;     // 0 → 1/√d; the papers use 1/d
  bool causal = false;  // row i attends to keys j ≤ i
  int threads = 0;      // 0 → all the pool has
  // polynomial: as attention's (degree g of P ≈ exp, its fit, the interval
  // half-width R; 0 → the inputs' score range scale·max‖q‖·max‖k‖).
  int degree = 4;
  std::string poly = "chebyshev";
  double R = 0;
};

// A float array with the length the caller has (checked against its shape).
struct View {
  const float* data = nullptr;
  std::size_t size = 0;
};

struct Problem {
  std::size_t n = 0, d = 0;
  View Q, K, V, dO;  // Q, dO: n×d; K, V: n_k×d
  View O, lse;       // optional (data = nullptr): n×d forward output, n log-sum-exps
  std::size_t n_k = 0;  // key/value rows; 0 → n. Causal: query i is key position i + n_k − n.
  std::size_t keys() const { return n_k ? n_k : n; }
};

struct Output {
  float *dQ = nullptr, *dK = nullptr, *dV = nullptr;  // n×d, n_k×d, n_k×d
};

using Stats = std::vector<std::pair<std::string, double>>;

// Largest |entry| accepted in Q, K, V, dO, O (as attention's kMaxEntry).
constexpr double kMaxEntry = 1e15;

using Kernel = void (*)(const Problem&, const Params&, const Output&, Stats&);

struct Method {
  const char* name;
  const char* summary;
  bool exact;
  Kernel run;
  Cost (*cost)(std::size_t n, std::size_t n_k, std::size_t d, const Params&);
  const char* options;  // space-separated, from the family's option table
};

const std::vector<Method>& methods();
const Method& find_method(const std::string& name);
// dims n, n_k (→ n), d; inputs Q, dO (n×d), K, V (n_k×d), O (n×d, optional), lse (n, optional);
// the loss methods' inputs A1, A2, A3, E (n×d), X, Y (d×d).
const Family& family();

// Params read through `method`'s schema (unknown keys and bad values refused by name).
Params params_from(const Options& o, std::size_t d, const std::string& method);
double resolved_scale(const Params& params, std::size_t d);

// Shapes, lengths, finiteness and bounds of every input, options, memory.
const Method& prepare(const std::string& method, const Problem& p, const Params& params);
// The kernel alone (after prepare).
void execute(const Method& m, const Problem& p, const Params& params, const Output& out, Stats& stats);
void run(const std::string& method, const Problem& p, const Params& params, const Output& out, Stats& stats);

// The methods, one file each.
void reference(const Problem&, const Params&, const Output&, Stats&);
void flash(const Problem&, const Params&, const Output&, Stats&);
void polynomial(const Problem&, const Params&, const Output&, Stats&);

// Extra memory of flash's backward sweep alone (given O and lse), bytes.
double flash_memory(std::size_t n, std::size_t n_k, std::size_t d, int threads);
// Extra memory of polynomial at rank r, bytes (non-causal; causal: one thread, O(n·d) more).
double polynomial_memory(std::size_t d, std::size_t r, int threads);
double polynomial_causal_memory(std::size_t n, std::size_t d, std::size_t r);


// ---------------------------------------------------------------------------
// The paper's problem (AAttLGC, arXiv 2402.04497 Def. 1.4; THEORY-2.md §2):
//   L(X) = ½‖D(X)⁻¹ exp(s·A₁XA₂ᵀ) A₃Y − E‖²_F,   D(X) = diag(exp(s·A₁XA₂ᵀ) 1_n),
// A₁, A₂, A₃, E n×d, X, Y d×d; the methods return L and dL/dX (d×d):
//   f = D⁻¹exp(s·A₁XA₂ᵀ), h = A₃Y, c = f h − E, q = c hᵀ, r_j = ⟨f_j, q_j⟩,
//   dL/dX = s·A₁ᵀ [f ∘ (q − r 1ᵀ)] A₂.
// Same family, same options table; the inputs are their own (MethodSpec::inputs).
struct LossProblem {
  std::size_t n = 0, d = 0;
  View A1, A2, A3, E;  // n×d each
  View X, Y;           // d×d each
};

// Largest |entry| accepted in A₁, A₂, A₃, E, X, Y: keeps A₁X, A₃Y (≤ d·1e12)
// and every float32 score and product c·h of the kernels finite for d ≤ 4096.
constexpr double kMaxLossEntry = 1e6;

// Writes dL/dX (d×d) and returns L.
using LossKernel = double (*)(const LossProblem&, const Params&, float* dX, Stats&);

struct LossMethod {
  const char* name;
  const char* summary;
  bool exact;
  LossKernel run;
  Cost (*cost)(std::size_t n, std::size_t d, const Params&);
  const char* options;
};

const std::vector<LossMethod>& loss_methods();
const LossMethod& find_loss_method(const std::string& name);
bool is_loss_method(const std::string& name);

// Shapes, lengths, finiteness and bounds of every input, options, memory.
const LossMethod& prepare_loss(const std::string& method, const LossProblem& p, const Params& params);
// The kernel alone (after prepare_loss): writes dX, returns L.
double execute_loss(const LossMethod& m, const LossProblem& p, const Params& params, float* dX, Stats& stats);
double run_loss(const std::string& method, const LossProblem& p, const Params& params, float* dX, Stats& stats);

double loss_reference(const LossProblem&, const Params&, float* dX, Stats&);
double loss_exact(const LossProblem&, const Params&, float* dX, Stats&);
double loss_polynomial(const LossProblem&, const Params&, float* dX, Stats&);

// Extra memory of loss_exact / loss_polynomial (rank r), bytes.
double loss_exact_memory(std::size_t n, std::size_t d, int threads);
double loss_polynomial_memory(std::size_t n, std::size_t d, std::size_t r, int threads);

// The dense pieces of the reference in double (n×n f and q, n×d h, O, c),
// for tests of the identities the paper's proofs use.
struct LossParts {
  std::vector<double> f, q, h, O, c;
  double loss = 0;
};
LossParts loss_parts(const LossProblem& p, const Params& params);

// max |entry| of A·B for A n×d, B d×d (‖A₁X‖∞, the paper's entry bound).
double product_max_abs(const float* A, const float* B, std::size_t n, std::size_t d);

}  // namespace subquad::grad
