// Tensor (triple-wise) attention (THEORY-2.md §3; Alman & Song, ICLR 2024,
// arXiv 2310.04064). Q, K₁, K₂, V₁, V₂ are row-major n×d float32; for each
// query i the scores over all n² key pairs (j, k) are
//   S_{i,(j,k)} = scale · Σ_l Q_il K₁_jl K₂_kl,
// softmax runs over the pairs jointly, and output row i is
//   O_i = Σ_{j,k} P_{i,(j,k)} (V₁[j] ∘ V₂[k]).
// In matrix form: D⁻¹ exp(scale·Q (K₁ ⊘ K₂)ᵀ) (V₁ ⊘ V₂), ⊘ the column-wise
// Kronecker (Khatri–Rao) product.
//
// One registry, the shape of attention's (cpp/attention/attention.hpp): a
// method is a name, a kernel, a cost model and its options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/compare.hpp"
#include "common/options.hpp"
#include "common/schema.hpp"

namespace subquad::tensor {

struct Params {
  double scale = 0;     // 0 → 1/√d (2-simplicial's); the papers' 1/d is inv_d
  // Query i attends to pairs with j ≤ i and k ≤ i.
  bool causal = false;
  int threads = 0;      // 0 → all the pool has
  // windowed (2-simplicial, Roy et al.): causal i − w₁ < j ≤ i, i − w₂ < k ≤ i;
  // non-causal |i − j| < w₁, |i − k| < w₂.
  std::size_t w1 = 512, w2 = 32;
  // polynomial: degree g of P ≈ exp on [−R, R], its fit, R (0 → the inputs'
  // score bound scale·Σ_l max|Q_l|·max|K₁_l|·max|K₂_l|).
  int degree = 4;
  std::string poly = "chebyshev";
  double R = 0;
};

struct Problem {
  std::size_t n = 0, d = 0;
  const float *Q = nullptr, *K1 = nullptr, *K2 = nullptr, *V1 = nullptr, *V2 = nullptr;
};

using Stats = std::vector<std::pair<std::string, double>>;

// Largest |entry| accepted: a float32 trilinear score of three such entries
// times d ≤ 4096 stays finite only up to ~4e11; scores beyond float range
// are refused rather than turned into inf.
constexpr double kMaxEntry = 1e11;
// polynomial: float32 sums of P over up to n² = 2^40 pairs (n ≤ 2^20):
// ln(2^40) + R + 5.6 (Chebyshev's coefficient mass, g ≤ 12) < ln FLT_MAX = 88.7
// for R ≤ 40, with a margin of e^15 for rounding and the values.
constexpr double kMaxR = 40;
constexpr std::size_t kMaxN = 1 << 20;
// Time budgets of the per-pair methods, in flops (4 per pair per width): a
// call past one is refused with the largest n that fits. 1e12 is ~40 s at
// one core's ~24 GFLOP/s; the double reference runs ~10× slower per flop.
constexpr double kExactBudget = 1e12;
constexpr double kReferenceBudget = 2e10;

using Kernel = void (*)(const Problem&, const Params&, float* O, Stats& stats);

struct Method {
  const char* name;
  const char* summary;
  bool exact;
  Kernel run;
  Cost (*cost)(std::size_t n, std::size_t d, const Params&);
  const char* options;  // space-separated, from the family's option table
  // Facts about a run computed after the kernel, outside its timer.
  void (*describe)(const Problem&, const Params&, Stats&) = nullptr;
};

const std::vector<Method>& methods();
const Method& find_method(const std::string& name);
// dims n, d; inputs Q, K1, K2, V1, V2 (n×d each).
const Family& family();

Params params_from(const Options& o, std::size_t d, const std::string& method);
double resolved_scale(const Params& params, std::size_t d);

// Shapes, finiteness and bounds, options, the time budget, memory.
const Method& prepare(const std::string& method, const Problem& p, const Params& params);
void execute(const Method& m, const Problem& p, const Params& params, float* O, Stats& stats);
void describe(const Method& m, const Problem& p, const Params& params, Stats& stats);
void run(const std::string& method, const Problem& p, const Params& params, float* O, Stats& stats);

// The methods, one file each.
void reference(const Problem&, const Params&, float* O, Stats&);
// One row of the reference (double), for checking large problems on sampled
// rows; windowed: over windowed's pairs (the 2-simplicial reference).
void reference_row(const Problem&, const Params&, std::size_t i, double* o, bool windowed = false);
void exact(const Problem&, const Params&, float* O, Stats&);
void windowed(const Problem&, const Params&, float* O, Stats&);
void polynomial(const Problem&, const Params&, float* O, Stats&);
void polynomial_describe(const Problem&, const Params&, Stats&);

// The key ranges query i attends to: j ∈ [j0, j1), k ∈ [k0, k1).
struct Ranges {
  std::size_t j0, j1, k0, k1;
};
Ranges ranges(std::size_t i, std::size_t n, const Params& params, bool windowed);

// scale·Σ_l max|Q_l|·max|K₁_l|·max|K₂_l| ≥ every |score| (tight for aligned
// nonnegative inputs): the polynomial's default R.
double score_bound(const Problem& p, double scale);
// Extra memory of the methods, bytes.
double pair_memory(std::size_t n, std::size_t d, int threads, bool windowed, const Params& params);
double polynomial_memory(std::size_t d, std::size_t r, int threads);

// Inputs: uniform in [−B, B] or, with nonnegative, in [0, B] (aligned
// inputs reach the worst-case score scale·d·B³; random signs stay far below).
std::vector<float> generate(std::size_t rows, std::size_t cols, double B, bool nonnegative, std::uint64_t seed);

// Match3 (Sanford, Hsu & Telgarsky 2023, arXiv 2306.02896): tokens x_i ∈ ℤ_M;
// position i is positive when some (j, k) — any positions, repeats allowed —
// has x_i + x_j + x_k ≡ 0 (mod M). match3.cpp has the constructions.
std::vector<std::uint32_t> match3_tokens(std::size_t n, std::uint32_t M, std::uint64_t seed);
std::vector<std::uint8_t> match3_brute_force(const std::vector<std::uint32_t>& x, std::uint32_t M);
struct Match3Answer {
  std::vector<std::uint8_t> says;  // the layer's answer per position
  double beta = 0;                 // the score scale the construction uses
  double threshold = 0;            // the readout's threshold on ⟨q_i, O_i⟩
  std::vector<float> readout;      // ⟨q_i, O_i⟩ per position
};
// One tensor-attention layer (exact method), width 4: see match3.cpp.
Match3Answer match3_tensor(const std::vector<std::uint32_t>& x, std::uint32_t M, int threads);
// One matrix-attention layer (attention's exact), width 2: the baseline.
Match3Answer match3_matrix(const std::vector<std::uint32_t>& x, std::uint32_t M, int threads);
// The modulus that makes about half the positions positive at length n.
std::uint32_t match3_default_modulus(std::size_t n);
// Accuracy of both layers against brute force over `instances` seeded instances.
struct Match3Result {
  std::size_t n = 0, instances = 0, positions = 0, positives = 0;
  std::uint32_t M = 0;
  std::size_t tensor_correct = 0, matrix_correct = 0;
  std::size_t tensor_false_negatives = 0, matrix_false_negatives = 0;
  std::size_t tensor_false_positives = 0, matrix_false_positives = 0;
  double tensor_beta = 0, matrix_beta = 0;
};
// M = 0 → match3_default_modulus(n).
Match3Result match3_experiment(std::size_t n, std::uint32_t M, std::uint64_t seed, std::size_t instances, int threads);
constexpr std::uint32_t kMatch3MaxM = 2048;  // float32 resolves 1 − cos(2π/M) up to here
constexpr std::size_t kMatch3MaxN = 512;
constexpr std::size_t kMatch3MaxInstances = 1000;

}  // namespace subquad::tensor
