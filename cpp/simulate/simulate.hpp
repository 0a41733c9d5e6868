// Long sequences from short transformers (THEORY-2.md §4; Yu & Alman, "Two
// Heads Are Better than One: Simulating Large Transformers with Small Ones",
// NeurIPS 2025, arXiv 2506.12220). Length-N single-head attention
// O = softmax(scale·QKᵀ)V (Q, K, V n×d) computed only from calls to an
// *oracle*: exact attention capped at M query rows and M (+1 synthetic) keys
// that returns its output (and, for the modes marked "lse", its row
// log-sum-exps), plus padding and concatenation outside it. Each mode counts
// its calls and states how many the construction predicts.
//
// Modes (one registry entry each):
//   blocks      the paper's Lemma B.1 / Thm B.5: per (query block, key block)
//               one call with a synthetic key to read A = y/(1−y), one plain
//               call for B/A; Σ_t (B/A)·A / Σ_t A. 2T² calls, T = ⌈N/M⌉
//               (causal: T(T+1), diagonal blocks through a causal oracle).
//   blocks_lse  ours: the oracle also returns its lse; one call per pair, a
//               log-sum-exp merge (T², causal T(T+1)/2).
//   window      causal sliding window of r keys (i−r, i]: Thm D.1, chunks of
//               M − r queries, window sums as differences of two causal
//               prefix calls (lse oracle): O(N/M) calls.
//   sinks       the window plus the first s keys (attention sinks).
//   sampled     Thm C.1 (average case): a random permutation of the keys;
//               each query block attends to M sampled keys, normaliser
//               (N/M)·Σ; one call per block. Not exact.
//   packed      Thm 4.2 / C.2 (the converse): the ⌈N/M⌉ length-M instances
//               the rows form, packed into one length-N call by ±B codes;
//               the leak between instances is ≤ 2·max|V|·e^{−B²}·e^{2R}·(N−m)/m.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/options.hpp"
#include "common/schema.hpp"

namespace subquad::simulate {

struct Params {
  double scale = 0;           // 0 → 1/√d
  bool causal = false;        // blocks, blocks_lse, packed
  std::size_t M = 0;          // oracle length; 0 → ⌈√n⌉ (at least 2)
  std::size_t window = 0;     // r; 0 → max(1, M/4)
  std::size_t sinks = 0;      // s; 0 → max(1, M/16)
  std::uint64_t seed = 1;     // sampled: the key permutation
  bool float64 = false;       // precision: the double-precision oracle
  double B = 4;               // packed: code strength (scores pushed down by B² between instances)
  int threads = 0;
};

// A float array with the length the caller has.
struct View {
  const float* data = nullptr;
  std::size_t size = 0;
};

struct Problem {
  std::size_t n = 0, d = 0;
  View Q, K, V;  // n×d each
};

// Exactly one of O (float32 precision) and O64 (float64) is written; ln_norm
// (optional, n doubles) receives each row's simulated log-normaliser
// ln Σ_j exp(scale·q_i·k_j) (sampled: the estimate ln((N/M)·Σ_{sampled})).
struct Output {
  float* O = nullptr;
  double* O64 = nullptr;
  double* ln_norm = nullptr;
};

// What a run reports (bindings and bench copy it).
struct Report {
  std::size_t calls = 0, calls_predicted = 0;
  double flops = 0;            // inside the oracle calls (4·pairs·width)
  std::size_t M = 0, window = 0, sinks = 0;  // resolved
  // blocks: (row, block) pairs whose y = A/(A+1) rounded to 1 (A = ∞);
  // window, sinks: rows whose window sum lost > 10 bits to the prefix difference.
  std::size_t failures = 0;
  double leak_bound = 0;       // packed: the bound on max |O − O_instances|
  std::size_t code_length = 0; // packed: r
  // Each call as {first query row, rows, first key row, keys (with a
  // synthetic one)}, in call order (sampled: its keys are a random M of N,
  // drawn at its query block). Kept for at most kMaxTrace calls (the panel's grid).
  std::vector<std::array<std::size_t, 4>> trace;
};

constexpr std::size_t kMaxTrace = 8192;

using Stats = std::vector<std::pair<std::string, double>>;

constexpr double kMaxEntry = 1e15;
// Most oracle calls one run may make: N/M beyond it is refused, naming M.
constexpr std::size_t kMaxCalls = std::size_t(1) << 18;

using Kernel = void (*)(const Problem&, const Params&, const Output&, Report&);

struct Method {
  const char* name;
  const char* summary;
  bool exact;
  Kernel run;
  const char* options;
};

const std::vector<Method>& methods();
const Method& find_method(const std::string& name);
const Family& family();

Params params_from(const Options& o, std::size_t d, const std::string& method);
double resolved_scale(const Params& params, std::size_t d);
// M, window and sinks with their defaults filled in for n.
Params resolved(const Params& params, std::size_t n);

// The construction's call count (closed forms, not a run).
std::size_t predicted_calls(const std::string& method, std::size_t n, const Params& params);
// M in [2, N], window < M, sinks ≤ M, B, and the call cap (Error naming the parameter).
void check_sizes(const std::string& method, std::size_t n, const Params& resolved_params);
Cost cost(const std::string& method, std::size_t n, std::size_t d, const Params& params);

const Method& prepare(const std::string& method, const Problem& p, const Params& params);
void execute(const Method& m, const Problem& p, const Params& params, const Output& out, Report& report);
void run(const std::string& method, const Problem& p, const Params& params, const Output& out, Report& report);

// The target attention of a mode in double, directly (no oracle): full or
// causal softmax, the window/sinks mask, or (packed) each instance alone.
void reference(const std::string& method, const Problem& p, const Params& params, double* O);

// How far a run's output is from the direct answer, outside the timed run
// (relative_error: max |out − direct| / max |direct|). float32: direct =
// the attention family's flash on the whole input (blocks, blocks_lse,
// sampled), on each instance (packed), or the masked double reference
// (window, sinks: flash has no such mask); float64: the double reference.
// `against` names which ("flash" or "reference").
double direct_error(const std::string& method, const Problem& p, const Params& params, const Output& out,
                    std::string* against = nullptr);

// The mask of one attention call: row i sits at position i + shift
// (shift = n_k − n when causal); key j is seen when j ≤ i + shift (causal),
// and j > i + shift − window (window > 0) or j < sinks.
struct Mask {
  bool causal = false;
  std::size_t window = 0, sinks = 0;
};
// Double-precision attention, obvious loops: the float64 oracle and the
// reference. Q n×w, K and V nk×w; lse (may be null) gets each row's ln Σ.
void attention_f64(const double* Q, std::size_t n, const double* K, const double* V, std::size_t nk, std::size_t w,
                   double scale, const Mask& mask, double* O, double* lse);

// The oracle: exact attention (the attention family's flash in float32, or
// attention_f64) refusing more than `max_rows` queries or `max_keys` keys,
// counting its calls and their flops.
template <class T>
class Oracle {
 public:
  Oracle(std::size_t max_rows, std::size_t max_keys, double scale, int threads)
      : max_rows_(max_rows), max_keys_(max_keys), scale_(scale), threads_(threads) {}
  // O (n×w) = attention of Q (n×w) over K, V (nk×w); causal: row i sees keys
  // j ≤ i + nk − n. lse may be null (the paper's oracle returns O alone).
  // (q0, k0): where the call's queries and keys start in the long sequence, for the trace.
  void call(const T* Q, std::size_t n, const T* K, const T* V, std::size_t nk, std::size_t w, bool causal, T* O,
            T* lse, std::size_t q0 = 0, std::size_t k0 = 0);
  void trace_into(std::vector<std::array<std::size_t, 4>>* trace) { trace_ = trace; }
  std::size_t calls() const { return calls_; }
  double flops() const { return flops_; }

 private:
  std::size_t max_rows_, max_keys_;
  double scale_;
  int threads_;
  std::size_t calls_ = 0;
  double flops_ = 0;
  std::vector<std::array<std::size_t, 4>>* trace_ = nullptr;
};

// The modes, one file each (blocks.cpp holds blocks and blocks_lse; window.cpp window and sinks).
void blocks(const Problem&, const Params&, const Output&, Report&);
void blocks_lse(const Problem&, const Params&, const Output&, Report&);
void window(const Problem&, const Params&, const Output&, Report&);
void sinks(const Problem&, const Params&, const Output&, Report&);
void sampled(const Problem&, const Params&, const Output&, Report&);
void packed(const Problem&, const Params&, const Output&, Report&);

// Packed: the code length r (even, C(r, r/2) ≥ instances) and the codes.
std::size_t code_length(std::size_t instances);

}  // namespace subquad::simulate
