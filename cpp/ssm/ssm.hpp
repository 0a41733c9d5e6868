// Mamba-style selective state-space model (THEORY.md §4; Gu & Dao, arXiv 2312.00752).
//
// The selective scan, per channel c and state index k:
//   h_t[c,k] = exp(Δ_t[c]·A[c,k]) · h_{t−1}[c,k] + Δ_t[c]·B_t[k]·x_t[c]
//   y_t[c]   = Σ_k C_t[k]·h_t[c,k] + Dskip[c]·x_t[c]
// x, Δ, y are row-major L×D; A is D×N; B, C are L×N; Dskip has D entries.
//
// One registry holds two kinds of method: scans (the recurrence on given
// inputs) and blocks (a whole layer of width D on an L×D input: `mamba_block`
// and, for comparison, `attention_block`). Bindings, the bench CLI, the tests
// and the page all iterate it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/compare.hpp"
#include "common/options.hpp"
#include "common/schema.hpp"

namespace subquad::ssm {

enum class Kind { scan, block };

struct Params {
  std::size_t chunk = 64;  // scan_chunked: steps per chunk
  int threads = 0;         // 0 → all the pool has
  // Blocks only.
  std::size_t N = 16;        // state size
  std::size_t E = 0;         // inner width of mamba_block; 0 → expand·D
  std::size_t expand = 2;    // Mamba's expansion factor
  std::size_t dt_rank = 0;   // rank of the Δ projection; 0 → ceil(D/16)
  std::size_t heads = 0;     // attention_block heads; 0 → D/64 when 64 divides D, else 1
  bool causal = true;        // attention_block: causal like a language model (mamba is causal)
  std::string attention;     // attention method; "" → "flash" when registered, else "exact"
  std::uint64_t seed = 1;    // block weights
};

// Extra facts a method reports with its output.
using Stats = std::vector<std::pair<std::string, double>>;

struct Problem {
  std::size_t L = 0, D = 0, N = 0;
  const float *x = nullptr, *delta = nullptr, *A = nullptr, *B = nullptr, *C = nullptr,
              *Dskip = nullptr;
};

// Input bounds: Δ is a step size (softplus output) in [0, kMaxDelta]; A ≤ 0
// (A = −exp(A_log): the state decays) with |A| ≤ kMaxDelta; |x|, |B|, |C|,
// |Dskip| ≤ kMaxEntry. Then |Δ·B·x| ≤ 1e16, the state stays below 1e16·L and
// every y fits float32 for L ≤ 2^24, N ≤ 1024.
constexpr double kMaxDelta = 1e4;
constexpr double kMaxEntry = 1e6;

using subquad::Cost;

// Weights of a block of width D, seeded; only the fields of its kind are filled.
// Every matrix is stored in×out, row-major, so a projection is x·W.
struct Weights {
  std::string family;  // "mamba" or "attention"
  std::size_t D = 0, N = 0, E = 0, R = 0, heads = 0;
  // mamba_block
  std::vector<float> in_proj;   // D × 2E: columns [0, E) → x branch, [E, 2E) → gate z
  std::vector<float> conv_w;    // 4 × E: causal depthwise taps, row j multiplies x_{t−3+j}
  std::vector<float> conv_b;    // E
  std::vector<float> x_proj;    // E × (R + 2N): → Δ low rank, B_t, C_t
  std::vector<float> dt_proj;   // R × E
  std::vector<float> dt_bias;   // E
  std::vector<float> A;         // E × N, = −exp(A_log)
  std::vector<float> Dskip;     // E
  std::vector<float> out_proj;  // E × D
  // attention_block
  std::vector<float> Wq, Wk, Wv, Wo;  // D × D each
  std::string attention;              // resolved attention method name
};

struct Method {
  const char* name;
  const char* summary;
  Kind kind;
  void (*scan)(const Problem&, const Params&, float* y, Stats& stats);             // kind scan
  void (*block)(const Weights&, const float* x, std::size_t L, const Params&, float* y);  // kind block
  Cost (*cost)(std::size_t L, std::size_t D, std::size_t N, const Params&);
  const char* options;  // the options it takes (space-separated)
};

const std::vector<Method>& methods();
// Throws Error("method", …) naming the known methods when `name` is not one.
const Method& find_method(const std::string& name);
// The registry as a schema (common/schema.hpp): dims L, D, N; each method's
// inputs and options.
const Family& family();

// Params from named options, read through `method`'s schema (an unknown key
// or a bad value is an Error naming it) — the one parser for the bindings and
// the bench.
Params params_from(const Options& o, const std::string& method);

// Validates shapes, values and memory, then runs a scan method.
void run_scan(const std::string& method, const Problem& p, const Params& params, float* y,
              Stats& stats);
// The two halves of run_scan, so a timed region holds the scan alone.
const Method& prepare_scan(const std::string& method, const Problem& p, const Params& params);
void execute_scan(const Method& m, const Problem& p, const Params& params, float* y, Stats& stats);

// Seeded weights of a block method at width D, initialised as Mamba does
// (A = −(1…N) via A_log, Δ bias = softplus⁻¹ of log-uniform [1e-3, 1e-1],
// projections uniform ±1/√fan_in as torch.nn.Linear). Validates D and params.
Weights make_weights(const std::string& method, std::size_t D, const Params& params);

// Validates L, x and memory, then runs a block: y (L×D) from x (L×D).
void run_block(const std::string& method, const Weights& w, const float* x, std::size_t L,
               const Params& params, float* y);

// The attention method a block uses: params.attention, or "flash" if the
// attention registry has it, else "exact".
std::string resolved_attention(const Params& params);
std::size_t resolved_heads(const Params& params, std::size_t D);

// The methods (each in its own file beside this header).
void scan_reference(const Problem&, const Params&, float* y, Stats&);
// One channel of the reference (all L steps), for checking large problems on a sample.
void scan_reference_channel(const Problem&, std::size_t c, double* y);
void scan(const Problem&, const Params&, float* y, Stats&);
void scan_chunked(const Problem&, const Params&, float* y, Stats&);
// The fast scan with a carried state h (D×N, row-major c,k): starts from h,
// leaves the final state in it. Used by scan and by mamba_block tile by tile.
void scan_with_state(const Problem& p, int threads, float* h, float* y);

void mamba_block(const Weights&, const float* x, std::size_t L, const Params&, float* y);
void attention_block(const Weights&, const float* x, std::size_t L, const Params&, float* y);
// Double-precision obvious loops of the same blocks, on the first `rows` rows
// (both blocks are causal by default, so a prefix of the output needs only a
// prefix of the input; a non-causal attention block needs rows = L).
void mamba_block_reference(const Weights&, const float* x, std::size_t L, std::size_t rows,
                           double* y);
void attention_block_reference(const Weights&, const float* x, std::size_t L, std::size_t rows,
                               const Params&, double* y);
void mamba_block_reference_run(const Weights&, const float* x, std::size_t L, const Params&,
                               float* y);
void attention_block_reference_run(const Weights&, const float* x, std::size_t L, const Params&,
                                   float* y);

// Error of an output against a reference (common/compare.hpp).
using subquad::relative_error;

}  // namespace subquad::ssm
