// Match3 (Sanford, Hsu & Telgarsky, "Representational Strengths and
// Limitations of Transformers", NeurIPS 2023, arXiv 2306.02896; the task as
// we recall it): tokens x_i ∈ ℤ_M, position i is positive when some pair
// (j, k) of positions — repeats allowed — has x_i + x_j + x_k ≡ 0 (mod M).
//
// Tensor layer (hand-set, width 4; our construction). With θ_x = 2πx/M,
//   cos(a + b + c) = cos a cos b cos c − cos a sin b sin c − sin a cos b sin c − sin a sin b cos c
// is trilinear: q_i = β(cos a, −cos a, −sin a, −sin a), k₁ = (cos b, sin b, cos b, sin b),
// k₂ = (cos c, sin c, sin c, cos c), scale 1, so the score of (j, k) is
// β·cos(θ_i + θ_j + θ_k): β on a matching pair, at most β·cos(2π/M) otherwise.
// Values V₁ = K₁, V₂ = K₂ make O_i = Σ P (k₁ ∘ k₂), and the readout
// ⟨q_i/β, O_i⟩ = Σ P cos(θ_i + θ_j + θ_k) is a P-weighted mean cosine: ≤ cos(2π/M)
// without a match; with one, the matches hold all but δ ≤ n²e^{−β·gap} of the
// weight (gap = 1 − cos(2π/M)), so the mean is ≥ 1 − 2δ. β = (2 ln n + ln(4/gap) + 4)/gap
// makes 2δ < gap/2, and the threshold τ = (1 + cos(2π/M))/2 separates the two.
//
// Matrix baseline (one softmax attention layer, width 2, the same readout):
// score β·cos(θ_i + 2θ_j) — q = β(cos a, −sin a), k = v = (cos 2b, sin 2b) —
// finds the triples with j = k. It is exact on those and never says yes
// wrongly, but a pair j ≠ k is a product of two keys, which one bilinear
// score cannot test; we know no width-2 (or width-4) construction that does,
// and Sanford et al. prove one-layer matrix attention needs a width growing
// polynomially in n for Match3. (With width M, uniform attention over
// one-hot tokens gives the histogram and a large enough readout decides
// Match3 from it: the failure measured here is about width, as theirs is.)
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "tensor/tensor.hpp"

namespace subquad::tensor {

namespace {

constexpr double kTwoPi = 6.283185307179586;

void check_tokens(const std::vector<std::uint32_t>& x, std::uint32_t M) {
  require(M >= 2 && M <= kMatch3MaxM, "M", M, "in [2, 2048] (float32 must resolve 1 − cos(2π/M))");
  require(!x.empty() && x.size() <= kMatch3MaxN, "n", x.size(), "in [1, 512]");
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i] >= M) throw Error("x", "got x[" + std::to_string(i) + "] = " + std::to_string(x[i]) + ", must be < M");
}

double gap_of(std::uint32_t M) { return 1 - std::cos(kTwoPi / M); }

double beta_for(std::size_t pairs, std::uint32_t M) {
  const double gap = gap_of(M);
  return (std::log(double(pairs)) + std::log(4 / gap) + 4) / gap;
}

}  // namespace

std::uint32_t match3_default_modulus(std::size_t n) {
  // P(no pair sums to −x_i) ≈ exp(−n(n+1)/(2M)): one half at M = n(n+1)/(2 ln 2).
  const double M = std::round(double(n) * (n + 1) / (2 * std::log(2.0)));
  return static_cast<std::uint32_t>(std::clamp(M, 3.0, double(kMatch3MaxM)));
}

std::vector<std::uint32_t> match3_tokens(std::size_t n, std::uint32_t M, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::uint32_t> x(n);
  for (auto& v : x) v = static_cast<std::uint32_t>(rng.below(M));
  return x;
}

std::vector<std::uint8_t> match3_brute_force(const std::vector<std::uint32_t>& x, std::uint32_t M) {
  check_tokens(x, M);
  std::vector<std::uint8_t> sums(M, 0), out(x.size());
  for (std::uint32_t a : x)
    for (std::uint32_t b : x) sums[(a + b) % M] = 1;
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = sums[(M - x[i]) % M];
  return out;
}

Match3Answer match3_tensor(const std::vector<std::uint32_t>& x, std::uint32_t M, int threads) {
  check_tokens(x, M);
  const std::size_t n = x.size(), d = 4;
  Match3Answer r;
  r.beta = beta_for(n * n, M);
  r.threshold = (1 + std::cos(kTwoPi / M)) / 2;
  std::vector<float> Q(n * d), K1(n * d), K2(n * d), U(n * d), O(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = kTwoPi * x[i] / M, c = std::cos(t), s = std::sin(t);
    const double u[4] = {c, -c, -s, -s}, k1[4] = {c, s, c, s}, k2[4] = {c, s, s, c};
    for (std::size_t l = 0; l < d; ++l) {
      U[i * d + l] = static_cast<float>(u[l]);
      Q[i * d + l] = static_cast<float>(r.beta * u[l]);
      K1[i * d + l] = static_cast<float>(k1[l]);
      K2[i * d + l] = static_cast<float>(k2[l]);
    }
  }
  Params params;
  params.scale = 1;
  params.threads = threads;
  Stats stats;
  run("exact", {n, d, Q.data(), K1.data(), K2.data(), K1.data(), K2.data()}, params, O.data(), stats);
  r.says.resize(n);
  r.readout.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    double dot = 0;
    for (std::size_t l = 0; l < d; ++l) dot += double(U[i * d + l]) * O[i * d + l];
    r.readout[i] = static_cast<float>(dot);
    r.says[i] = dot > r.threshold;
  }
  return r;
}

Match3Answer match3_matrix(const std::vector<std::uint32_t>& x, std::uint32_t M, int threads) {
  check_tokens(x, M);
  const std::size_t n = x.size(), d = 2;
  Match3Answer r;
  r.beta = beta_for(n, M);
  r.threshold = (1 + std::cos(kTwoPi / M)) / 2;
  std::vector<float> Q(n * d), K(n * d), U(n * d), O(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = kTwoPi * x[i] / M;
    U[i * d] = static_cast<float>(std::cos(t));
    U[i * d + 1] = static_cast<float>(-std::sin(t));
    Q[i * d] = static_cast<float>(r.beta * std::cos(t));
    Q[i * d + 1] = static_cast<float>(-r.beta * std::sin(t));
    K[i * d] = static_cast<float>(std::cos(2 * t));
    K[i * d + 1] = static_cast<float>(std::sin(2 * t));
  }
  attention::Params params;
  params.scale = 1;
  params.threads = threads;
  attention::Stats stats;
  attention::run("exact", {n, d, Q.data(), K.data(), K.data()}, params, O.data(), stats);
  r.says.resize(n);
  r.readout.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double dot = double(U[i * d]) * O[i * d] + double(U[i * d + 1]) * O[i * d + 1];
    r.readout[i] = static_cast<float>(dot);
    r.says[i] = dot > r.threshold;
  }
  return r;
}

Match3Result match3_experiment(std::size_t n, std::uint32_t M, std::uint64_t seed, std::size_t instances, int threads) {
  require(n >= 1 && n <= kMatch3MaxN, "n", n, "in [1, 512]");
  require(instances >= 1 && instances <= kMatch3MaxInstances, "instances", instances, "in [1, 1000]");
  if (M == 0) M = match3_default_modulus(n);
  Match3Result res;
  res.n = n;
  res.M = M;
  res.instances = instances;
  for (std::size_t t = 0; t < instances; ++t) {
    const auto x = match3_tokens(n, M, seed + t);
    const auto truth = match3_brute_force(x, M);
    const Match3Answer a = match3_tensor(x, M, threads), b = match3_matrix(x, M, threads);
    res.tensor_beta = a.beta;
    res.matrix_beta = b.beta;
    for (std::size_t i = 0; i < n; ++i) {
      res.positions += 1;
      res.positives += truth[i];
      res.tensor_correct += a.says[i] == truth[i];
      res.matrix_correct += b.says[i] == truth[i];
      res.tensor_false_negatives += truth[i] && !a.says[i];
      res.matrix_false_negatives += truth[i] && !b.says[i];
      res.tensor_false_positives += !truth[i] && a.says[i];
      res.matrix_false_positives += !truth[i] && b.says[i];
    }
  }
  return res;
}

}  // namespace subquad::tensor
