#include "attention/feature_attention.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/threads.hpp"
#include "simd/gemm.hpp"

namespace subquad::attention {

namespace {

std::size_t round_up(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

}  // namespace

double feature_attention_memory(std::size_t n, std::size_t d, std::size_t r, bool causal, int threads,
                                std::size_t block) {
  const double B = double(block), e = static_cast<double>(round_up(d + 1, 4));
  const double blocks = std::ceil(double(n) / B);
  // Per thread: G, Gᵀ, F, [V 1], the block's output, its summary (float) and,
  // non-causal, a running summary in double; causal adds the B × B mask block.
  const double per_thread = 4.0 * (3 * B * r + 2 * B * e + r * e + (causal ? B * B : 0)) + (causal ? 0 : 8.0 * r * e);
  const double shared = causal ? 4.0 * blocks * r * e : 4.0 * r * e;
  return threads * per_thread + shared;
}

FeatureStats feature_attention(const Problem& p, std::size_t r, bool causal, int threads, const FeatureMap& queries,
                               const FeatureMap& keys, float* O, std::size_t block) {
  const std::size_t n = p.n, d = p.d, e = round_up(d + 1, 4), B = block;
  const std::size_t blocks = (n + B - 1) / B;
  struct Scratch {
    std::vector<float> G, Gt, F, VE, out, part, A;
    std::vector<double> S;
    FeatureStats stats;
  };
  std::vector<Scratch> scratch(threads);
  for (auto& s : scratch) {
    s.G.resize(B * r);
    s.Gt.resize(r * B);
    s.F.resize(B * r);
    s.VE.assign(B * e, 0.0f);
    s.out.resize(B * e);
    s.part.resize(r * e);
    if (causal) s.A.resize(B * B);
    else s.S.assign(r * e, 0.0);
  }
  // Key features of one block, transposed (r × B), and [V 1] (rows × e).
  auto load_keys = [&](Scratch& s, std::size_t j0, std::size_t rows) {
    keys(p.K + j0 * d, rows, s.G.data());
    for (std::size_t j = 0; j < rows; ++j) {
      for (std::size_t l = 0; l < r; ++l) s.Gt[l * B + j] = s.G[j * r + l];
      std::copy(p.V + (j0 + j) * d, p.V + (j0 + j + 1) * d, s.VE.data() + j * e);
      s.VE[j * e + d] = 1.0f;
    }
  };
  // Summaries: one for all keys, or one per block turned into exclusive prefix sums.
  std::vector<float> S(causal ? blocks * r * e : r * e, 0.0f);
  parallel_for(n, B, threads, [&](std::size_t j0, std::size_t j1, int worker) {
    throw_if_cancelled();
    Scratch& s = scratch[worker];
    load_keys(s, j0, j1 - j0);
    float* T = causal ? S.data() + (j0 / B) * r * e : s.part.data();
    simd::gemm(r, e, j1 - j0, s.Gt.data(), B, s.VE.data(), e, T, e, false);
    if (!causal)
      for (std::size_t t = 0; t < r * e; ++t) s.S[t] += T[t];
  });
  if (causal) {
    std::vector<double> running(r * e, 0.0);
    for (std::size_t b = 0; b < blocks; ++b) {
      float* T = S.data() + b * r * e;
      for (std::size_t t = 0; t < r * e; ++t) {
        const double block = T[t];
        T[t] = static_cast<float>(running[t]);
        running[t] += block;
      }
    }
  } else {
    for (std::size_t t = 0; t < r * e; ++t) {
      double sum = 0;
      for (const auto& s : scratch) sum += s.S[t];
      S[t] = static_cast<float>(sum);
    }
  }
  // Outputs.
  parallel_for(n, B, threads, [&](std::size_t i0, std::size_t i1, int worker) {
    throw_if_cancelled();
    Scratch& s = scratch[worker];
    const std::size_t rows = i1 - i0;
    queries(p.Q + i0 * d, rows, s.F.data());
    const float* prefix = causal ? S.data() + (i0 / B) * r * e : S.data();
    simd::gemm(rows, e, r, s.F.data(), r, prefix, e, s.out.data(), e, false);
    if (causal) {  // this block's own keys j ≤ i
      load_keys(s, i0, rows);
      simd::gemm(rows, rows, r, s.F.data(), r, s.Gt.data(), B, s.A.data(), rows, false);
      for (std::size_t i = 0; i < rows; ++i) std::fill(s.A.data() + i * rows + i + 1, s.A.data() + (i + 1) * rows, 0.0f);
      simd::gemm(rows, e, rows, s.A.data(), rows, s.VE.data(), e, s.out.data(), e, true);
    }
    for (std::size_t i = 0; i < rows; ++i) {
      const float den = s.out[i * e + d];
      s.stats.min_denominator = std::min<double>(s.stats.min_denominator, den);
      if (!(den > 0 && std::isfinite(den))) s.stats.bad_denominators += 1;
      for (std::size_t k = 0; k < d; ++k) {
        const float o = s.out[i * e + k] / den;
        O[(i0 + i) * d + k] = o;
        if (!std::isfinite(o)) s.stats.nonfinite_outputs += 1;
      }
    }
  });
  FeatureStats all;
  for (const auto& s : scratch) {
    all.min_denominator = std::min(all.min_denominator, s.stats.min_denominator);
    all.bad_denominators += s.stats.bad_denominators;
    all.nonfinite_outputs += s.stats.nonfinite_outputs;
  }
  return all;
}

}  // namespace subquad::attention
