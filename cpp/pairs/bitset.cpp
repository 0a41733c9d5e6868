// Exact pair search on 0/1 vectors: rows packed 64 coordinates to a word,
// ⟨x, y⟩ = Σ popcount(x_w AND y_w), ‖x‖² = popcount of x (THEORY.md §5).
//
// Register blocking: 4 rows × 4 columns of words per step (8 loads feed 16
// AND + popcount), columns in chunks of kChunk rows that stay in L1/L2 while a
// thread's row block sweeps them. Inner products are exact integers, so the
// fast float score only filters; the exact key and the (i, j) tie rule decide
// (pairs/objective.hpp), as in gram.cpp.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/threads.hpp"
#include "pairs/objective.hpp"
#include "pairs/pairs.hpp"
#include "simd/popcount.hpp"
#include "simd/simd.hpp"

namespace subquad::pairs {

using namespace detail;

namespace {

constexpr std::size_t kBlockRows = 64;  // rows per parallel_for block
constexpr std::size_t kChunk = 256;     // columns swept per pass

struct Packed {
  std::size_t rows = 0, words = 0;  // rows padded to a multiple of 4 with zero rows
  std::vector<std::uint64_t> bits;
  std::vector<double> count;  // ‖row‖² = number of ones
};

Packed pack(const float* X, std::size_t n, std::size_t d) {
  Packed p;
  p.rows = (n + 3) / 4 * 4;
  p.words = (d + 63) / 64;
  p.bits.assign(p.rows * p.words, 0);
  p.count.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < d; ++k)
      if (X[i * d + k] != 0) p.bits[i * p.words + k / 64] |= std::uint64_t{1} << (k % 64);
    double c = 0;
    for (std::size_t w = 0; w < p.words; ++w) c += simd::popcount64(p.bits[i * p.words + w]);
    p.count[i] = c;
  }
  return p;
}

struct Sweep {
  const Packed* a;
  const Packed* b;
  std::size_t n, m;
  bool bi;
  Kind kind;
  const float* wa;  // fast-score weights: sign·1/‖a‖ (cosine) or sign; NaN excludes
  const float* wb;
};

// Rows [r0, r1) of A against every needed column of B, in register tiles of
// RB rows × CB columns (RB, CB divide 4: rows are padded to multiples of 4).
// Measured here (n 4096, ℓ 512, one thread): 4×4 beats 2×4 and 2×2 natively
// (61 vs 73 ms) and ties them in WASM (109 vs 109–112 ms, V8 spills the
// 16 accumulators); 64-bit accumulators avoid a wrap/extend per popcount.
template <int RB, int CB>
__attribute__((always_inline)) inline void sweep_rows(const Sweep& s, std::size_t r0, std::size_t r1,
                                                      Best& best, float& top) {
  const std::size_t W = s.a->words;
  const std::uint64_t* A = s.a->bits.data();
  const std::uint64_t* B = s.b->bits.data();
  const std::size_t cols = s.b->rows;
  for (std::size_t c0 = s.bi ? 0 : r0 / 4 * 4; c0 < cols; c0 += kChunk) {
    const std::size_t c1 = std::min(cols, c0 + kChunk);
    for (std::size_t i = r0; i < r1; i += RB) {
      const std::uint64_t* a = A + i * W;
      for (std::size_t j = std::max(c0, s.bi ? 0 : i / 4 * 4); j < c1; j += CB) {
        const std::uint64_t* b = B + j * W;
        std::uint64_t acc[RB][CB] = {};
        for (std::size_t w = 0; w < W; ++w) {
          std::uint64_t av[RB], bv[CB];
          for (int r = 0; r < RB; ++r) av[r] = a[r * W + w];
          for (int c = 0; c < CB; ++c) bv[c] = b[c * W + w];
          for (int r = 0; r < RB; ++r)
            for (int c = 0; c < CB; ++c) acc[r][c] += static_cast<std::uint64_t>(simd::popcount64(av[r] & bv[c]));
        }
        const float slack = 4e-6f * std::fabs(top) + 1e-37f;
        for (int r = 0; r < RB; ++r) {
          float sc[CB];
          bool any = false;
          for (int c = 0; c < CB; ++c) {
            sc[c] = float(acc[r][c]) * s.wb[j + c] * s.wa[i + r];
            any |= sc[c] >= top - slack;  // NaN weights (padding, zero rows) never hit
          }
          if (!any) continue;
          const std::size_t ii = i + r;
          for (int c = 0; c < CB; ++c) {
            const std::size_t jj = j + c;
            if (ii >= s.n || jj >= s.m || (!s.bi && jj <= ii) || !(sc[c] >= top - slack)) continue;
            const double ip = double(acc[r][c]);
            const double key = key_of(s.kind, ip, s.a->count[ii], s.b->count[jj]);
            if (best.better(key, std::int64_t(ii), std::int64_t(jj))) {
              best.offer(key, std::int64_t(ii), std::int64_t(jj), ip);
              top = sc[c];
            }
          }
        }
      }
    }
  }
}

void sweep_plain(const Sweep& s, std::size_t r0, std::size_t r1, Best& best, float& top) {
  sweep_rows<4, 4>(s, r0, r1, best, top);
}

#if SUBQUAD_POPCNT_DISPATCH
SUBQUAD_POPCNT_TARGET void sweep_popcnt(const Sweep& s, std::size_t r0, std::size_t r1, Best& best, float& top) {
  sweep_rows<4, 4>(s, r0, r1, best, top);
}
#endif

}  // namespace

void pairs_bitset(const Data& x, const Params& p, Result& r) {
  const bool bi = x.bichromatic();
  const Packed a = pack(x.X, x.n, x.d);
  const Packed b = bi ? pack(x.Y, x.m, x.d) : Packed{};
  const Packed& bb = bi ? b : a;
  const std::size_t m = bi ? x.m : x.n;
  const bool cosine = uses_cosine(p.kind);
  const float sign = (p.kind == Kind::msd || p.kind == Kind::maxip) ? 1.0f : -1.0f;  // ov: −ip = −|ip|
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto weights = [&](const Packed& pk, std::size_t count, float factor) {
    std::vector<float> w(pk.rows, nan);
    for (std::size_t i = 0; i < count; ++i)
      w[i] = !cosine ? factor : pk.count[i] > 0 ? factor * float(1.0 / std::sqrt(pk.count[i])) : nan;
    return w;
  };
  const std::vector<float> wa = weights(a, x.n, 1.0f), wb = weights(bb, m, sign);
  const Sweep s{&a, &bb, x.n, m, bi, p.kind, wa.data(), wb.data()};

  const int threads = resolve_threads(p.threads);
  std::vector<Best> best(threads);
  std::vector<float> top(threads, -std::numeric_limits<float>::infinity());
#if SUBQUAD_POPCNT_DISPATCH
  auto* sweep = simd::popcnt_supported() ? sweep_popcnt : sweep_plain;
#else
  auto* sweep = sweep_plain;
#endif
  const std::size_t blocks = (a.rows + kBlockRows - 1) / kBlockRows;
  parallel_for(blocks, 1, threads, [&](std::size_t b0, std::size_t b1, int worker) {
    for (std::size_t blk = b0; blk < b1; ++blk) {
      throw_if_cancelled();
      sweep(s, blk * kBlockRows, std::min(a.rows, (blk + 1) * kBlockRows), best[worker], top[worker]);
    }
  });
  Best all;
  for (const Best& bt : best) all.merge(bt);
  finish(p.kind, all, a.count, bb.count, r);
  r.candidates = bi ? double(x.n) * m : double(x.n) * (x.n - 1) / 2;
  if (cosine) {
    std::size_t zero = 0;
    for (std::size_t i = 0; i < x.n; ++i) zero += !(a.count[i] > 0);
    if (bi)
      for (std::size_t j = 0; j < m; ++j) zero += !(bb.count[j] > 0);
    r.stats.emplace_back("zero_rows_excluded", double(zero));
  }
  r.stats.emplace_back("words", double(a.words));
}

}  // namespace subquad::pairs
