// Sliding-window attention: row i attends to keys j with |i − j| < window
// (and j ≤ i when causal) — exact softmax over that band, so window ≥ n is
// exact attention. Threads take blocks of 64 rows; a block's band of keys
// (at most 64 + 2·window − 2 of them) goes through the SIMD micro-kernel for
// the scores and again for P·V, each row masked to its own band. Memory: Kᵀ
// plus one block of band scores per thread.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "attention/softmax_row.hpp"
#include "common/threads.hpp"
#include "simd/gemm.hpp"
#include "simd/simd.hpp"

namespace subquad::attention {

namespace {

constexpr std::size_t kRows = 64;

}  // namespace

void window(const Problem& p, const Params& params, float* O, float*, Stats& stats) {
  const std::size_t n = p.n, d = p.d, w = std::min(params.window, n);
  const float scale = static_cast<float>(resolved_scale(params, d));
  const int threads = resolve_threads(params.threads);
  std::vector<float> Kt(d * n);  // Kᵀ: the band's scores are one product
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t k = 0; k < d; ++k) Kt[k * n + j] = p.K[j * d + k];
  const std::size_t max_width = std::min(n, kRows + 2 * w);
  std::vector<std::vector<float>> scores(threads, std::vector<float>(kRows * max_width));
  parallel_for(n, kRows, threads, [&](std::size_t i0, std::size_t i1, int worker) {
    throw_if_cancelled();
    const std::size_t rows = i1 - i0;
    const std::size_t lo = i0 + 1 >= w ? i0 + 1 - w : 0;
    const std::size_t hi = params.causal ? i1 : std::min(n, i1 - 1 + w);
    const std::size_t width = hi - lo;
    float* S = scores[worker].data();
    simd::gemm(rows, width, d, p.Q + i0 * d, d, Kt.data() + lo, n, S, width, false);
    float inv[kRows];
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t i = i0 + r;
      const std::size_t a = (i + 1 >= w ? i + 1 - w : 0) - lo;
      const std::size_t b = (params.causal ? i + 1 : std::min(n, i + w)) - lo;
      inv[r] = 1.0f / softmax_numerators(S + r * width, a, b, width, scale);
    }
    float* out = O + i0 * d;
    simd::gemm(rows, d, width, S, width, p.V + lo * d, d, out, d, false);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t k = 0; k < d; ++k) out[r * d + k] *= inv[r];
  });
  stats.push_back({"window", static_cast<double>(params.window)});
}

}  // namespace subquad::attention
