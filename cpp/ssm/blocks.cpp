// Whole layers of width D on an L×D input, for the "SSM vs attention" panel:
//  - mamba_block (Gu & Dao, arXiv 2312.00752, Fig. 3; THEORY.md §4): in-projection
//    to 2E channels (x, gate z), causal depthwise conv of width 4 + SiLU, projections
//    to Δ (rank R, then softplus with bias), B_t and C_t, the selective scan,
//    y·SiLU(z), out-projection. Processed in tiles of kTile rows: the scan state
//    (E×N) and the last 3 conv inputs carry over, so working memory is O(kTile·E)
//    and time is linear in L.
//  - attention_block: Q/K/V projections, multi-head attention through the
//    attention registry, O projection — the same width, like with like.
// Projections are SIMD gemm micro-kernels (simd/gemm.hpp) over row blocks in threads.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "attention/attention.hpp"
#include "common/threads.hpp"
#include "simd/gemm.hpp"
#include "simd/simd.hpp"
#include "ssm/ssm.hpp"

namespace subquad::ssm {

namespace {

using simd::f32x4;

constexpr std::size_t kTile = 256;  // rows of mamba_block per tile
constexpr std::size_t kRows = 24;   // rows per parallel_for block (a multiple of the gemm's 6)

constexpr float kLog2e = 1.44269504088896341f;

// SiLU(v) = v·σ(v) with t = e^{−|v|} ∈ (0, 1]: σ = 1/(1+t) for v ≥ 0, t/(1+t) below.
inline f32x4 silu(f32x4 v) {
  const simd::i32x4 neg = v < simd::splat(0.0f);
  const f32x4 a = simd::select(neg, -v, v);
  const f32x4 t = simd::exp2_nonpositive(-a * simd::splat(kLog2e));
  return v * simd::select(neg, t, simd::splat(1.0f)) / (simd::splat(1.0f) + t);
}

// softplus(v) = max(v, 0) + log1p(e^{−|v|}), with log1p(t) = 2·atanh(t/(2+t)) by
// its odd series: t ≤ 1 gives s ≤ 1/3, and eight terms are exact to ~1e-9.
inline f32x4 softplus(f32x4 v) {
  const simd::i32x4 neg = v < simd::splat(0.0f);
  const f32x4 a = simd::select(neg, -v, v);
  const f32x4 t = simd::exp2_nonpositive(-a * simd::splat(kLog2e));
  const f32x4 s = t / (simd::splat(2.0f) + t), s2 = s * s;
  f32x4 p = simd::splat(1.0f / 15);
  for (float c : {1.0f / 13, 1.0f / 11, 1.0f / 9, 1.0f / 7, 1.0f / 5, 1.0f / 3, 1.0f})
    p = p * s2 + simd::splat(c);
  return simd::select(neg, simd::splat(0.0f), v) + simd::splat(2.0f) * s * p;
}

// out[rows×cols] = in[rows×K] · W[K×cols], row blocks across threads.
void project(std::size_t rows, std::size_t cols, std::size_t K, const float* in, std::size_t lda,
             const float* W, std::size_t ldw, float* out, std::size_t ldo, int threads) {
  parallel_for(rows, kRows, threads, [&](std::size_t b, std::size_t e, int) {
    simd::gemm(e - b, cols, K, in + b * lda, lda, W, ldw, out + b * ldo, ldo, false);
  });
}

// v[i] ← v[i]·SiLU(g[i]) over n entries.
void gate(float* v, const float* g, std::size_t n) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) simd::store(v + i, simd::load(v + i) * silu(simd::load(g + i)));
  for (; i < n; ++i) v[i] *= silu(simd::splat(g[i]))[0];
}

}  // namespace

void mamba_block(const Weights& w, const float* x, std::size_t L, const Params& params, float* y) {
  const std::size_t D = w.D, E = w.E, N = w.N, R = w.R, P = R + 2 * N;
  const int threads = resolve_threads(params.threads);
  std::vector<float> xs((3 + kTile) * E, 0.0f);  // rows 0..2: the previous tile's last inputs
  std::vector<float> z(kTile * E), u(kTile * E), dbc(kTile * P), delta(kTile * E);
  std::vector<float> Bt(kTile * N), Ct(kTile * N), ys(kTile * E), state(E * N, 0.0f);

  for (std::size_t t0 = 0; t0 < L; t0 += kTile) {
    throw_if_cancelled();
    const std::size_t rows = std::min(kTile, L - t0);
    parallel_for(rows, kRows, threads, [&](std::size_t b, std::size_t e, int) {
      const float* xr = x + (t0 + b) * D;
      simd::gemm(e - b, E, D, xr, D, w.in_proj.data(), 2 * E, xs.data() + (3 + b) * E, E, false);
      simd::gemm(e - b, E, D, xr, D, w.in_proj.data() + E, 2 * E, z.data() + b * E, E, false);
    });
    parallel_for(rows, kRows, threads, [&](std::size_t b, std::size_t e, int) {
      for (std::size_t r = b; r < e; ++r) {
        // Causal conv: buffer row r + j holds input t − 3 + j.
        std::size_t c = 0;
        for (; c + 4 <= E; c += 4) {
          f32x4 acc = simd::load(w.conv_b.data() + c);
          for (std::size_t j = 0; j < 4; ++j)
            acc += simd::load(w.conv_w.data() + j * E + c) * simd::load(xs.data() + (r + j) * E + c);
          simd::store(u.data() + r * E + c, silu(acc));
        }
        for (; c < E; ++c) {
          float acc = w.conv_b[c];
          for (std::size_t j = 0; j < 4; ++j) acc += w.conv_w[j * E + c] * xs[(r + j) * E + c];
          u[r * E + c] = silu(simd::splat(acc))[0];
        }
      }
      simd::gemm(e - b, P, E, u.data() + b * E, E, w.x_proj.data(), P, dbc.data() + b * P, P, false);
      simd::gemm(e - b, E, R, dbc.data() + b * P, P, w.dt_proj.data(), E, delta.data() + b * E, E,
                 false);
      for (std::size_t r = b; r < e; ++r) {
        float* dr = delta.data() + r * E;
        std::size_t c = 0;
        for (; c + 4 <= E; c += 4)
          simd::store(dr + c, softplus(simd::load(dr + c) + simd::load(w.dt_bias.data() + c)));
        for (; c < E; ++c) dr[c] = softplus(simd::splat(dr[c] + w.dt_bias[c]))[0];
        std::memcpy(Bt.data() + r * N, dbc.data() + r * P + R, N * sizeof(float));
        std::memcpy(Ct.data() + r * N, dbc.data() + r * P + R + N, N * sizeof(float));
      }
    });
    const Problem scan_in{rows, E, N, u.data(), delta.data(), w.A.data(), Bt.data(), Ct.data(),
                          w.Dskip.data()};
    scan_with_state(scan_in, threads, state.data(), ys.data());
    parallel_for(rows, kRows, threads, [&](std::size_t b, std::size_t e, int) {
      gate(ys.data() + b * E, z.data() + b * E, (e - b) * E);
      simd::gemm(e - b, D, E, ys.data() + b * E, E, w.out_proj.data(), D, y + (t0 + b) * D, D,
                 false);
    });
    // The last three inputs of this tile become the history of the next.
    std::memmove(xs.data(), xs.data() + rows * E, 3 * E * sizeof(float));
  }
}

void attention_block(const Weights& w, const float* x, std::size_t L, const Params& params,
                     float* y) {
  const std::size_t D = w.D, H = w.heads, dh = D / H;
  const int threads = resolve_threads(params.threads);
  std::vector<float> Q(L * D), K(L * D), V(L * D), O(L * D);
  project(L, D, D, x, D, w.Wq.data(), D, Q.data(), D, threads);
  project(L, D, D, x, D, w.Wk.data(), D, K.data(), D, threads);
  project(L, D, D, x, D, w.Wv.data(), D, V.data(), D, threads);
  attention::Params ap;
  ap.causal = params.causal;
  ap.threads = params.threads;
  ap.seed = params.seed;
  attention::Stats stats;
  if (H == 1) {
    attention::run(w.attention, {L, D, Q.data(), K.data(), V.data()}, ap, O.data(), stats);
  } else {
    std::vector<float> Qh(L * dh), Kh(L * dh), Vh(L * dh), Oh(L * dh);
    for (std::size_t h = 0; h < H; ++h) {
      for (std::size_t i = 0; i < L; ++i) {
        std::memcpy(Qh.data() + i * dh, Q.data() + i * D + h * dh, dh * sizeof(float));
        std::memcpy(Kh.data() + i * dh, K.data() + i * D + h * dh, dh * sizeof(float));
        std::memcpy(Vh.data() + i * dh, V.data() + i * D + h * dh, dh * sizeof(float));
      }
      attention::run(w.attention, {L, dh, Qh.data(), Kh.data(), Vh.data()}, ap, Oh.data(), stats);
      for (std::size_t i = 0; i < L; ++i)
        std::memcpy(O.data() + i * D + h * dh, Oh.data() + i * dh, dh * sizeof(float));
    }
  }
  project(L, D, D, O.data(), D, w.Wo.data(), D, y, D, threads);
}

}  // namespace subquad::ssm
