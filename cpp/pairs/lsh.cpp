// The subquadratic heuristics a practitioner would reach for (THEORY.md §5):
//   simhash  random-hyperplane LSH for cosine (Charikar 2002): L tables, each
//            keyed by the signs of k random projections; two vectors at angle θ
//            share a table's key with probability (1 − θ/π)^k.
//   minhash  MinHash with banding for Jaccard similarity of the sets of nonzero
//            coordinates (word ids of 0/1 documents; Broder 1997): b bands of
//            r minima; a pair of Jaccard J shares a band with probability J^r.
// Pairs that share a bucket in some table are verified exactly (double
// precision, the same key and tie rule as the exact methods); each distinct
// pair is verified once and counted in `candidates`. Minimisation problems
// (lsd, minip) probe with the complemented simhash key: the signs of −y.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/rng.hpp"
#include "common/threads.hpp"
#include "pairs/objective.hpp"
#include "pairs/pairs.hpp"
#include "simd/gemm.hpp"

namespace subquad::pairs {

using namespace detail;

namespace {

constexpr std::uint64_t kSkip = ~std::uint64_t{0};  // key of a row that takes no part

// keys[t·rows + i]: row i's key in table t, kSkip when the row is excluded.
struct Keys {
  std::size_t tables = 0, rows = 0;
  std::vector<std::uint64_t> k;
  std::uint64_t at(std::size_t t, std::size_t i) const { return k[t * rows + i]; }
};

// Verifies every pair that shares a key in some table, once.
void bucket_join(const Data& x, const Params& p, const Keys& left, const Keys& right, Result& r) {
  const bool bi = x.bichromatic();
  const float* Y = bi ? x.Y : x.X;
  const std::size_t m = bi ? x.m : x.n;
  const std::vector<double> nx = norms2(x.X, x.n, x.d), ny = bi ? norms2(Y, m, x.d) : nx;
  Best best;
  double candidates = 0, largest = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> entries;  // (key, index·2 + side)
  std::vector<std::size_t> ls, rs;
  for (std::size_t t = 0; t < left.tables; ++t) {
    throw_if_cancelled();
    entries.clear();
    for (std::size_t i = 0; i < x.n; ++i)
      if (left.at(t, i) != kSkip) entries.emplace_back(left.at(t, i), 2 * i);
    for (std::size_t j = 0; j < m; ++j)
      if (right.at(t, j) != kSkip) entries.emplace_back(right.at(t, j), 2 * j + 1);
    std::sort(entries.begin(), entries.end());
    for (std::size_t g0 = 0; g0 < entries.size();) {
      std::size_t g1 = g0;
      ls.clear();
      rs.clear();
      for (; g1 < entries.size() && entries[g1].first == entries[g0].first; ++g1)
        (entries[g1].second & 1 ? rs : ls).push_back(entries[g1].second >> 1);
      largest = std::max(largest, double(g1 - g0));
      if ((g1 - g0) > 64) throw_if_cancelled();
      for (std::size_t i : ls) {
        for (std::size_t j : rs) {
          if (!bi && j <= i) continue;  // each unordered pair appears both ways
          bool seen = false;            // already verified in an earlier table
          for (std::size_t u = 0; u < t && !seen; ++u) seen = left.at(u, i) == right.at(u, j);
          if (seen) continue;
          const double ip = dot(x.X + i * x.d, Y + j * x.d, x.d);
          ++candidates;
          best.offer(key_of(p.kind, ip, nx[i], ny[j]), std::int64_t(i), std::int64_t(j), ip);
        }
      }
      g0 = g1;
    }
  }
  finish(p.kind, best, nx, ny, r);
  r.candidates = candidates;
  r.stats.emplace_back("largest_bucket", largest);
}

// Simhash keys of the rows of M (n × d): k sign bits per table; `complement`
// flips them (the key of −y). Zero rows are skipped for cosine problems.
Keys simhash_keys(const float* M, std::size_t n, std::size_t d, const std::vector<float>& H, std::size_t tables,
                  std::size_t bits, bool complement, bool skip_zero, int threads) {
  Keys keys{tables, n, std::vector<std::uint64_t>(tables * n)};
  const std::size_t cols = tables * bits;
  const std::uint64_t mask = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  constexpr std::size_t kChunk = 48;
  parallel_for((n + kChunk - 1) / kChunk, 1, threads, [&](std::size_t b0, std::size_t b1, int) {
    std::vector<float> proj(kChunk * cols);
    for (std::size_t b = b0; b < b1; ++b) {
      throw_if_cancelled();
      const std::size_t i0 = b * kChunk, rows = std::min(kChunk, n - i0);
      simd::gemm(rows, cols, d, M + i0 * d, d, H.data(), cols, proj.data(), cols, false);
      for (std::size_t r = 0; r < rows; ++r) {
        bool zero = skip_zero;
        for (std::size_t k = 0; k < d && zero; ++k) zero = M[(i0 + r) * d + k] == 0;
        for (std::size_t t = 0; t < tables; ++t) {
          std::uint64_t key = 0;
          for (std::size_t bit = 0; bit < bits; ++bit)
            if (proj[r * cols + t * bits + bit] >= 0) key |= std::uint64_t{1} << bit;
          // kSkip is all ones: a 64-bit key of all ones is folded onto its neighbour.
          key = complement ? (~key & mask) : key;
          if (key == kSkip) key ^= 1;
          keys.k[t * n + i0 + r] = zero ? kSkip : key;
        }
      }
    }
  });
  return keys;
}

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// MinHash band keys over the nonzero coordinates; empty rows are skipped.
Keys minhash_keys(const float* M, std::size_t n, std::size_t d, std::size_t bands, std::size_t rows,
                  std::uint64_t seed, int threads) {
  Keys keys{bands, n, std::vector<std::uint64_t>(bands * n)};
  parallel_for(n, 64, threads, [&](std::size_t i0, std::size_t i1, int) {
    throw_if_cancelled();
    std::vector<std::uint64_t> mins(bands * rows);
    for (std::size_t i = i0; i < i1; ++i) {
      std::fill(mins.begin(), mins.end(), kSkip);
      bool empty = true;
      for (std::size_t k = 0; k < d; ++k) {
        if (M[i * d + k] == 0) continue;
        empty = false;
        const std::uint64_t base = mix(seed * 0x9E3779B97F4A7C15ull + k + 1);
        for (std::size_t f = 0; f < mins.size(); ++f) mins[f] = std::min(mins[f], mix(base + f * 0xD6E8FEB86659FD93ull));
      }
      for (std::size_t b = 0; b < bands; ++b) {
        std::uint64_t key = 0x2545F4914F6CDD1Dull + b;
        for (std::size_t r = 0; r < rows; ++r) key = mix(key ^ mins[b * rows + r]);
        if (key == kSkip) key ^= 1;
        keys.k[b * n + i] = empty ? kSkip : key;
      }
    }
  });
  return keys;
}

}  // namespace

void pairs_simhash(const Data& x, const Params& p, Result& r) {
  const std::size_t largest = std::max(x.n, x.bichromatic() ? x.m : x.n);
  std::size_t bits = p.bits;
  if (bits == 0) {  // default: about log2 n bits, so a table's buckets hold O(1) random rows
    bits = 1;
    while ((std::size_t{1} << bits) < largest && bits < 32) ++bits;
    bits = std::max<std::size_t>(bits, 4);
  }
  const std::size_t tables = p.tables > 0 ? std::size_t(p.tables) : 40;
  const int threads = resolve_threads(p.threads);
  Rng rng(p.seed);
  std::vector<float> H(x.d * tables * bits);
  for (auto& h : H) h = static_cast<float>(rng.gaussian());
  const bool flip = p.kind == Kind::lsd || p.kind == Kind::minip;
  const bool skip = uses_cosine(p.kind);
  const Keys left = simhash_keys(x.X, x.n, x.d, H, tables, bits, false, skip, threads);
  if (x.bichromatic()) {
    bucket_join(x, p, left, simhash_keys(x.Y, x.m, x.d, H, tables, bits, flip, skip, threads), r);
  } else if (flip) {
    bucket_join(x, p, left, simhash_keys(x.X, x.n, x.d, H, tables, bits, true, skip, threads), r);
  } else {
    bucket_join(x, p, left, left, r);
  }
  r.stats.emplace_back("tables", double(tables));
  r.stats.emplace_back("bits", double(bits));
}

void pairs_minhash(const Data& x, const Params& p, Result& r) {
  const std::size_t bands = p.bands > 0 ? std::size_t(p.bands) : 32;
  const std::size_t rows = p.rows > 0 ? std::size_t(p.rows) : 4;
  const int threads = resolve_threads(p.threads);
  const Keys left = minhash_keys(x.X, x.n, x.d, bands, rows, p.seed, threads);
  if (x.bichromatic()) bucket_join(x, p, left, minhash_keys(x.Y, x.m, x.d, bands, rows, p.seed, threads), r);
  else bucket_join(x, p, left, left, r);
  r.stats.emplace_back("bands", double(bands));
  r.stats.emplace_back("rows", double(rows));
}

}  // namespace subquad::pairs
