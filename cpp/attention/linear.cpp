// Linear attention (Katharopoulos et al. 2020, "Transformers are RNNs"):
// the softmax kernel exp(s q·k) is replaced by φ(q)·φ(k) with the positive
// feature map φ(x) = elu(x) + 1, so
//   o_i = φ(q_i)ᵀ Σ_j φ(k_j) v_jᵀ / φ(q_i)ᵀ Σ_j φ(k_j)
// costs O(n d²); causal keeps the two sums as prefix sums (the RNN form).
// As in the paper φ acts on the raw entries: `scale` is not used.
//
// Non-causal, both products run on the SIMD micro-kernel with threads: key
// blocks of 256 rows give S_b = φ(K_b)ᵀ[V_b 1] (float), summed into a double
// S per thread; then row blocks compute φ(Q_b)·S and divide by the last
// column. Extra memory stays O(d²) plus O(256·d) per thread. Causal runs the
// prefix sums in double, one row at a time.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "common/threads.hpp"
#include "simd/gemm.hpp"
#include "simd/simd.hpp"

namespace subquad::attention {

namespace {

constexpr std::size_t kBlock = 256;  // keys (or query rows) per block

double elu_plus_one(double x) { return x > 0 ? x + 1 : std::exp(x); }

// out[0..count) ← elu(x) + 1, four lanes at a time.
void elu_plus_one(const float* x, std::size_t count, float* out) {
  using namespace simd;
  std::size_t k = 0;
  for (; k + 4 <= count; k += 4) {
    const f32x4 v = load(x + k);
    store(out + k, select(v > splat(0.0f), v + splat(1.0f), simd::exp(min(v, splat(0.0f)))));
  }
  for (; k < count; ++k) out[k] = static_cast<float>(elu_plus_one(double(x[k])));
}

std::size_t round_up(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

void linear_parallel(const Problem& p, const Params& params, float* O) {
  const std::size_t n = p.n, d = p.d, e = round_up(d + 1, 4);  // [V 1], padded
  const int threads = resolve_threads(params.threads);
  struct Scratch {
    std::vector<float> Ft, VE, part, f;
    std::vector<double> S;
  };
  std::vector<Scratch> scratch(threads);
  for (auto& s : scratch) {
    s.Ft.resize(d * kBlock);
    s.VE.assign(kBlock * e, 0.0f);
    s.part.resize(d * e);
    s.f.resize(d);
    s.S.assign(d * e, 0.0);
  }
  // S = Σ_j φ(k_j) [v_j 1]ᵀ, d × e.
  parallel_for(n, kBlock, threads, [&](std::size_t j0, std::size_t j1, int worker) {
    throw_if_cancelled();
    Scratch& s = scratch[worker];
    const std::size_t rows = j1 - j0;
    for (std::size_t r = 0; r < rows; ++r) {
      elu_plus_one(p.K + (j0 + r) * d, d, s.f.data());
      for (std::size_t a = 0; a < d; ++a) s.Ft[a * kBlock + r] = s.f[a];
      std::copy(p.V + (j0 + r) * d, p.V + (j0 + r + 1) * d, s.VE.data() + r * e);
      s.VE[r * e + d] = 1.0f;
    }
    simd::gemm(d, e, rows, s.Ft.data(), kBlock, s.VE.data(), e, s.part.data(), e, false);
    for (std::size_t t = 0; t < d * e; ++t) s.S[t] += s.part[t];
  });
  std::vector<float> S(d * e, 0.0f);
  for (std::size_t t = 0; t < d * e; ++t) {
    double sum = 0;
    for (const auto& s : scratch) sum += s.S[t];
    S[t] = static_cast<float>(sum);
  }
  // o_i = φ(q_i)·S[:, :d] / φ(q_i)·S[:, d].
  parallel_for(n, kBlock, threads, [&](std::size_t i0, std::size_t i1, int worker) {
    throw_if_cancelled();
    Scratch& s = scratch[worker];
    const std::size_t rows = i1 - i0;
    float* fq = s.Ft.data();  // rows × d
    float* out = s.VE.data();  // rows × e
    elu_plus_one(p.Q + i0 * d, rows * d, fq);
    simd::gemm(rows, e, d, fq, d, S.data(), e, out, e, false);
    for (std::size_t r = 0; r < rows; ++r) {
      const float inv = 1.0f / out[r * e + d];
      for (std::size_t k = 0; k < d; ++k) O[(i0 + r) * d + k] = out[r * e + k] * inv;
    }
  });
}

}  // namespace

void linear(const Problem& p, const Params& params, float* O, Stats&) {
  if (!params.causal) {
    linear_parallel(p, params, O);
    return;
  }
  const std::size_t n = p.n, d = p.d, e = d + 1;
  std::vector<double> S(d * e, 0.0), fq(d), fk(d);  // Σ φ(k) [v 1]ᵀ, d × (d+1)
  auto add_key = [&](std::size_t j) {
    for (std::size_t a = 0; a < d; ++a) fk[a] = elu_plus_one(p.K[j * d + a]);
    for (std::size_t a = 0; a < d; ++a) {
      for (std::size_t k = 0; k < d; ++k) S[a * e + k] += fk[a] * p.V[j * d + k];
      S[a * e + d] += fk[a];
    }
  };
  auto output_row = [&](std::size_t i) {
    for (std::size_t a = 0; a < d; ++a) fq[a] = elu_plus_one(p.Q[i * d + a]);
    double den = 0;
    for (std::size_t a = 0; a < d; ++a) den += fq[a] * S[a * e + d];
    for (std::size_t k = 0; k < d; ++k) {
      double num = 0;
      for (std::size_t a = 0; a < d; ++a) num += fq[a] * S[a * e + k];
      O[i * d + k] = static_cast<float>(num / den);
    }
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 1024 == 0) throw_if_cancelled();
    add_key(i);
    output_row(i);
  }
}

}  // namespace subquad::attention
