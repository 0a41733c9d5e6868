#include "simd/gemm_variants.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>

#include "common/error.hpp"
#include "simd/gemm.hpp"
#include "simd/simd.hpp"

namespace subquad::simd {

namespace {

// ---- the variants -------------------------------------------------------------

// The first wave's kernel, kept as it was measured: a 4×8 tile in eight named
// accumulators (an array may stay in WASM linear memory), one broadcast per
// A entry, two B vectors per k.
void tile_4x8_named(std::size_t K, const float* a, std::size_t lda, const float* b, std::size_t ldb,
                    float* c, std::size_t ldc, bool accumulate) {
  f32x4 c00 = splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  if (accumulate) {
    c00 = load(c), c01 = load(c + 4), c10 = load(c + ldc), c11 = load(c + ldc + 4);
    c20 = load(c + 2 * ldc), c21 = load(c + 2 * ldc + 4), c30 = load(c + 3 * ldc), c31 = load(c + 3 * ldc + 4);
  }
  for (std::size_t k = 0; k < K; ++k, b += ldb) {
    const f32x4 b0 = load(b), b1 = load(b + 4);
    f32x4 x = splat(a[k]);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = splat(a[lda + k]);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = splat(a[2 * lda + k]);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = splat(a[3 * lda + k]);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
  }
  store(c, c00), store(c + 4, c01), store(c + ldc, c10), store(c + ldc + 4, c11);
  store(c + 2 * ldc, c20), store(c + 2 * ldc + 4, c21), store(c + 3 * ldc, c30), store(c + 3 * ldc + 4, c31);
}

// The first wave's gemm_4x8 exactly as it was (loops and tile in one body, no
// accumulate branch); accumulating calls and the last < 4 rows go to the
// tiles below.
void rest_rows(std::size_t r, std::size_t N8, std::size_t K, const float* A, std::size_t lda,
               const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate);

void variant_4x8_fused(std::size_t M, std::size_t N8, std::size_t K, const float* A, std::size_t lda,
                       const float* Bp, std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
  const std::size_t rows4 = M / 4 * 4;
  if (accumulate) {
    for (std::size_t i = 0; i < rows4; i += 4)
      for (std::size_t j = 0; j < N8; j += 8)
        tile_4x8_named(K, A + i * lda, lda, Bp + j, ldb, C + i * ldc + j, ldc, true);
  } else {
    for (std::size_t i = 0; i < rows4; i += 4) {
      const float* a = A + i * lda;
      for (std::size_t j = 0; j < N8; j += 8) {
        f32x4 c00 = splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        const float* b = Bp + j;
        for (std::size_t k = 0; k < K; ++k, b += ldb) {
          const f32x4 b0 = load(b), b1 = load(b + 4);
          f32x4 x = splat(a[k]);
          c00 = madd(x, b0, c00);
          c01 = madd(x, b1, c01);
          x = splat(a[lda + k]);
          c10 = madd(x, b0, c10);
          c11 = madd(x, b1, c11);
          x = splat(a[2 * lda + k]);
          c20 = madd(x, b0, c20);
          c21 = madd(x, b1, c21);
          x = splat(a[3 * lda + k]);
          c30 = madd(x, b0, c30);
          c31 = madd(x, b1, c31);
        }
        float* c = C + i * ldc + j;
        store(c, c00), store(c + 4, c01), store(c + ldc, c10), store(c + ldc + 4, c11);
        store(c + 2 * ldc, c20), store(c + 2 * ldc + 4, c21), store(c + 3 * ldc, c30), store(c + 3 * ldc + 4, c31);
      }
    }
  }
  if (rows4 < M) rest_rows(M - rows4, N8, K, A + rows4 * lda, lda, Bp, ldb, C + rows4 * ldc, ldc, accumulate);
}

template <int L>
inline f32x4 lane(f32x4 v) {
  return __builtin_shufflevector(v, v, L, L, L, L);
}

// MR×8 tile, accumulators in arrays the compiler keeps in registers once the
// loops over i are unrolled (MR is a constant).
//   KU = 1: one broadcast load per A entry per k;
//   KU = 2: k unrolled by two (four B vectors in flight);
//   KU = 4 with Shuffle: four consecutive A entries of a row loaded as one
//           vector, each broadcast to the lanes by a shuffle (no scalar loads).
template <int MR, int KU, bool Shuffle>
void tile_mr8(std::size_t K, const float* a, std::size_t lda, const float* b, std::size_t ldb,
              float* c, std::size_t ldc, bool accumulate) {
  f32x4 c0[MR], c1[MR];
  for (int i = 0; i < MR; ++i) {
    c0[i] = accumulate ? load(c + i * ldc) : splat(0.0f);
    c1[i] = accumulate ? load(c + i * ldc + 4) : splat(0.0f);
  }
  std::size_t k = 0;
  if constexpr (Shuffle) {
    for (; k + 4 <= K; k += 4) {
      f32x4 av[MR];
      for (int i = 0; i < MR; ++i) av[i] = load(a + i * lda + k);
      const float* bk = b + k * ldb;
      const auto step = [&](auto l, const float* row) {
        const f32x4 b0 = load(row), b1 = load(row + 4);
        for (int i = 0; i < MR; ++i) {
          const f32x4 x = lane<decltype(l)::value>(av[i]);
          c0[i] = madd(x, b0, c0[i]);
          c1[i] = madd(x, b1, c1[i]);
        }
      };
      step(std::integral_constant<int, 0>{}, bk);
      step(std::integral_constant<int, 1>{}, bk + ldb);
      step(std::integral_constant<int, 2>{}, bk + 2 * ldb);
      step(std::integral_constant<int, 3>{}, bk + 3 * ldb);
    }
  } else if constexpr (KU == 2) {
    for (; k + 2 <= K; k += 2) {
      const float* bk = b + k * ldb;
      const f32x4 b0 = load(bk), b1 = load(bk + 4), b2 = load(bk + ldb), b3 = load(bk + ldb + 4);
      for (int i = 0; i < MR; ++i) {
        const f32x4 x = splat(a[i * lda + k]), y = splat(a[i * lda + k + 1]);
        c0[i] = madd(x, b0, c0[i]);
        c1[i] = madd(x, b1, c1[i]);
        c0[i] = madd(y, b2, c0[i]);
        c1[i] = madd(y, b3, c1[i]);
      }
    }
  }
  for (; k < K; ++k) {
    const f32x4 b0 = load(b + k * ldb), b1 = load(b + k * ldb + 4);
    for (int i = 0; i < MR; ++i) {
      const f32x4 x = splat(a[i * lda + k]);
      c0[i] = madd(x, b0, c0[i]);
      c1[i] = madd(x, b1, c1[i]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    store(c + i * ldc, c0[i]);
    store(c + i * ldc + 4, c1[i]);
  }
}

using Tile = void (*)(std::size_t, const float*, std::size_t, const float*, std::size_t, float*,
                      std::size_t, bool);

// Rows past the last whole MR block, one tile of r < MR rows (plain splat).
void rest_rows(std::size_t r, std::size_t N8, std::size_t K, const float* A, std::size_t lda,
               const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
  static constexpr Tile tiles[] = {nullptr, tile_mr8<1, 1, false>, tile_mr8<2, 1, false>,
                                   tile_mr8<3, 1, false>, tile_mr8<4, 1, false>,
                                   tile_mr8<5, 1, false>};
  for (std::size_t j = 0; j < N8; j += 8) tiles[r](K, A, lda, B + j, ldb, C + j, ldc, accumulate);
}

// Row blocks of MR outer, 8-column blocks inner: A's MR rows stay in L1 while
// B streams, as in the first wave's kernels.
template <int MR, Tile T>
void variant(std::size_t M, std::size_t N8, std::size_t K, const float* A, std::size_t lda,
             const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
  std::size_t i = 0;
  for (; i + MR <= M; i += MR)
    for (std::size_t j = 0; j < N8; j += 8)
      T(K, A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc, accumulate);
  if (i < M) rest_rows(M - i, N8, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc, accumulate);
}

const char* isa() {
#if defined(__wasm_simd128__)
  return kFma ? "wasmrelaxedsimd" : "wasmsimd";
#elif defined(__SSE2__)
  return "sse2";
#else
  return "generic";
#endif
}

std::vector<GemmVariant> make_variants() {
  const auto v = [](const char* tile, const char* pattern, GemmKernel fn) {
    return GemmVariant{std::string("gemm_f32_") + tile + "_" + isa() + "_" + pattern, tile, pattern, fn};
  };
  return {
      v("4x8", "splat", variant<4, tile_4x8_named>),
      v("6x8", "splat", variant<6, tile_mr8<6, 1, false>>),
      v("5x8", "splat", variant<5, tile_mr8<5, 1, false>>),
      v("4x8", "splat_k2", variant<4, tile_mr8<4, 2, false>>),
      v("6x8", "splat_k2", variant<6, tile_mr8<6, 2, false>>),
      v("4x8", "shuffle_k4", variant<4, tile_mr8<4, 4, true>>),
      v("4x8", "splat_fused", variant_4x8_fused),
  };
}

std::atomic<GemmKernel> g_kernel{nullptr};
std::atomic<std::size_t> g_index{0};
std::atomic<const char*> g_reason{"default"};
std::vector<GemmTiming> g_timings;

void pick(std::size_t index, const char* reason) {
  g_index.store(index, std::memory_order_relaxed);
  g_kernel.store(gemm_variants()[index].fn, std::memory_order_relaxed);
  g_reason.store(reason, std::memory_order_relaxed);
}

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

const std::vector<GemmVariant>& gemm_variants() {
  static const std::vector<GemmVariant> list = make_variants();
  return list;
}

const GemmVariant& gemm_picked() { return gemm_variants()[g_index.load(std::memory_order_relaxed)]; }

const char* gemm_pick_reason() { return g_reason.load(std::memory_order_relaxed); }

GemmKernel gemm_kernel() noexcept {
  GemmKernel k = g_kernel.load(std::memory_order_relaxed);
  return k ? k : gemm_variants()[0].fn;
}

void gemm_force(const std::string& name) {
  const auto& list = gemm_variants();
  for (std::size_t i = 0; i < list.size(); ++i)
    if (list[i].name == name) return pick(i, "forced");
  std::string names;
  for (const auto& v : list) names += (names.empty() ? "" : ", ") + v.name;
  throw Error("variant", "got '" + name + "', must be one of " + names);
}

const std::vector<GemmTiming>& gemm_timings() { return g_timings; }

std::vector<GemmTiming> gemm_autoselect(double ms) {
  const auto& list = gemm_variants();
  // Flash's QKᵀ shape: a 64×64 query block against eight packed 64-key tiles, K = 64.
  constexpr std::size_t tile = 64, d = 64, tiles = 8;
  std::vector<float> A(tile * d), Bp(tiles * d * tile), C(tile * tile);
  for (std::size_t i = 0; i < A.size(); ++i) A[i] = float(int(i * 7919 % 2001) - 1000) * 1e-3f;
  for (std::size_t i = 0; i < Bp.size(); ++i) Bp[i] = float(int(i * 104729 % 2001) - 1000) * 1e-3f;
  const double flops = 2.0 * tile * tile * d * tiles;
  volatile float sink = 0;
  const auto once = [&](GemmKernel fn) {
    for (std::size_t t = 0; t < tiles; ++t)
      fn(tile, tile, d, A.data(), d, Bp.data() + t * d * tile, tile, C.data(), tile, false);
    sink = sink + C[tile + 3];
  };
  // Warm-up: V8 runs new code in its baseline compiler first.
  for (const auto& v : list)
    for (int r = 0; r < 20; ++r) once(v.fn);
  // Rounds of one short batch per variant; each keeps its fastest batch.
  std::vector<double> best(list.size(), 1e300);
  const double batch_ms = std::max(2.0, ms / (8.0 * list.size()));
  const double end = now_ms() + ms;
  for (int round = 0; round < 3 || (round < 64 && now_ms() < end); ++round)
    for (std::size_t i = 0; i < list.size(); ++i) {
      int calls = 0;
      const double t0 = now_ms();
      double t1 = t0;
      do {
        once(list[i].fn);
        ++calls;
        t1 = now_ms();
      } while (t1 - t0 < batch_ms);
      best[i] = std::min(best[i], (t1 - t0) / calls);
    }
  std::vector<GemmTiming> out;
  std::size_t winner = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    out.push_back({list[i].name, flops / (best[i] * 1e6)});
    if (best[i] < best[winner]) winner = i;
  }
  pick(winner, "measured");
  g_timings = out;
  return out;
}

}  // namespace subquad::simd
