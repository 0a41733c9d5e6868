// Exact attention, row-blocked: for each block of query rows materialise the
// scores against all keys (rows × n floats, sized to stay in L2), softmax them
// in place, multiply by V. Both products use the SIMD micro-kernel; threads
// take row blocks. Memory: Kᵀ (n·d) plus one score block per thread.
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

std::size_t rows_per_block(std::size_t n) {
  // ~256 KiB of scores per block, a multiple of the micro-kernel's 6 rows.
  const std::size_t target = (64 * 1024) / std::max<std::size_t>(n, 1);
  return std::max<std::size_t>(6, std::min<std::size_t>(96, target / 6 * 6));
}

}  // namespace

void exact(const Problem& p, const Params& params, float* O, float* lse, Stats&) {
  const std::size_t n = p.n, nk = p.keys(), d = p.d;
  const std::size_t shift = nk - n;  // causal: query i is position i + shift (prepare checks nk ≥ n)
  const float scale = static_cast<float>(resolved_scale(params, d));
  const int threads = resolve_threads(params.threads);
  const std::size_t R = rows_per_block(nk);

  std::vector<float> Kt(d * nk);  // Kᵀ, so both products stream rows of B
  for (std::size_t j = 0; j < nk; ++j)
    for (std::size_t k = 0; k < d; ++k) Kt[k * nk + j] = p.K[j * d + k];

  std::vector<std::vector<float>> scores(threads, std::vector<float>(R * nk));
  parallel_for(n, R, threads, [&](std::size_t begin, std::size_t end, int worker) {
    throw_if_cancelled();
    const std::size_t rows = end - begin;
    const std::size_t keys = params.causal ? end + shift : nk;  // columns any row of the block needs
    float* S = scores[worker].data();
    simd::gemm(rows, keys, d, p.Q + begin * d, d, Kt.data(), nk, S, keys, false);
    float inv[96];
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t valid = params.causal ? begin + r + shift + 1 : keys;
      if (params.diagonal) S[r * keys + begin + r] = -INFINITY;  // exp → exactly 0
      float max = 0;
      const float sum = softmax_numerators(S + r * keys, 0, valid, keys, scale, &max);
      inv[r] = 1.0f / sum;
      if (lse) lse[begin + r] = scale * max + std::log(sum);
    }
    float* out = O + begin * d;
    simd::gemm(rows, d, keys, S, keys, p.V, d, out, d, false);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t k = 0; k < d; ++k) out[r * d + k] *= inv[r];
  });
}

}  // namespace subquad::attention
