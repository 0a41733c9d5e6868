// Exact pair search by a blocked Gram matrix (THEORY.md §5; FAISS's brute force
// is the same idea: blocked products plus a running best per query block).
//
// Y (= X when monochromatic) is packed once as Yᵀ in strips of 8 columns
// (d × 8 contiguous, simd/tile.hpp), so the micro-kernel streams B from L1. Each thread takes
// row blocks of R rows, multiplies them with every panel it needs — in the
// monochromatic case only panels right of the diagonal, i.e. i < j — into an
// R × C tile, and scans the tile with a float "fast score" against its running
// best. Only entries within a relative 4e-6 of the best go to the exact key
// (pairs/objective.hpp) and the (i, j) tie rule, so ties and near-ties are
// decided exactly as the reference decides them. Memory: the packed copy plus
// one tile per thread, never n².
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/threads.hpp"
#include "pairs/objective.hpp"
#include "pairs/pairs.hpp"
#include "simd/gemm.hpp"
#include "simd/simd.hpp"
#include "simd/tile.hpp"

namespace subquad::pairs {

using namespace detail;

namespace {

constexpr std::size_t kRows = kGramRows;  // R rows per block, 8 micro-kernel row blocks
static_assert(kRows == 8 * simd::kGemmRows, "a block is 8 micro-kernel row blocks");

// Cosine is scale-invariant: each row is scaled by a power of two (exact) so
// its largest |entry| is in [1, 2), which keeps float32 products of tiny rows
// from underflowing to zero. Integer rows with max 1 are left as they are.
std::vector<float> scaled_rows(const float* M, std::size_t rows, std::size_t d) {
  std::vector<float> out(M, M + rows * d);
  for (std::size_t i = 0; i < rows; ++i) {
    float mx = 0;
    for (std::size_t k = 0; k < d; ++k) mx = std::max(mx, std::fabs(out[i * d + k]));
    if (mx == 0) continue;
    int e = 0;
    std::frexp(mx, &e);  // mx = f·2^e, f ∈ [0.5, 1)
    for (std::size_t k = 0; k < d; ++k) out[i * d + k] = std::ldexp(out[i * d + k], 1 - e);
  }
  return out;
}

}  // namespace

void pairs_gram(const Data& input, const Params& p, Result& r) {
  const bool cosine = uses_cosine(p.kind);
  std::vector<float> sx, sy;
  Data x = input;
  if (cosine) {
    sx = scaled_rows(input.X, input.n, input.d);
    x.X = sx.data();
    if (input.bichromatic()) {
      sy = scaled_rows(input.Y, input.m, input.d);
      x.Y = sy.data();
    }
  }
  const bool bi = x.bichromatic();
  const float* Y = bi ? x.Y : x.X;
  const std::size_t n = x.n, m = bi ? x.m : x.n, d = x.d;
  const std::vector<double> nx = norms2(x.X, n, d), ny = bi ? norms2(Y, m, d) : nx;
  const float sign = (p.kind == Kind::lsd || p.kind == Kind::minip) ? -1.0f : 1.0f;
  const bool ov = p.kind == Kind::ov;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Per-row weights of the fast score: 1/‖·‖ for cosine (NaN excludes zero rows).
  auto weights = [&](const std::vector<double>& n2, std::size_t count) {
    std::vector<float> w(count, 1.0f);
    if (cosine)
      for (std::size_t i = 0; i < count; ++i) w[i] = n2[i] > 0 ? float(1.0 / std::sqrt(n2[i])) : nan;
    return w;
  };
  const std::vector<float> wx = weights(nx, n), wy = bi ? weights(ny, m) : wx;

  const std::size_t C = gram_panel_width(d);
  const std::size_t panels = (m + C - 1) / C;
  // Yᵀ in strips of 8 columns, each d × 8 contiguous (simd/tile.hpp); a panel is C/8 strips.
  std::vector<float> packed(panels * d * C, 0.0f);
  std::vector<float> wpanel(panels * C, nan);  // sign · w_j, NaN past the last column
  for (std::size_t j = 0; j < m; ++j) {
    float* strip = packed.data() + (j / simd::kStrip) * simd::kStrip * d + j % simd::kStrip;
    for (std::size_t k = 0; k < d; ++k) strip[k * simd::kStrip] = Y[j * d + k];
    wpanel[j] = sign * wy[j];
  }

  const int threads = resolve_threads(p.threads);
  std::vector<Best> best(threads);
  std::vector<float> fast(threads, -std::numeric_limits<float>::infinity());
  const std::size_t blocks = (n + kRows - 1) / kRows;
  parallel_for(blocks, 1, threads, [&](std::size_t b0, std::size_t b1, int worker) {
    std::vector<float> tile(kRows * C);
    Best& mine = best[worker];
    float& top = fast[worker];
    for (std::size_t b = b0; b < b1; ++b) {
      throw_if_cancelled();
      const std::size_t i0 = b * kRows, rows = std::min(kRows, n - i0);
      const std::size_t first = bi ? 0 : (i0 + 1) / C;
      for (std::size_t pn = first; pn < panels; ++pn) {
        const std::size_t j0 = pn * C;
        for (std::size_t s = 0; s < C; s += simd::kStrip)
          simd::gemm_strip(rows, d, x.X + i0 * d, d, packed.data() + (j0 + s) * d, tile.data() + s, C);
        const float* wj = wpanel.data() + j0;
        for (std::size_t rr = 0; rr < rows; ++rr) {
          const std::size_t i = i0 + rr;
          const float* t = tile.data() + rr * C;
          const simd::f32x4 wi = simd::splat(wx[i]);
          // The row's largest fast score; NaN lanes (excluded rows, padding) never win.
          simd::f32x4 mx = simd::splat(-std::numeric_limits<float>::infinity());
          for (std::size_t c = 0; c < C; c += 4) {
            simd::f32x4 s = simd::load(t + c) * simd::load(wj + c) * wi;
            if (ov) s = simd::min(s, -s);
            mx = simd::max(s, mx);  // (s > mx) ? s : mx — a NaN s keeps mx
          }
          const float slack = 4e-6f * std::fabs(top) + 1e-37f;
          if (!(simd::hmax(mx) >= top - slack)) continue;
          for (std::size_t c = 0; c < C; ++c) {
            const std::size_t j = j0 + c;
            if (j >= m || (!bi && j <= i)) continue;
            float s = t[c] * wj[c] * wx[i];
            if (ov) s = -std::fabs(s);
            if (!(s >= top - 4e-6f * std::fabs(top) - 1e-37f)) continue;
            const double ip = t[c];
            const double key = key_of(p.kind, ip, nx[i], ny[j]);
            if (mine.better(key, std::int64_t(i), std::int64_t(j))) {
              mine.offer(key, std::int64_t(i), std::int64_t(j), ip);
              top = s;
            }
          }
        }
      }
    }
  });
  Best all;
  for (const Best& b : best) all.merge(b);
  finish(p.kind, all, nx, ny, r);
  r.candidates = bi ? double(n) * m : double(n) * (n - 1) / 2;
  if (cosine) {
    std::size_t zero = 0;
    for (double v : nx) zero += !(v > 0);
    if (bi)
      for (double v : ny) zero += !(v > 0);
    r.stats.emplace_back("zero_rows_excluded", double(zero));
  }
  r.stats.emplace_back("panel_width", double(C));
}

}  // namespace subquad::pairs
