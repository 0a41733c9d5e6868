// Sliding-window attention: row i attends to keys j with |i − j| < window
// (and j ≤ i when causal) — exact softmax over that band, so window ≥ n is
// exact attention. Scores by SIMD dot products into one band buffer per
// thread; threads over row blocks.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "common/threads.hpp"
#include "simd/simd.hpp"

namespace subquad::attention {

namespace {

float dot(const float* a, const float* b, std::size_t d) {
  simd::f32x4 acc = simd::splat(0.0f);
  std::size_t k = 0;
  for (; k + 4 <= d; k += 4) acc += simd::load(a + k) * simd::load(b + k);
  float s = simd::hsum(acc);
  for (; k < d; ++k) s += a[k] * b[k];
  return s;
}

}  // namespace

void window(const Problem& p, const Params& params, float* O, Stats& stats) {
  const std::size_t n = p.n, d = p.d, w = std::min(params.window, n);
  const float scale = static_cast<float>(resolved_scale(params, d));
  const int threads = resolve_threads(params.threads);
  std::vector<std::vector<float>> band(threads, std::vector<float>(2 * w));
  std::vector<std::vector<float>> acc(threads, std::vector<float>(d));
  parallel_for(n, 64, threads, [&](std::size_t begin, std::size_t end, int worker) {
    throw_if_cancelled();
    float* s = band[worker].data();
    float* o = acc[worker].data();
    for (std::size_t i = begin; i < end; ++i) {
      const std::size_t lo = i + 1 >= w ? i + 1 - w : 0;
      const std::size_t hi = params.causal ? i + 1 : std::min(n, i + w);
      float m = -INFINITY;
      for (std::size_t j = lo; j < hi; ++j) {
        s[j - lo] = scale * dot(p.Q + i * d, p.K + j * d, d);
        m = std::max(m, s[j - lo]);
      }
      float sum = 0;
      std::fill(o, o + d, 0.0f);
      for (std::size_t j = lo; j < hi; ++j) {
        const float a = simd::exp(s[j - lo] - m);
        sum += a;
        const float* v = p.V + j * d;
        for (std::size_t k = 0; k < d; ++k) o[k] += a * v[k];
      }
      for (std::size_t k = 0; k < d; ++k) O[i * d + k] = o[k] / sum;
    }
  });
  stats.push_back({"window", static_cast<double>(params.window)});
}

}  // namespace subquad::attention
