// Layer collapse in residual self-attention networks (THEORY-2.md §5; Alman &
// Song, "Only Large Weights (And Not Skip Connections) Can Prevent the Perils
// of Rank Collapse", arXiv 2505.16284 — its proofs were disputed by ICLR 2026
// reviewers: the claim is "claimed", what is here is measured).
//
// The network: X_0 = X (n×d), for ℓ = 0..L−1
//   X_{ℓ+1} = [X_ℓ +] Σ_h softmax(s·X_ℓW_Q^{ℓh}(X_ℓW_K^{ℓh})ᵀ) X_ℓW_V^{ℓh}
// (the skip "[X_ℓ +]" on when residual), S(X) = X_L. Each head's attention is
// the attention family's public flash or exact method. Weights W are
// L·H·3 matrices d×d, layer-major: W[((ℓ·H + h)·3 + m)·d² + i·d + j], m = 0, 1, 2
// for Q, K, V; seeded as η·U[−1, 1] (common/rng.hpp, in that order) or given.
//
// Comparisons (our derivation, THEORY-2.md §5): the identity already meets an
// O(η)‖X‖ bound, so the surrogates are measured against the network's own
// deviation ‖S(X) − X‖:
//   san_merged:  X + Σ_{ℓ,h} head_{ℓh}(X)   (one layer, all L·H heads, each fed X)
//   first_layer: X + Σ_h head_{0h}(X)       (the network truncated to layer 0)
// (without the skip: the same sums without "X +"). Norms are entrywise maxima
// ‖A‖ = max|A_ij|; res_norm(A) = min_x ‖A − 1xᵀ‖ = max_j (max_i A_ij − min_i A_ij)/2
// (Dong, Cordonnier & Loukas, ICML 2021; per column the midrange is the best shift).
//
// The fast methods keep the residual stream's update D_ℓ = X_ℓ − X apart
// from X, so deviation and surrogate errors are differences of small
// quantities, not of two float32 outputs near X (whose rounding, ≈ ulp(‖X‖)/2,
// the report gives as output_resolution).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/options.hpp"
#include "common/schema.hpp"

namespace subquad::collapse {

constexpr int kMaxLayers = 64;
constexpr int kMaxHeads = 16;
constexpr double kMaxEta = 100;
// Largest |entry| of X, W and of every projection X_ℓW: the attention family's bound.
constexpr double kMaxEntry = 1e15;
constexpr int kMaxSteps = 5000;
constexpr int kMaxBatch = 64;

struct Params {
  int layers = 6, heads = 2;
  double eta = 0.01;                // weights η·U[−1, 1] (unused when W is given)
  bool residual = true;             // the skip connection X_ℓ + …
  std::uint64_t seed = 1;           // of the weights
  double scale = 1;                 // softmax(scale·QKᵀ); 0 → 1/√d
  std::string attention = "flash";  // per-head kernel: the attention family's flash or exact
  bool compare =
      true;         // san_forward, reference: also run the surrogates and the other skip setting
  int threads = 0;  // 0 → all the pool has
  // fit_one_layer: Adam steps, learning rate as a fraction of η (max|W| when W is given), inputs
  // per step.
  int steps = 300;
  double lr = 0.01;
  int batch = 2;
  bool eta_given = false, seed_given = false;  // set by params_from (refused with W)
};

struct View {
  const float* data = nullptr;
  std::size_t size = 0;
};

struct Problem {
  std::size_t n = 0, d = 0;
  View X;  // n×d
  View W;  // optional: layers·heads·3·d·d
};

using Stats = std::vector<std::pair<std::string, double>>;

// A method writes its network's output (n×d; res_norm: the residual A − 1xᵀ) and its stats.
using Kernel = void (*)(const Problem&, const Params&, float* out, Stats&);

struct Method {
  const char* name;
  const char* summary;
  bool exact;
  Kernel run;
  Cost (*cost)(std::size_t n, std::size_t d, const Params&);
  const char* options;
};

const std::vector<Method>& methods();
const Method& find_method(const std::string& name);
const Family& family();

Params params_from(const Options& o, std::size_t d, const std::string& method);
double resolved_scale(const Params& params, std::size_t d);

const Method& prepare(const std::string& method, const Problem& p, const Params& params);
void execute(const Method& m, const Problem& p, const Params& params, float* out, Stats& stats);
void run(const std::string& method, const Problem& p, const Params& params, float* out,
         Stats& stats);

// The methods.
void san_forward(const Problem&, const Params&, float* out, Stats&);
void san_merged(const Problem&, const Params&, float* out, Stats&);
void first_layer(const Problem&, const Params&, float* out, Stats&);
void res_norm_method(const Problem&, const Params&, float* out, Stats&);
// A one-layer network of L·H heads trained by Adam (from the merged layer's
// weights) to imitate the deep one on random inputs (fit.cpp).
void fit_one_layer(const Problem&, const Params&, float* out, Stats&);
double fit_memory(std::size_t n, std::size_t d, const Params& params);
// Double precision, obvious loops and its own softmax: the same output and
// report as san_forward (reference.cpp).
void reference(const Problem&, const Params&, float* out, Stats&);

// The weights a run uses: W when given, else η·U[−1, 1] from the seed.
std::vector<float> weights(const Problem& p, const Params& params);
// max_j (max_i A_ij − min_i A_ij)/2 of an n×d matrix.
double res_norm(const float* A, std::size_t n, std::size_t d);
double res_norm(const double* A, std::size_t n, std::size_t d);
// ((1 + H·d·η)^L − 1)·‖X‖: our bound on ‖S(X) − X‖ with skips (THEORY-2.md §5), η = max|W|.
double deviation_bound(std::size_t d, const Params& params, double x_norm, double eta);

// One head in double (reference.cpp): softmax(s·(AW_Q)(AW_K)ᵀ)·AW_V, A n×d,
// the three d×d matrices at w (Q, K, V). Shared with the tests.
void head_reference(const double* A, std::size_t n, std::size_t d, const float* w, double s,
                    double* out);

// Extra memory of san_forward (and the others) at this shape, bytes.
// `copies`: updates D held at once (san_merged 0, first_layer 1, san_forward 1 or 2 with compare).
double network_memory(std::size_t n, std::size_t d, const Params& params, int copies);

}  // namespace subquad::collapse
