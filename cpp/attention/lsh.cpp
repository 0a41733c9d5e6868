// Reformer-style LSH attention (Kitaev et al. 2020).
// Hashing: angular LSH with a random rotation R (d × buckets/2, Gaussian,
// seeded per round): h(x) = argmax of [xR, −xR]. Reformer ties Q = K ("shared
// QK"); our Q and K are separate, so both are hashed with the same R — the
// variant that keeps the papers' idea that a query and a key that are close
// in angle land in the same bucket. Queries and keys are each sorted by
// (bucket, position) and cut into chunks of `chunk`; the query chunk c attends
// (exact softmax) to key chunks c and c − 1 ("look one back"). Causal: keys
// after the query are masked; a query left with no key attends to the key at
// its own position. `rounds` independent hashings are combined with weights
// exp(L_r − logsumexp L), L_r the log-sum-exp of the round's scores.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "attention/attention.hpp"
#include "attention/softmax_row.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "simd/gemm.hpp"
#include "simd/simd.hpp"

namespace subquad::attention {

namespace {

constexpr std::size_t kRows = 64;  // query rows per product inside a chunk

// Bucket of each row: argmax over [XR, −XR] (first maximum wins).
std::vector<int> hashes(const float* X, std::size_t n, std::size_t d, const std::vector<float>& R,
                        std::size_t half, int threads) {
  std::vector<int> h(n);
  parallel_for(n, 256, threads, [&](std::size_t i0, std::size_t i1, int) {
    std::vector<float> H((i1 - i0) * half);
    simd::gemm(i1 - i0, half, d, X + i0 * d, d, R.data(), half, H.data(), half, false);
    for (std::size_t i = i0; i < i1; ++i) {
      const float* v = H.data() + (i - i0) * half;
      float best = -INFINITY;
      int arg = 0;
      for (std::size_t c = 0; c < half; ++c) {
        if (v[c] > best) best = v[c], arg = static_cast<int>(c);
        if (-v[c] > best) best = -v[c], arg = static_cast<int>(c + half);
      }
      h[i] = arg;
    }
  });
  return h;
}

std::vector<std::size_t> sorted_by_bucket(const std::vector<int>& h) {
  std::vector<std::size_t> order(h.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return h[a] < h[b]; });
  return order;
}

}  // namespace

// Per chunk, its keys (chunks c − 1 and c of the key order) are gathered once,
// Kᵀ and V contiguous; its queries go through in blocks of 64 rows: scores and
// P·V on the SIMD micro-kernel, the causal mask by original positions.
void lsh(const Problem& p, const Params& params, float* O, float*, Stats& stats) {
  const std::size_t n = p.n, d = p.d, chunk = std::min(params.chunk, n);
  const std::size_t half = static_cast<std::size_t>(params.buckets / 2);
  const float scale = static_cast<float>(resolved_scale(params, d));
  const int threads = resolve_threads(params.threads);
  const int rounds = params.rounds;
  std::vector<float> out(rounds > 1 ? static_cast<std::size_t>(rounds) * n * d : 0);
  std::vector<double> lse(static_cast<std::size_t>(rounds) * n);
  const std::size_t max_width = std::min(n, 2 * chunk);
  struct Scratch {
    std::vector<float> Kt, Vc, Qc, S, PV;
  };
  std::vector<Scratch> scratch(threads);
  for (auto& sc : scratch) {
    sc.Kt.resize(d * max_width);
    sc.Vc.resize(max_width * d);
    sc.Qc.resize(kRows * d);
    sc.S.resize(kRows * max_width);
    sc.PV.resize(kRows * d);
  }
  Rng rng(params.seed * 0xD1B54A32D192ED03ull + 0x15a);
  for (int round = 0; round < rounds; ++round) {
    std::vector<float> R(d * half);
    for (auto& x : R) x = static_cast<float>(rng.gaussian());
    const auto qo = sorted_by_bucket(hashes(p.Q, n, d, R, half, threads));
    const auto ko = sorted_by_bucket(hashes(p.K, n, d, R, half, threads));
    float* dst = rounds == 1 ? O : out.data() + static_cast<std::size_t>(round) * n * d;
    double* L = lse.data() + static_cast<std::size_t>(round) * n;
    const std::size_t chunks = (n + chunk - 1) / chunk;
    parallel_for(chunks, 1, threads, [&](std::size_t c0, std::size_t c1, int worker) {
      Scratch& sc = scratch[worker];
      for (std::size_t c = c0; c < c1; ++c) {
        throw_if_cancelled();
        const std::size_t kb = c > 0 ? (c - 1) * chunk : 0, ke = std::min(n, (c + 1) * chunk);
        const std::size_t width = ke - kb;
        for (std::size_t b = 0; b < width; ++b) {
          const float* k = p.K + ko[kb + b] * d;
          for (std::size_t t = 0; t < d; ++t) sc.Kt[t * width + b] = k[t];
          std::copy(p.V + ko[kb + b] * d, p.V + (ko[kb + b] + 1) * d, sc.Vc.data() + b * d);
        }
        const std::size_t qe = std::min(n, (c + 1) * chunk);
        for (std::size_t a0 = c * chunk; a0 < qe; a0 += kRows) {
          const std::size_t rows = std::min(kRows, qe - a0);
          for (std::size_t r = 0; r < rows; ++r)
            std::copy(p.Q + qo[a0 + r] * d, p.Q + (qo[a0 + r] + 1) * d, sc.Qc.data() + r * d);
          simd::gemm(rows, width, d, sc.Qc.data(), d, sc.Kt.data(), width, sc.S.data(), width, false);
          float inv[kRows];
          bool alone[kRows];
          for (std::size_t r = 0; r < rows; ++r) {
            const std::size_t i = qo[a0 + r];
            float* row = sc.S.data() + r * width;
            if (params.causal)
              for (std::size_t b = 0; b < width; ++b)
                if (ko[kb + b] > i) row[b] = -INFINITY;
            const float m = simd::max_of(row, width);
            alone[r] = m == -INFINITY;  // no key at or before i: i attends to its own key
            if (alone[r]) {
              std::fill(row, row + width, 0.0f);
              double dot = 0;
              for (std::size_t t = 0; t < d; ++t) dot += double(p.Q[i * d + t]) * p.K[i * d + t];
              L[i] = scale * dot;
              continue;
            }
            const float sum = softmax_numerators(row, 0, width, width, scale);  // masked keys → 0
            inv[r] = 1.0f / sum;
            L[i] = double(scale) * m + std::log(double(sum));
          }
          simd::gemm(rows, d, width, sc.S.data(), width, sc.Vc.data(), d, sc.PV.data(), d, false);
          for (std::size_t r = 0; r < rows; ++r) {
            const std::size_t i = qo[a0 + r];
            if (alone[r]) std::copy(p.V + i * d, p.V + (i + 1) * d, dst + i * d);
            else
              for (std::size_t t = 0; t < d; ++t) dst[i * d + t] = sc.PV[r * d + t] * inv[r];
          }
        }
      }
    });
  }
  if (rounds > 1) {
    for (std::size_t i = 0; i < n; ++i) {
      double mx = -INFINITY;
      for (int r = 0; r < rounds; ++r) mx = std::max(mx, lse[r * n + i]);
      double total = 0;
      for (int r = 0; r < rounds; ++r) total += std::exp(lse[r * n + i] - mx);
      for (std::size_t k = 0; k < d; ++k) {
        double v = 0;
        for (int r = 0; r < rounds; ++r)
          v += std::exp(lse[r * n + i] - mx) / total * out[(static_cast<std::size_t>(r) * n + i) * d + k];
        O[i * d + k] = static_cast<float>(v);
      }
    }
  }
  stats.push_back({"buckets", static_cast<double>(params.buckets)});
  stats.push_back({"rounds", static_cast<double>(rounds)});
}

}  // namespace subquad::attention
