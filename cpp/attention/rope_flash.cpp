// RoPE attention by flash's kernel (flash.hpp): each row of Q and K is rotated
// by its position as flash packs it — (R_i q)·(R_j k) = q·R_{j−i} k, so RoPE
// attention is plain attention on the rotated rows (THEORY-2.md §1). The
// rotation costs O(n·d) multiplies (tables of cos/sin, rope.hpp); the O(n²·d)
// tiles are flash's, unchanged.
#include "attention/attention.hpp"
#include "attention/flash.hpp"
#include "attention/rope.hpp"

namespace subquad::attention {

void rope_flash(const Problem& p, const Params& params, float* O, float* lse, Stats&) {
  const RopeRotation rotate(p.keys(), p.d, params);
  flash_mapped(p, params, O, lse,
               [&](const float* x, std::size_t m, float* out) { rotate(x, m, out); });
}

}  // namespace subquad::attention
