// The fused kernel of flash.cpp with a hook on its packing step: every row of
// Q and K passes through `map` (when given) as it is copied into the packed
// buffers, with its position (query i is position i + n_k − n, key j is j).
// rope_flash rotates there, so RoPE attention is flash's kernel with O(n·d)
// extra work, not a copy of it. Internal to cpp/attention/.
#pragma once

#include <cstddef>
#include <functional>

#include "attention/attention.hpp"

namespace subquad::attention {

// Writes the packed form of row x (d floats) at `position` into out (d floats);
// called from several threads at once.
using RowMap = std::function<void(const float* x, std::size_t position, float* out)>;

void flash_mapped(const Problem& p, const Params& params, float* O, float* lse, const RowMap& map);

// Replaces the QKᵀ micro-kernel of one tile: S (rows × cols, stride 64) ← the scores of
// query rows i0… against keys j0…, from Qs (rows × d, packed and already multiplied by
// scale·log2 e) and the packed Kᵀ tile (d × 64, zero past n_k). rows is a multiple of 4,
// cols of 8; the online softmax, the masks and P·V stay flash's. positional_exact scores here.
using TileScore = std::function<void(const float* Qs, std::size_t i0, std::size_t rows,
                                     const float* Kt, std::size_t j0, std::size_t cols, float* S)>;
void flash_scored(const Problem& p, const Params& params, float* O, float* lse, const RowMap& map,
                  const TileScore& score);

}  // namespace subquad::attention
