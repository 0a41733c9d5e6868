// blocks (the paper's Lemma B.1 and Thm B.5) and blocks_lse (ours).
// Queries and keys are cut into T = ⌈N/M⌉ blocks; every (query block t′, key
// block t) pair the mask needs is one oracle call (blocks_lse) or two
// (blocks). The paper feeds a pair as one 2d-wide sequence whose W_Q, W_K
// select the halves; our oracle takes separate query and key counts, which is
// the same call.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/threads.hpp"
#include "simulate/common.hpp"
#include "simulate/simulate.hpp"

namespace subquad::simulate {

namespace {

template <class T>
void blocks_t(const Problem& p, const Params& params, const Output& out, Report& report) {
  const std::size_t n = p.n, d = p.d, M = params.M, w = d + 1;
  const auto Q = detail::widen<T>(p.Q), K = detail::widen<T>(p.K), V = detail::widen<T>(p.V);
  Oracle<T> oracle(M, M + 1, resolved_scale(params, d), params.threads);
  oracle.trace_into(&report.trace);
  // Normaliser call: q′ = [q, 1], k′ = [k, 1], a synthetic key [0, 1] first
  // with value 0 (real values [1, 0…]): every score is shifted by the same
  // scale·1, so column 0 of the output is y = A/(A + 1), A = Σ_{j∈S_t} e^{scale·q·k}.
  std::vector<T> Qn(M * w), Kn((M + 1) * w), Vn((M + 1) * w), On(M * w), Ob(M * d), num(M * d), den(M), row(d);
  for (std::size_t q0 = 0; q0 < n; q0 += M) {
    const std::size_t rows = std::min(M, n - q0);
    std::fill(num.begin(), num.end(), T(0));
    std::fill(den.begin(), den.end(), T(0));
    for (std::size_t i = 0; i < rows; ++i) {
      std::copy(&Q[(q0 + i) * d], &Q[(q0 + i) * d] + d, &Qn[i * w]);
      Qn[i * w + d] = 1;
    }
    for (std::size_t k0 = 0; k0 < n && (!params.causal || k0 <= q0); k0 += M) {
      const std::size_t keys = std::min(M, n - k0);
      const bool diagonal = params.causal && k0 == q0;  // causal oracle: row i sees keys ≤ i
      std::fill(Kn.begin(), Kn.begin() + w, T(0));
      Kn[d] = 1;
      std::fill(Vn.begin(), Vn.begin() + w, T(0));
      for (std::size_t j = 0; j < keys; ++j) {
        std::copy(&K[(k0 + j) * d], &K[(k0 + j) * d] + d, &Kn[(j + 1) * w]);
        Kn[(j + 1) * w + d] = 1;
        std::fill(&Vn[(j + 1) * w], &Vn[(j + 1) * w] + w, T(0));
        Vn[(j + 1) * w] = 1;
      }
      oracle.call(Qn.data(), rows, Kn.data(), Vn.data(), keys + 1, w, diagonal, On.data(), nullptr, q0, k0);
      oracle.call(&Q[q0 * d], rows, &K[k0 * d], &V[k0 * d], keys, d, diagonal, Ob.data(), nullptr, q0, k0);
      for (std::size_t i = 0; i < rows; ++i) {
        const T y = On[i * w];
        if (!(y < 1)) ++report.failures;  // A unreadable: y rounded to 1, A = ∞
        const T A = y / (1 - y);
        for (std::size_t k = 0; k < d; ++k) num[i * d + k] += Ob[i * d + k] * A;
        den[i] += A;
      }
    }
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t k = 0; k < d; ++k) row[k] = num[i * d + k] / den[i];
      detail::write_row(out, q0 + i, d, row.data(), std::log(double(den[i])));
    }
  }
  report.calls = oracle.calls();
  report.flops = oracle.flops();
}

template <class T>
void blocks_lse_t(const Problem& p, const Params& params, const Output& out, Report& report) {
  const std::size_t n = p.n, d = p.d, M = params.M;
  const auto Q = detail::widen<T>(p.Q), K = detail::widen<T>(p.K), V = detail::widen<T>(p.V);
  Oracle<T> oracle(M, M, resolved_scale(params, d), params.threads);
  oracle.trace_into(&report.trace);
  std::vector<T> Ob(M * d), lse(M), row(d);
  for (std::size_t q0 = 0; q0 < n; q0 += M) {
    const std::size_t rows = std::min(M, n - q0);
    detail::Merge<T> merge(rows, d);
    for (std::size_t k0 = 0; k0 < n && (!params.causal || k0 <= q0); k0 += M) {
      const std::size_t keys = std::min(M, n - k0);
      oracle.call(&Q[q0 * d], rows, &K[k0 * d], &V[k0 * d], keys, d, params.causal && k0 == q0, Ob.data(),
                  lse.data(), q0, k0);
      for (std::size_t i = 0; i < rows; ++i) merge.add(i, lse[i], &Ob[i * d]);
    }
    for (std::size_t i = 0; i < rows; ++i) {
      merge.finish(i, row.data());
      detail::write_row(out, q0 + i, d, row.data(), merge.ln(i));
    }
  }
  report.calls = oracle.calls();
  report.flops = oracle.flops();
}

}  // namespace

void blocks(const Problem& p, const Params& params, const Output& out, Report& report) {
  params.float64 ? blocks_t<double>(p, params, out, report) : blocks_t<float>(p, params, out, report);
}

void blocks_lse(const Problem& p, const Params& params, const Output& out, Report& report) {
  params.float64 ? blocks_lse_t<double>(p, params, out, report) : blocks_lse_t<float>(p, params, out, report);
}

}  // namespace subquad::simulate
