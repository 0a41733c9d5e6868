// The chunked selective scan (THEORY.md §4, "chunked forms"): split L into
// chunks of T steps; inside a chunk, with the cumulative log-decay
// S_t[k] = Σ_{τ≤t} Δ_τ·A[c,k] (relative to the chunk start),
//   h_t = e^{S_t}·h_0 + Σ_{τ≤t} e^{S_t − S_τ}·B_τ·Δ_τ x_τ,
// so the outputs of a chunk are one matrix product and a masked mat-vec:
//   y = tril(C̃ B̃ᵀ)·u + C̃·h̃_0 + Dskip·x,  C̃_t = C_t ∘ e^{S_t − S_m},
//   B̃_τ = B_τ ∘ e^{S_m − S_τ}, u_τ = Δ_τ x_τ, h̃_0 = e^{S_m}∘h_0,
// centred on the chunk's middle step m so both factors stay in float range;
// the state at the chunk end is passed to the next. Per channel a chunk costs
// T²·N multiply-adds (the SIMD gemm) instead of the scan's T·N — the form that
// parallelises on wide hardware, here a comparison point. A chunk whose decay
// spans more than e^±20 around m (large Δ·|A|) falls back to sequential steps.
// S is accumulated in double: float sums lose the small differences S_t − S_τ.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/threads.hpp"
#include "simd/gemm.hpp"
#include "simd/simd.hpp"
#include "ssm/ssm.hpp"

namespace subquad::ssm {

namespace {

using simd::f32x4;

constexpr double kMaxHalfSpan = 20;   // e^20 ≈ 5e8: scaled B, C stay far from overflow
constexpr double kLog2e = 1.44269504088896341;
constexpr std::size_t kChannels = 8;  // channels per parallel_for block

struct Scratch {
  std::size_t T, Np;
  std::vector<double> S;           // T × Np
  std::vector<float> Cp, BqT, M;   // T × Np, Np × T, T × T
  std::vector<float> u, hm;        // T, Np
  Scratch(std::size_t T_, std::size_t Np_)
      : T(T_), Np(Np_), S(T_ * Np_), Cp(T_ * Np_), BqT(Np_ * T_), M(T_ * T_), u(T_), hm(Np_) {}
};

// One chunk [t0, t0 + T) of channel c; h (N entries) is the state in and out.
// Returns false when it took the sequential fallback.
bool chunk_channel(const Problem& p, std::size_t c, std::size_t t0, std::size_t T, float* h,
                   Scratch& s, float* y) {
  const std::size_t D = p.D, N = p.N, Np = s.Np;
  const float* Ac = p.A + c * N;
  for (std::size_t t = 0; t < T; ++t) {
    const double dt = p.delta[(t0 + t) * D + c];
    s.u[t] = static_cast<float>(dt * p.x[(t0 + t) * D + c]);
    for (std::size_t k = 0; k < Np; ++k)
      s.S[t * Np + k] = (t ? s.S[(t - 1) * Np + k] : 0.0) + (k < N ? dt * Ac[k] : 0.0);
  }
  const std::size_t m = (T - 1) / 2;
  const double* Sm = s.S.data() + m * Np;
  const double* Sl = s.S.data() + (T - 1) * Np;
  bool centred = true;
  for (std::size_t k = 0; k < N; ++k)
    centred = centred && -Sm[k] <= kMaxHalfSpan && Sm[k] - Sl[k] <= kMaxHalfSpan;
  const float dskip = p.Dskip[c];

  if (!centred) {
    for (std::size_t t = 0; t < T; ++t) {
      const float dt = p.delta[(t0 + t) * D + c], xt = p.x[(t0 + t) * D + c];
      float out = dskip * xt;
      for (std::size_t k = 0; k < N; ++k) {
        h[k] = simd::exp2_nonpositive(simd::splat(dt * Ac[k] * float(kLog2e)))[0] * h[k] +
               dt * p.B[(t0 + t) * N + k] * xt;
        out += p.C[(t0 + t) * N + k] * h[k];
      }
      y[(t0 + t) * D + c] = out;
    }
    return false;
  }

  // C̃ and B̃ᵀ; padded state indices (k ≥ N) have B = C = 0. S decreases, so
  // S_t − S_m ≥ 0 up to m and ≤ 0 after: g = e^{−|S_t − S_m|} ≤ 1 is a decay
  // factor (exp2_nonpositive), and e^{S_t − S_m} is 1/g before m, g after.
  for (std::size_t t = 0; t < T; ++t) {
    const float* Bt = p.B + (t0 + t) * N;
    const float* Ct = p.C + (t0 + t) * N;
    const bool before = t <= m;
    for (std::size_t k = 0; k < Np; k += 4) {
      f32x4 gap;
      for (int lane = 0; lane < 4; ++lane)
        gap[lane] = static_cast<float>(-std::fabs(s.S[t * Np + k + lane] - Sm[k + lane]) * kLog2e);
      const f32x4 g = simd::exp2_nonpositive(gap);
      const std::size_t valid = k + 4 <= N ? 4 : (N > k ? N - k : 0);
      const f32x4 b = simd::load_partial(Bt + k, valid), cc = simd::load_partial(Ct + k, valid);
      simd::store(s.Cp.data() + t * Np + k, before ? cc / g : cc * g);
      const f32x4 bq = before ? b * g : b / g;
      for (int lane = 0; lane < 4; ++lane) s.BqT[(k + lane) * T + t] = bq[lane];
    }
  }
  simd::gemm(T, T, Np, s.Cp.data(), Np, s.BqT.data(), T, s.M.data(), T, false);
  for (std::size_t k = 0; k < Np; ++k)
    s.hm[k] = k < N ? static_cast<float>(std::exp(Sm[k]) * h[k]) : 0.0f;

  for (std::size_t t = 0; t < T; ++t) {
    const float* Mt = s.M.data() + t * T;
    const float* Cpt = s.Cp.data() + t * Np;
    f32x4 acc = simd::splat(0.0f);
    std::size_t j = 0;
    for (; j + 4 <= t + 1; j += 4) acc += simd::load(Mt + j) * simd::load(s.u.data() + j);
    if (j < t + 1) acc += simd::load_partial(Mt + j, t + 1 - j) * simd::load_partial(s.u.data() + j, t + 1 - j);
    for (std::size_t k = 0; k < Np; k += 4) acc += simd::load(Cpt + k) * simd::load(s.hm.data() + k);
    y[(t0 + t) * D + c] = simd::hsum(acc) + dskip * p.x[(t0 + t) * D + c];
  }
  // State at the chunk end: e^{S_last − S_m}·(h̃_0 + Σ_τ B̃_τ u_τ).
  for (std::size_t k = 0; k < N; ++k) {
    const float* row = s.BqT.data() + k * T;
    float sum = s.hm[k];
    for (std::size_t t = 0; t < T; ++t) sum += row[t] * s.u[t];
    h[k] = static_cast<float>(std::exp(Sl[k] - Sm[k])) * sum;
  }
  return true;
}

}  // namespace

void scan_chunked(const Problem& p, const Params& params, float* y, Stats& stats) {
  const std::size_t T = std::min(params.chunk, p.L), N = p.N, Np = (N + 3) / 4 * 4;
  const int threads = resolve_threads(params.threads);
  const std::size_t blocks = (p.D + kChannels - 1) / kChannels;
  std::vector<std::size_t> fallbacks(threads, 0);
  parallel_for(blocks, 1, threads, [&](std::size_t b0, std::size_t b1, int worker) {
    Scratch s(T, Np);
    std::vector<float> h(kChannels * N);
    for (std::size_t b = b0; b < b1; ++b) {
      const std::size_t c0 = b * kChannels, c1 = std::min(p.D, c0 + kChannels);
      std::fill(h.begin(), h.end(), 0.0f);
      for (std::size_t t0 = 0; t0 < p.L; t0 += T) {
        throw_if_cancelled();
        const std::size_t len = std::min(T, p.L - t0);
        for (std::size_t c = c0; c < c1; ++c)
          if (!chunk_channel(p, c, t0, len, h.data() + (c - c0) * N, s, y)) ++fallbacks[worker];
      }
    }
  });
  std::size_t total = 0;
  for (std::size_t f : fallbacks) total += f;
  const double chunks = double(p.D) * double((p.L + T - 1) / T);
  stats.emplace_back("chunk", double(T));
  stats.emplace_back("fallback_fraction", chunks > 0 ? double(total) / chunks : 0.0);
}

}  // namespace subquad::ssm
