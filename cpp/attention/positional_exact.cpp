// Positional attention (diagonal W_Δ, positional_reference.cpp) exactly, in float:
// flash's kernel (64×64 tiles, online base-2 softmax, P·V on the micro-kernel,
// threads over query blocks, causal tiles skipped) with its QKᵀ micro-kernel
// replaced by the positional score  Σ_l q_il · w_{i−j,l} · k_jl  (flash.hpp's
// TileScore). W is stored reversed per channel, Wr[l][j − i + n − 1] = w_{i−j,l},
// so for one query row the weights of consecutive keys are consecutive and the
// score loop runs 4 keys per SIMD step against the packed Kᵀ tile. O(n²·d) time,
// O(n·d) extra memory (flash's plus Wr).
#include <algorithm>
#include <vector>

#include "attention/attention.hpp"
#include "attention/flash.hpp"
#include "simd/simd.hpp"

namespace subquad::attention {

namespace {
constexpr std::size_t kTile = 64;  // flash's tile: the packed Kᵀ tile's stride
}

void positional_exact(const Problem& p, const Params& params, float* O, float* lse, Stats&) {
  const std::size_t n = p.n, d = p.d,
                    span = 2 * n - 1 + kTile;  // padded: a tile reads past the last key
  std::vector<float> Wr(d * span, 0.0f);
  for (std::size_t r = 0; r < 2 * n - 1; ++r)  // r = j − i + n − 1 ↔ Δ = i − j = n − 1 − r
    for (std::size_t l = 0; l < d; ++l) Wr[l * span + r] = p.W[(2 * n - 2 - r) * d + l];
  const TileScore score = [&](const float* Qs, std::size_t i0, std::size_t rows, const float* Kt,
                              std::size_t j0, std::size_t cols, float* S) {
    using namespace simd;
    for (std::size_t r = 0; r < rows; ++r) {
      float* row = S + r * kTile;
      std::fill(row, row + cols, 0.0f);
      if (i0 + r >= n) continue;  // padding rows of the last block
      const std::size_t off = j0 + n - 1 - (i0 + r);
      for (std::size_t l = 0; l < d; ++l) {
        const f32x4 q = splat(Qs[r * d + l]);
        const float* k = Kt + l * kTile;
        const float* w = Wr.data() + l * span + off;
        for (std::size_t c = 0; c < cols; c += 4)
          store(row + c, load(row + c) + q * load(k + c) * load(w + c));
      }
    }
  };
  flash_scored(p, params, O, lse, RowMap{}, score);
}

}  // namespace subquad::attention
