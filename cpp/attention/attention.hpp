// Softmax attention Att(Q,K,V) = D⁻¹ A V, A = exp(scale · Q Kᵀ), D = diag(A 1)
// (THEORY.md §1; Alman–Song, arXiv 2302.13214). Q and O are row-major n×d,
// K and V n_k×d, float32 (n_k = n unless given: the exact methods take
// separate query and key counts).
//
// Every method is one entry of the registry below: a name, a function taking
// the shared parameter struct, its options (the family's schema, family()),
// and a cost model. Bindings, the bench CLI, the tests and the page all
// iterate the registry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/compare.hpp"
#include "common/options.hpp"
#include "common/schema.hpp"

namespace subquad::attention {

struct Params {
  double scale = 0;    // 0 → 1/√d (practice); the papers use 1/d
  bool causal = false;  // row i attends to keys j ≤ i + (n_k − n)
  // exact_reference, exact, flash: also write each row's natural-log
  // log-sum-exp ln Σ_j exp(scale·q_i·k_j) over the keys it attends to (one
  // float per query row): the backward pass and block merges use it.
  bool return_lse = false;
  // Row i never attends to key i (monochromatic pair search by attention,
  // experiments/construction.hpp). Only the exact methods have this mask.
  bool diagonal = false;
  int threads = 0;      // 0 → all the pool has
  std::uint64_t seed = 1;  // for randomised methods
  // polynomial (Alman–Song): degree g of P ≈ exp, "taylor" or "chebyshev",
  // and the half-width R of the interval it is fitted on (0 → the true score
  // range of the inputs, scale·max‖q‖·max‖k‖).
  int degree = 4;
  std::string poly = "chebyshev";
  double R = 0;
  int features = 256;  // performer: random features m
  std::size_t window = 256;  // window: keys with |i − j| < window
  int buckets = 8;     // lsh: hash buckets per round (even)
  std::size_t chunk = 64;    // lsh: chunk length after sorting by bucket
  int rounds = 1;      // lsh: hash rounds, combined by log-sum-exp weights
  // RoPE (rope_*; THEORY-2.md §1): position m rotates pair t by m·θ_t,
  // θ_t = rope_base^(−2t/d); pairs (2t, 2t+1) ("interleaved") or (t, t + d/2) ("half").
  double rope_base = 10000;
  std::string rope_layout = "interleaved";
  // positional_fft: the support of W_Δ — "diagonal" (the input W) or "rope" (standard RoPE, no W).
  std::string support = "diagonal";
};

// Limits checked by params_from (and again by the methods).
constexpr int kMaxDegree = 12;
// polynomial computes in float32: a row's numerators and denominator are sums over up to
// n = 2^24 keys of products whose absolute values add up to at most M(R) = Σ_k |c_k| R^k
// (Chebyshev, g ≤ 12: ln M(R) ≤ R + 5.6; Taylor: M(R) ≤ e^R). ln(2^24) + 64 + 5.6 = 86.2 <
// ln FLT_MAX = 88.7, a margin of e^2.5 for rounding and |V| ≤ 1 (larger V scales the numerators;
// their overflow is counted in nonfinite_outputs). At R = 70 the sums overflow (tested).
constexpr double kMaxR = 64;

// Extra facts a method reports with its output (rank, polynomial error, …).
using Stats = std::vector<std::pair<std::string, double>>;

struct Problem {
  std::size_t n = 0, d = 0;  // n query rows of width d
  const float *Q = nullptr, *K = nullptr, *V = nullptr;
  std::size_t n_k = 0;  // key/value rows; 0 → n
  // positional_* only: the diagonals w_Δ of the position matrices W_Δ, (2n−1)×d,
  // row Δ + n − 1 for Δ = i − j ∈ (−n, n). Other methods refuse it.
  const float* W = nullptr;
  std::size_t keys() const { return n_k ? n_k : n; }
};

// Largest |entry| of Q, K, V accepted: keeps every float32 score q·k·scale and
// every sum Σ p·v finite for d ≤ 4096 and n ≤ 2^24 (1e15² · 4096 < 3.4e38).
constexpr double kMaxEntry = 1e15;

using subquad::Cost;

// A method writes O (n×d) and, when it has one and params.return_lse is set,
// each row's log-sum-exp into lse (n floats).
using Kernel = void (*)(const Problem&, const Params&, float* O, float* lse, Stats& stats);

struct Method {
  const char* name;
  const char* summary;
  bool exact;  // computes softmax attention up to float rounding
  Kernel run;
  Cost (*cost)(std::size_t n, std::size_t n_k, std::size_t d, const Params&);
  const char* options;  // its own options beyond scale, causal, threads (space-separated)
  bool any_keys = false;  // takes n_k ≠ n
  // Facts about a run that are not part of it (the polynomial's fit error on
  // a 20,001-point grid): computed after the kernel, outside its timer.
  void (*describe)(const Problem&, const Params&, Stats&) = nullptr;
  // The method whose output this one is checked against (tests, the bench's
  // error column): plain attention, or RoPE attention for the rope_* methods.
  const char* reference = "exact_reference";
};

const std::vector<Method>& methods();
// Throws Error("method", …) naming the known methods when `name` is not one.
const Method& find_method(const std::string& name);
// The registry as a schema (common/schema.hpp): dims n, n_k, d; inputs Q, K,
// V; every option with its type, default, limits and doc.
const Family& family();

// Validates shapes, options against the method, finiteness and memory;
// returns the method. Everything a run checks happens here, so a timed
// region can hold execute() alone.
const Method& prepare(const std::string& method, const Problem& p, const Params& params);
// Runs a prepared method: the kernel only. lse may be null unless
// params.return_lse is set.
void execute(const Method& m, const Problem& p, const Params& params, float* O, Stats& stats,
             float* lse = nullptr);
// Appends the method's descriptive stats (see Method::describe), if any.
void describe(const Method& m, const Problem& p, const Params& params, Stats& stats);
// prepare + execute + describe.
void run(const std::string& method, const Problem& p, const Params& params, float* O,
         Stats& stats, float* lse = nullptr);

double resolved_scale(const Params& params, std::size_t d);

// The m × d random features (rows) performer draws for `seed`: blocks of d
// orthogonal directions with chi-distributed lengths. Exposed for tests.
std::vector<double> performer_features(std::size_t m, std::size_t d, std::uint64_t seed);

// Params from named options, read through `method`'s schema: an option the
// method does not take, or a value of the wrong type or out of range, is an
// Error naming it — the one parser for the bindings, the bench and the page.
Params params_from(const Options& o, std::size_t d, const std::string& method);
// Throws Error naming the first method parameter out of range.
void validate(const Params& p);

// The methods (each in its own file beside this header).
void exact_reference(const Problem&, const Params&, float* O, float* lse, Stats&);
// One row of the reference, for checking large problems on a sample of rows.
void exact_reference_row(const Problem&, const Params&, std::size_t i, double* o);
// One row of m's reference (Method::reference): exact_reference_row or rope_reference_row.
void reference_row(const Method& m, const Problem&, const Params&, std::size_t i, double* o);
void exact(const Problem&, const Params&, float* O, float* lse, Stats&);
void flash(const Problem&, const Params&, float* O, float* lse, Stats&);
void polynomial(const Problem&, const Params&, float* O, float* lse, Stats&);
void polynomial_describe(const Problem&, const Params&, Stats&);
void window(const Problem&, const Params&, float* O, float* lse, Stats&);
void linear(const Problem&, const Params&, float* O, float* lse, Stats&);
void performer(const Problem&, const Params&, float* O, float* lse, Stats&);
void lsh(const Problem&, const Params&, float* O, float* lse, Stats&);
// RoPE attention (rope_*.cpp): softmax(scale·(R_i q_i)·(R_j k_j)) V, n_k = n, d even.
void rope_reference(const Problem&, const Params&, float* O, float* lse, Stats&);
void rope_reference_row(const Problem&, const Params&, std::size_t i, double* o);
void rope_flash(const Problem&, const Params&, float* O, float* lse, Stats&);
void rope_polynomial(const Problem&, const Params&, float* O, float* lse, Stats&);
void rope_polynomial_describe(const Problem&, const Params&, Stats&);

// Attention with diagonal position matrices (positional_*.cpp; THEORY-2.md §1):
// A_ij = exp(scale · Σ_l q_il w_{i−j,l} k_jl), W in Problem::W, n_k = n.
void positional_reference(const Problem&, const Params&, float* O, float* lse, Stats&);
void positional_reference_row(const Problem&, const Params&, std::size_t i, double* o);
void positional_exact(const Problem&, const Params&, float* O, float* lse, Stats&);
void positional_fft(const Problem&, const Params&, float* O, float* lse, Stats&);
void positional_fft_describe(const Problem&, const Params&, Stats&);
// scale · Σ_l max|Q_l| max|w_l| max|K_l| ≥ every |score|: positional_fft's default R.
double positional_score_bound(const Problem&, const Params&);
double positional_fft_memory(std::size_t n, std::size_t d, std::size_t support, int threads);
// Whether the method takes W (its schema lists the input), and whether this call needs it
// (positional_fft with support = rope computes its own).
bool takes_positions(const Method& m);
bool needs_positions(const Method& m, const Params& params);

// RoPE's pieces, shared with the tests. θ_t = base^(−2t/d), t < d/2.
std::vector<double> rope_theta(std::size_t d, double base);
// The pair (first, second) coordinate t rotates in the layout.
std::pair<std::size_t, std::size_t> rope_pair(std::size_t t, std::size_t d, const std::string& layout);
// out = R_m x (d doubles): pair t rotated by angle m·θ_t, x' = x cos − y sin, y' = x sin + y cos.
void rope_rotate_row(const float* x, std::size_t m, std::size_t d, const Params&, double* out);

// The polynomial method's pieces, shared with its tests and the bench.
// Coefficients c_0..c_g (monomial basis, double) of P ≈ exp on [−R, R].
std::vector<double> poly_coefficients(const std::string& poly, int degree, double R);
// max over a fine grid of [−R, R] of |P(x) − eˣ| / eˣ.
double poly_max_rel_error(const std::vector<double>& c, double R);
// Rank of the feature maps: C(d + g, g).
double poly_rank(std::size_t d, int degree);
// Monomials of degree ≤ g in d variables, in graded order; each is its parent
// times one variable ≥ the parent's last, so every multiset appears once.
// φ(q)_a = wq[a]·m_a(√s·q), ψ(k)_a = wk[a]·m_a(√s·k) with m_a = m_parent[a]·x_var[a]
// (m_0 = 1): ⟨φ(q), ψ(k)⟩ = P(s⟨q, k⟩) for P = Σ c_k t^k. Shared with the
// polynomial gradient (cpp/grad/polynomial.cpp).
struct PolyMonomials {
  std::vector<std::size_t> parent, var;
  std::vector<float> wq, wk;  // weights of φ and ψ
};
PolyMonomials poly_monomials(std::size_t d, const std::vector<double>& c);
// Largest row norm of an n×d matrix: the default R is scale·max‖q‖·max‖k‖.
double max_row_norm(const float* X, std::size_t n, std::size_t d);

// Error of an output against a reference (common/compare.hpp).
using subquad::relative_error;

}  // namespace subquad::attention
