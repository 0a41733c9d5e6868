// Every bench suite's own keys, as specs of the same shape as a method's
// options (common/schema.hpp): the bench reads them through these, the page
// builds its sweep controls and URL limits from them (sq.schema().suites).
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "collapse/collapse.hpp"
#include "common/schema.hpp"
#include "grad/grad.hpp"
#include "neurons/neurons.hpp"
#include "kernel/kernel.hpp"
#include "pairs/documents.hpp"
#include "pairs/pairs.hpp"
#include "simulate/simulate.hpp"
#include "ssm/ssm.hpp"
#include "tensor/tensor.hpp"

namespace subquad {

namespace {

constexpr double kSafe = 9007199254740991.0;  // 2^53 − 1: an exact integer in JS and double

std::vector<OptionSpec> matrix_options() {
  using T = OptionType;
  return {
      {"dist", T::choice, "uniform", 0, 0, {"uniform", "gaussian"}, "input entries: uniform in [−B, B] or gaussian"},
      {"B", T::number, "1", 0, 1e4, {}, "entries uniform in [−B, B] (the bounded-entry model)", true},
      {"std", T::number, "1", 0, 1e4, {}, "standard deviation of gaussian entries", true},
  };
}

std::vector<Suite> make_suites() {
  using T = OptionType;
  const OptionSpec seed{"seed", T::integer, "1", 0, kSafe, {}, "seed of the inputs"};
  const OptionSpec min_ms{"min_ms", T::number, "200", 0, 1e6, {}, "repeat until this many ms have passed; the median is reported"};
  const OptionSpec threads{"threads", T::integer, "0", 0, 1024, {}, "threads to use; 0 = all the pool has"};
  std::vector<std::string> attention_methods;
  for (const auto& m : attention::methods()) attention_methods.push_back(m.name);
  std::vector<std::string> construction_methods;  // the layers construction takes (no positional_*)
  for (const auto& m : attention::methods())
    if (!attention::takes_positions(m)) construction_methods.push_back(m.name);
  construction_methods.push_back("sketch_reader");

  std::vector<Suite> s;
  Suite attention{"attention", "one attention method at one shape: kernel time, GFLOP/s, error on sampled rows", "attention",
                  {{"method", T::choice, "exact", 0, 0, attention_methods, "the attention method"},
                   {"n", T::integer, "1024", 1, 1 << 24, {}, "tokens"},
                   {"d", T::integer, "64", 1, 4096, {}, "head width"},
                   seed, min_ms,
                   {"check_rows", T::integer, "16", 0, 1 << 24, {}, "rows checked against the double-precision reference"}}};
  attention.options.push_back({"w", T::choice, "uniform", 0, 0, {"uniform", "smooth"},
                               "positional_*: weights w_l(Δ) i.i.d. uniform in [−1, 1], or smooth e^{−|Δ|/τ_l}·cos(Δ·θ_l)"});
  for (auto& o : matrix_options()) attention.options.push_back(o);
  s.push_back(attention);

  Suite poly{"poly_degree", "the smallest polynomial degree for an error target as B grows, and its time against flash",
             "attention",
             {{"n", T::integer, "4096", 1, 1 << 24, {}, "tokens"},
              {"d", T::integer, "8", 1, 4096, {}, "head width"},
              seed,
              {"min_ms", T::number, "100", 0, 1e6, {}, "repeat until this many ms have passed"},
              {"check_rows", T::integer, "64", 1, 1 << 24, {}, "rows checked against the reference"},
              {"target", T::number, "0.001", 0, 0.5, {}, "the error to reach", true}}};
  for (auto& o : matrix_options()) poly.options.push_back(o);
  s.push_back(poly);

  std::vector<std::string> ssm_methods, pairs_methods;
  for (const auto& m : ssm::methods()) ssm_methods.push_back(m.name);
  for (const auto& m : pairs::methods()) pairs_methods.push_back(m.name);
  s.push_back({"ssm", "a selective scan or a whole block at one shape: time, GFLOP/s, GB/s, error", "ssm",
               {{"method", T::choice, "scan", 0, 0, ssm_methods, "the SSM method"},
                {"L", T::integer, "4096", 1, 1 << 24, {}, "sequence length"},
                {"D", T::integer, "256", 1, 4096, {}, "channels"},
                {"N", T::integer, "16", 1, 1024, {}, "state size (a block's N is at most 256)"},
                seed, min_ms,
                {"check_channels", T::integer, "8", 0, 65536, {}, "scan channels checked against the reference"},
                {"check_rows", T::integer, "32", 0, 1 << 24, {}, "block rows checked against the reference"}}});

  s.push_back({"pairs", "one pair-search method on generated instances: time, candidates, recall", "pairs",
               {{"method", T::choice, "gram", 0, 0, pairs_methods, "the pair-search method"},
                {"gen", T::choice, "gaussian", 0, 0, {"gaussian", "sparse", "planted", "planted_sparse", "ovhard"},
                 "the instances"},
                {"n", T::integer, "1024", 2, 1 << 20, {}, "vectors"},
                {"d", T::integer, "128", 1, 65536, {}, "dimensions"},
                {"rho", T::number, "0.9", -1, 1, {}, "correlation of the planted pair"},
                {"density", T::number, "0.1", 0, 1, {}, "fraction of ones (sparse instances)", true},
                seed,
                {"seeds", T::integer, "1", 1, 1000, {}, "instances per point"},
                min_ms}});

  // Keys beyond these go to the attention method (e.g. degree for polynomial).
  s.push_back({"construction", "the Alman–Yu construction: one attention layer (or the reader) on random 0/1 documents",
               "attention",
               {{"problem", T::choice, "maxip", 0, 0, {"maxip", "ov"}, "max inner product or orthogonal vectors"},
                {"method", T::choice, "exact", 0, 0, construction_methods, "the attention method, or sketch_reader"},
                {"n", T::integer, "256", 2, 65535, {}, "documents per set"},
                {"l", T::integer, "64", 1, 4096, {}, "words per document (maxip needs 4)"},
                {"density", T::number, "0.25", 0, 1, {}, "fraction of ones", true},
                {"beta", T::number, "2", 0, 1e4, {}, "β = beta·ln n", true},
                {"state", T::integer, "1024", 1, 1 << 24, {}, "floats of state the reader keeps"},
                seed,
                {"seeds", T::integer, "1", 1, 1000, {}, "instances per point"},
                threads, min_ms}});

  std::vector<std::string> grad_methods;
  for (const auto& m : grad::methods()) grad_methods.push_back(m.name);
  for (const auto& m : grad::loss_methods()) grad_methods.push_back(m.name);
  Suite grad{"grad", "one backward method at one shape given O and lse, and the flash forward it needs: both times, their ratio, error on sampled rows",
             "grad",
             {{"method", T::choice, "flash", 0, 0, grad_methods, "the backward method, or a loss_* method (the paper's L(X) and dL/dX: timed alone, dX checked against loss_exact / loss_reference)"},
              {"n", T::integer, "4096", 1, 1 << 24, {}, "tokens"},
              {"d", T::integer, "64", 1, 4096, {}, "head width"},
              seed, min_ms,
              {"check_rows", T::integer, "8", 0, 1 << 24, {}, "rows of dQ, dK, dV checked against double precision (loss_*: 0 skips the check)"}}};
  for (auto& o : matrix_options()) grad.options.push_back(o);
  s.push_back(grad);

  std::vector<std::string> collapse_methods;
  for (const auto& m : collapse::methods()) collapse_methods.push_back(m.name);
  Suite collapse{"collapse", "one forward pass of the L-layer, H-head network (or a surrogate) at one shape: time, ms per head, error against the double reference",
                 "collapse",
                 {{"method", T::choice, "san_forward", 0, 0, collapse_methods, "the collapse method"},
                  {"n", T::integer, "256", 1, 16384, {}, "tokens"},
                  {"d", T::integer, "32", 1, 128, {}, "model width"},
                  seed, min_ms,
                  {"check_n", T::integer, "256", 0, 16384, {}, "compare san_forward with the double reference up to this n"}}};
  for (auto& o : matrix_options()) collapse.options.push_back(o);
  s.push_back(collapse);
  std::vector<std::string> simulate_methods;
  for (const auto& m : simulate::methods()) simulate_methods.push_back(m.name);
  Suite simulate{"simulate",
                 "one simulate mode at one shape: the whole simulation's time and oracle calls; full modes beside direct "
                 "flash (time, ratio, error on every row)",
                 "simulate",
                 {{"method", T::choice, "blocks_lse", 0, 0, simulate_methods, "the simulate mode"},
                  {"n", T::integer, "16384", 2, 1 << 24, {}, "tokens N"},
                  {"d", T::integer, "64", 1, 4096, {}, "head width"},
                  seed, min_ms,
                  {"check_rows", T::integer, "16", 0, 1 << 24, {}, "window, sinks: rows checked against the double reference"},
                  {"needle", T::boolean, "false", 0, 0, {}, "plant one key every query scores 8 with, value 10 (values made ≥ 0)"},
                  {"positive", T::boolean, "false", 0, 0, {}, "values |V| ≥ 0, so they do not cancel (Thm 4.1's condition)"}}};
  for (auto& o : matrix_options()) simulate.options.push_back(o);
  s.push_back(simulate);
  std::vector<std::string> neurons_methods;
  for (const auto& m : neurons::methods()) neurons_methods.push_back(m.name);
  s.push_back({"neurons",
               "one neurons method at one shape: the forward alone (dtree: query + sparse forward) and whole gradient "
               "steps split into query, forward/gradient and repair; network and trees made outside the timers",
               "neurons",
               {{"method", T::choice, "dtree", 0, 0, neurons_methods, "the neurons method"},
                {"n", T::integer, "1024", 1, double(neurons::kMaxN), {}, "data points"},
                {"m", T::integer, "32768", 1, double(neurons::kMaxM), {}, "neurons"},
                {"d", T::integer, "32", 1, double(neurons::kMaxD), {}, "input dimension"},
                {"b", T::number, "2.5", -neurons::kMaxB, neurons::kMaxB, {}, "threshold of the shifted ReLU"},
                {"seed", T::integer, "1", 0, 4294967295.0, {}, "seed of the network"},
                {"data", T::choice, "gaussian", 0, 0, {"gaussian", "planted"}, "the network's data (see neuronsInit)"},
                {"steps", T::integer, "3", 0, 1000, {}, "whole steps timed, one by one (the network moves)"},
                min_ms}});
  std::vector<std::string> tensor_methods;
  for (const auto& m : tensor::methods()) tensor_methods.push_back(m.name);
  s.push_back({"tensor", "one tensor-attention method at one shape: kernel time, GFLOP/s, error on sampled rows; "
               "optionally flash's GFLOP/s or matrix polynomial attention's error on the same inputs",
               "tensor",
               {{"method", T::choice, "exact", 0, 0, tensor_methods, "the tensor-attention method"},
                {"n", T::integer, "256", 1, double(tensor::kMaxN), {}, "tokens"},
                {"d", T::integer, "16", 1, 4096, {}, "head width"},
                seed, min_ms,
                {"check_rows", T::integer, "4", 0, double(tensor::kMaxN), {},
                 "rows checked against the double triple loop (none when one row is beyond 2^28 pair-widths)"},
                {"dist", T::choice, "uniform", 0, 0, {"uniform", "nonnegative"},
                 "Q, K1, K2 uniform in [−B, B] or in [0, B] (aligned: scores reach scale·d·B³); V1, V2 in [−1, 1]"},
                {"B", T::number, "1", 0, 1e4, {}, "bound of the entries of Q, K1, K2", true},
                {"vs", T::choice, "none", 0, 0, {"none", "flash", "matrix_polynomial"},
                 "also time attention's flash at the same n, d, or run attention's polynomial at the same degree "
                 "(equal rank) on Q, K1, V1 and report its error"},
                {"flash_n", T::integer, "0", 0, 1 << 24, {},
                 "vs = flash: flash's tokens (0 = n); a larger n gives flash runs as long as the cubic kernel's, "
                 "so both meet the same machine load"}}});
  const OptionSpec tensor_threads{"threads", T::integer, "0", 0, 1024, {}, "threads to use; 0 = all the pool has"};
  s.push_back({"tensor_threshold",
               "the polynomial method's error as B grows, tensor vs matrix attention at the same degree (equal rank) "
               "on the same nonnegative inputs: the cliff at B³ vs B²",
               "",
               {{"layer", T::choice, "tensor", 0, 0, {"tensor", "matrix"}, "tensor attention, or matrix attention on Q, K1, V1"},
                {"n", T::integer, "1024", 1, 65536, {}, "tokens"},
                {"d", T::integer, "4", 1, 64, {}, "head width"},
                {"B", T::number, "1", 0, 64, {}, "entries of Q, K1, K2 uniform in [0, B]", true},
                {"degree", T::integer, "4", 0, attention::kMaxDegree, {}, "degree g of P ≈ exp (rank C(d+g, g))"},
                {"poly", T::choice, "chebyshev", 0, 0, {"chebyshev", "taylor"}, "how P is fitted on [−R, R]"},
                {"scale", T::number, "inv_d", 0, 1e6, {"sqrt", "inv_d"}, "score scale: 1/√d, 1/d (the papers) or a number", true},
                seed, tensor_threads,
                {"min_ms", T::number, "50", 0, 1e6, {}, "repeat the kernel until this many ms have passed"},
                {"check_rows", T::integer, "8", 1, 65536, {}, "rows checked against the double reference"}}});
  s.push_back({"match3",
               "Match3 (Sanford, Hsu & Telgarsky): one layer's accuracy against brute force — the hand-set tensor "
               "layer or the matrix-attention baseline",
               "",
               {{"layer", T::choice, "tensor", 0, 0, {"tensor", "matrix"}, "the tensor-attention layer or the matrix baseline"},
                {"n", T::integer, "16", 1, double(tensor::kMatch3MaxN), {}, "tokens per sequence"},
                {"M", T::integer, "0", 0, double(tensor::kMatch3MaxM), {},
                 "the modulus; 0 = round(n(n+1)/(2 ln 2)), about half the positions positive"},
                seed,
                {"instances", T::integer, "20", 1, double(tensor::kMatch3MaxInstances), {}, "sequences per point"},
                tensor_threads,
                {"min_ms", T::number, "20", 0, 1e6, {}, "repeat the timed layer until this many ms have passed"}}});
  std::vector<std::string> kernel_methods;
  for (const auto& m : kernel::methods()) kernel_methods.push_back(m.name);
  s.push_back({"kernel",
               "one Gaussian-kernel method at one shape on seeded points of squared diameter B·h²: time, pairs/s, "
               "error on sampled rows, the method's stats (B, degree, rank, δ, clusters, order); optionally exact's time",
               "kernel",
               {{"method", T::choice, "exact", 0, 0, kernel_methods, "the kernel method"},
                {"n", T::integer, "16384", 1, 1 << 24, {}, "points"},
                {"d", T::integer, "8", 1, double(kernel::kMaxD), {}, "dimension"},
                {"B", T::number, "1", 0, 1e6, {}, "squared diameter of the point set in units of h²"},
                {"points", T::choice, "ball", 0, 0, {"ball", "clusters"}, "uniform in a ball, or Gaussian clusters in it"},
                {"groups", T::integer, "8", 1, 4096, {}, "clusters of the generator (points = clusters)"},
                {"sigma", T::number, "0.3", 0, 1e3, {}, "standard deviation of each generated cluster, units of h"},
                seed, threads, min_ms,
                {"check_rows", T::integer, "16", 0, 1 << 24, {}, "rows checked against the double-precision sum"},
                {"compare_exact", T::boolean, "false", 0, 0, {}, "also time exact on the same points (speed-up)"}}});

  s.push_back({"triad", "STREAM triad a = b + s·c: the memory bandwidth the scan is compared with", "",
               {{"n", T::integer, "8388608", 1024, 1 << 28, {}, "floats per array"}, threads, min_ms}});
  s.push_back({"peak", "the per-core SIMD ceiling and the flash QKᵀ micro-kernel's share of it", "", {min_ms}});
  return s;
}

}  // namespace

const std::vector<Suite>& suites() {
  static const std::vector<Suite> s = make_suites();
  return s;
}

const std::vector<Limit>& limits() {
  static const std::vector<Limit> l = {
      {"documents.vocab", 1, double(pairs::kMaxVocab), "words kept in the vocabulary (by document frequency)"},
      {"documents.count", 1, double(pairs::kMaxDocuments), "documents per call"},
      {"documents.bytes", 1, double(pairs::kMaxTextBytes), "bytes of text per call (UTF-8)"},
      // The grad family's training run (web/lib/grad.js: sq.attentionTraining): its step loop is JS
      // over loss_exact / loss_polynomial, its limits are here so the page and the library share them.
      {"training.n", 2, 65536, "tokens of the training run"},
      {"training.d", 1, 16, "width of the training run (the polynomial gradient's rank is C(d+g, g))"},
      {"training.steps", 1, 10000, "gradient steps of the training run"},
      {"training.lr", 0, 10, "learning rate of the training run: X ← X − lr·dL/dX", false, true},
      {"training.teacher", 0, 8, "the teacher's entry bound ‖A₁X*‖∞ in units of √ln n", false, true},
  };
  return l;
}

}  // namespace subquad
