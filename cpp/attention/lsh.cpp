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
#include "common/rng.hpp"
#include "common/threads.hpp"

namespace subquad::attention {

namespace {

std::vector<int> hashes(const float* X, std::size_t n, std::size_t d, const std::vector<double>& R,
                        std::size_t half) {
  std::vector<int> h(n);
  for (std::size_t i = 0; i < n; ++i) {
    double best = -INFINITY;
    int arg = 0;
    for (std::size_t c = 0; c < half; ++c) {
      double v = 0;
      for (std::size_t k = 0; k < d; ++k) v += double(X[i * d + k]) * R[k * half + c];
      if (v > best) best = v, arg = static_cast<int>(c);
      if (-v > best) best = -v, arg = static_cast<int>(c + half);
    }
    h[i] = arg;
  }
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

void lsh(const Problem& p, const Params& params, float* O, Stats& stats) {
  const std::size_t n = p.n, d = p.d, chunk = std::min(params.chunk, n);
  const std::size_t half = static_cast<std::size_t>(params.buckets / 2);
  const double scale = resolved_scale(params, d);
  const int threads = resolve_threads(params.threads);
  const int rounds = params.rounds;
  std::vector<double> out(static_cast<std::size_t>(rounds) * n * d), lse(rounds * n);
  Rng rng(params.seed * 0xD1B54A32D192ED03ull + 0x15a);
  for (int round = 0; round < rounds; ++round) {
    std::vector<double> R(d * half);
    for (auto& x : R) x = rng.gaussian();
    const auto qo = sorted_by_bucket(hashes(p.Q, n, d, R, half));
    const auto ko = sorted_by_bucket(hashes(p.K, n, d, R, half));
    const std::size_t chunks = (n + chunk - 1) / chunk;
    parallel_for(chunks, 1, threads, [&](std::size_t c0, std::size_t c1, int) {
      throw_if_cancelled();
      std::vector<double> s(2 * chunk);
      std::vector<std::size_t> keys;
      for (std::size_t c = c0; c < c1; ++c) {
        const std::size_t kb = c > 0 ? (c - 1) * chunk : 0, ke = std::min(n, (c + 1) * chunk);
        for (std::size_t a = c * chunk; a < std::min(n, (c + 1) * chunk); ++a) {
          const std::size_t i = qo[a];
          keys.clear();
          for (std::size_t b = kb; b < ke; ++b)
            if (!params.causal || ko[b] <= i) keys.push_back(ko[b]);
          if (keys.empty()) keys.push_back(i);
          double mx = -INFINITY;
          for (std::size_t t = 0; t < keys.size(); ++t) {
            double dot = 0;
            for (std::size_t k = 0; k < d; ++k) dot += double(p.Q[i * d + k]) * p.K[keys[t] * d + k];
            s[t] = scale * dot;
            mx = std::max(mx, s[t]);
          }
          double sum = 0;
          double* o = out.data() + (static_cast<std::size_t>(round) * n + i) * d;
          std::fill(o, o + d, 0.0);
          for (std::size_t t = 0; t < keys.size(); ++t) {
            const double a2 = std::exp(s[t] - mx);
            sum += a2;
            for (std::size_t k = 0; k < d; ++k) o[k] += a2 * p.V[keys[t] * d + k];
          }
          for (std::size_t k = 0; k < d; ++k) o[k] /= sum;
          lse[round * n + i] = mx + std::log(sum);
        }
      }
    });
  }
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
  stats.push_back({"buckets", static_cast<double>(params.buckets)});
  stats.push_back({"rounds", static_cast<double>(rounds)});
}

}  // namespace subquad::attention
