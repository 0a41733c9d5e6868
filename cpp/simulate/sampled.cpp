// sampled (Thm C.1, the average case): one uniform permutation τ of the keys;
// query block t attends to the M keys τ(tM), …, τ(tM + M − 1) (cyclically), a
// uniform M-subset. The output is the local softmax over them (a ratio, so
// slightly biased); the normaliser estimate (N/M)·Σ_{sampled} e^{scale·q·k}
// is unbiased. One call per query block: ⌈N/M⌉. Fails on inputs where a few
// keys carry the attention (a planted needle), the worst case of Thm 1.1.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "common/rng.hpp"
#include "simulate/common.hpp"
#include "simulate/simulate.hpp"

namespace subquad::simulate {

namespace {

template <class T>
void sampled_t(const Problem& p, const Params& params, const Output& out, Report& report) {
  const std::size_t n = p.n, d = p.d, M = params.M;
  const auto Q = detail::widen<T>(p.Q);
  std::vector<std::size_t> tau(n);
  std::iota(tau.begin(), tau.end(), std::size_t(0));
  Rng rng(params.seed);
  for (std::size_t i = n - 1; i > 0; --i) std::swap(tau[i], tau[rng.below(i + 1)]);  // Fisher–Yates
  Oracle<T> oracle(M, M, resolved_scale(params, d), params.threads);
  oracle.trace_into(&report.trace);
  std::vector<T> Ks(M * d), Vs(M * d), Ob(M * d), lse(M);
  const double rescale = std::log(double(n) / double(M));
  for (std::size_t q0 = 0, t = 0; q0 < n; q0 += M, ++t) {
    const std::size_t rows = std::min(M, n - q0);
    for (std::size_t j = 0; j < M; ++j) {
      const std::size_t key = tau[(t * M + j) % n];
      for (std::size_t k = 0; k < d; ++k) {
        Ks[j * d + k] = p.K.data[key * d + k];
        Vs[j * d + k] = p.V.data[key * d + k];
      }
    }
    oracle.call(&Q[q0 * d], rows, Ks.data(), Vs.data(), M, d, false, Ob.data(), lse.data(), q0, q0);
    for (std::size_t i = 0; i < rows; ++i) detail::write_row(out, q0 + i, d, &Ob[i * d], double(lse[i]) + rescale);
  }
  report.calls = oracle.calls();
  report.flops = oracle.flops();
}

}  // namespace

void sampled(const Problem& p, const Params& params, const Output& out, Report& report) {
  params.float64 ? sampled_t<double>(p, params, out, report) : sampled_t<float>(p, params, out, report);
}

}  // namespace subquad::simulate
