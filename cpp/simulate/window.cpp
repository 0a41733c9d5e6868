// window and sinks (Thm D.1 of the paper): causal attention to the last r keys
// (i−r, i], and optionally to the first s keys as well, in O(N/M) calls.
// Queries are cut into chunks of C = M − r; a chunk [a, e) needs keys from
// a − r on, one span of ≤ M keys. With a causal oracle (returning its lse):
//   full:  rows [a, e) over keys [max(0, a−r), e)        → Σ_{j ≤ i}
//   short: rows [b, e), b = max(a, r), over keys [b−r, e−r) → Σ_{j ≤ i−r}
// (the short call is the paper's "queries q_{r+1..M}, keys k_{1..M−r}").
// Window = full − short: o = (o_f − δ o_s)/(1 − δ), δ = e^{ℓ_s − ℓ_f}. The
// difference cancels when the keys before the window outweigh it (δ → 1):
// rows with 1 − δ < 2^{−10} are counted as failures (the exact-arithmetic
// theorem does not see this).
// Sinks add Σ_{j ≤ min(s−1, i−r)}: one call over the s sink keys for rows
// i ≥ r + s − 1, one causal call for rows r ≤ i < r + s − 1 (early chunks
// only); merged by log-sum-exp. (The paper reads the normalisers with a
// synthetic token, which doubles every call; we use the lse oracle here.)
#include <algorithm>
#include <cmath>
#include <vector>

#include "simulate/common.hpp"
#include "simulate/simulate.hpp"

namespace subquad::simulate {

namespace {

template <class T>
void window_t(const Problem& p, const Params& params, const Output& out, Report& report, bool with_sinks) {
  const std::size_t n = p.n, d = p.d, M = params.M, r = params.window, s = with_sinks ? params.sinks : 0;
  const std::size_t C = M - r;
  const auto Q = detail::widen<T>(p.Q), K = detail::widen<T>(p.K), V = detail::widen<T>(p.V);
  Oracle<T> oracle(M, M, resolved_scale(params, d), params.threads);
  oracle.trace_into(&report.trace);
  std::vector<T> Of(C * d), lf(C), Os(C * d), ls(C), Ok(C * d), lk(C), row(d);
  for (std::size_t a = 0; a < n; a += C) {
    const std::size_t e = std::min(n, a + C), rows = e - a, s0 = a > r ? a - r : 0, b = std::max(a, r);
    oracle.call(&Q[a * d], rows, &K[s0 * d], &V[s0 * d], e - s0, d, true, Of.data(), lf.data(), a, s0);
    if (b < e) oracle.call(&Q[b * d], e - b, &K[(b - r) * d], &V[(b - r) * d], e - b, d, true, Os.data(), ls.data(), b,
                          b - r);
    detail::Merge<T> merge(rows, d);
    for (std::size_t i = a; i < e; ++i) {
      const std::size_t f = i - a;
      if (i < b) {
        merge.add(f, lf[f], &Of[f * d]);
        continue;
      }
      const std::size_t g = i - b;
      const T delta = std::exp(ls[g] - lf[f]), keep = 1 - delta;
      if (!(keep >= T(1.0 / 1024))) ++report.failures;  // > 10 bits of the window's sum lost to cancellation
      for (std::size_t k = 0; k < d; ++k) row[k] = (Of[f * d + k] - delta * Os[g * d + k]) / keep;
      merge.add(f, lf[f] + std::log(keep), row.data());
    }
    if (s > 0) {
      const std::size_t x = r + s - 1;  // from row x on, every sink key is outside the window
      const std::size_t c0 = std::max(a, r), c1 = std::min(e, x);
      if (c0 < c1) {  // rows r ≤ i < r + s − 1 see sinks j ≤ i − r: causal over keys [0, c1 − r)
        oracle.call(&Q[c0 * d], c1 - c0, K.data(), V.data(), c1 - r, d, true, Ok.data(), lk.data(), c0, 0);
        for (std::size_t i = c0; i < c1; ++i) merge.add(i - a, lk[i - c0], &Ok[(i - c0) * d]);
      }
      const std::size_t f0 = std::max(a, x);
      if (f0 < e) {
        oracle.call(&Q[f0 * d], e - f0, K.data(), V.data(), std::min(s, n), d, false, Ok.data(), lk.data(), f0, 0);
        for (std::size_t i = f0; i < e; ++i) merge.add(i - a, lk[i - f0], &Ok[(i - f0) * d]);
      }
    }
    for (std::size_t i = a; i < e; ++i) {
      merge.finish(i - a, row.data());
      detail::write_row(out, i, d, row.data(), merge.ln(i - a));
    }
  }
  report.calls = oracle.calls();
  report.flops = oracle.flops();
}

}  // namespace

void window(const Problem& p, const Params& params, const Output& out, Report& report) {
  params.float64 ? window_t<double>(p, params, out, report, false) : window_t<float>(p, params, out, report, false);
}

void sinks(const Problem& p, const Params& params, const Output& out, Report& report) {
  params.float64 ? window_t<double>(p, params, out, report, true) : window_t<float>(p, params, out, report, true);
}

}  // namespace subquad::simulate
