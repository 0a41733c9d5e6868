// The simulate family under fuzzing: any mode, small shapes (n up to 120),
// M, window and sinks anywhere (often invalid), either precision, any values.
// Invalid input must raise subquad::Error (nothing else). A valid run must
// make exactly the calls its closed form predicts; blocks_lse (always), and
// blocks, window, sinks (when they report no failure) must agree with the
// double reference within a tolerance that grows with the scores.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "fuzz/harness.hpp"
#include "simulate/simulate.hpp"

namespace subquad::fuzz {

int simulate(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  const auto& list = simulate::methods();
  const std::string name = list[in.u8() % list.size()].name;
  const std::size_t n = 1 + in.u8() % 120, d = 1 + in.u8() % 8;
  simulate::Params params;
  params.M = in.u8() % (n + 3);  // 0 = default; 1 and > n refused
  params.window = in.u8() % 40;
  params.sinks = in.u8() % 20;
  params.causal = (name == "blocks" || name == "blocks_lse" || name == "packed") && (in.u8() & 1);
  params.float64 = in.u8() & 1;
  params.seed = in.u8();
  params.B = (in.u8() % 40) * 0.25;
  params.threads = in.u8() % 3;  // 2 may exceed the pool: must be an Error
  const float scale = 0.25f + static_cast<float>(in.u8() % 8);
  std::vector<float> Q(n * d), K(n * d), V(n * d);
  for (auto* m : {&Q, &K, &V})
    for (auto& x : *m) x = in.value(scale);

  std::vector<float> O(n * d);
  std::vector<double> O64(n * d), ref(n * d);
  const simulate::Problem p{n, d, {Q.data(), Q.size()}, {K.data(), K.size()}, {V.data(), V.size()}};
  simulate::Report report;
  try {
    simulate::run(name, p, params, {O.data(), O64.data(), nullptr}, report);
  } catch (const Error&) {
    return 0;  // refused with a named error: fine
  }
  if (report.calls != report.calls_predicted) {
    std::fprintf(stderr, "%s: %zu calls, predicted %zu (n=%zu M=%zu r=%zu s=%zu)\n", name.c_str(), report.calls,
                 report.calls_predicted, n, report.M, report.window, report.sinks);
    std::abort();
  }
  if (name == "sampled" || name == "packed") return 0;  // estimates: no exact answer to meet
  if (report.failures > 0) return 0;                     // reported, not silent
  simulate::reference(name, p, params, ref.data());
  double maxdot = 0, v = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double s = 0;
      for (std::size_t k = 0; k < d; ++k) s += std::fabs(double(Q[i * d + k]) * K[j * d + k]);
      maxdot = std::max(maxdot, s);
    }
  for (float x : V) v = std::max(v, double(std::fabs(x)));
  const double s = simulate::resolved_scale(params, d);
  const double unit = params.float64 ? 1.1e-16 : 6e-8;
  // Score rounding (~ unit·maxdot·s per exponent) and the merges; window/sinks
  // may amplify by up to 2^10 (the failure threshold); blocks' A = y/(1−y)
  // by up to A + 1 ≤ M·e^{max score} + 1 (the paper's normaliser, THEORY-2 §4).
  double amplify = name == "window" || name == "sinks" ? 1024 : 1;
  if (name == "blocks") amplify = 1 + double(report.M) * std::exp(std::min(700.0, maxdot * s));
  const double tol = amplify * 64 * unit * (1 + maxdot * s) * v + 1e-30;
  for (std::size_t t = 0; t < n * d; ++t) {
    const double got = params.float64 ? O64[t] : O[t];
    if (!std::isfinite(ref[t])) continue;
    if (!(std::fabs(got - ref[t]) <= tol)) {
      std::fprintf(stderr, "%s O[%zu] = %.17g vs reference %.17g (tol %g; n=%zu d=%zu M=%zu r=%zu s=%zu f64=%d)\n",
                   name.c_str(), t, got, ref[t], tol, n, d, report.M, report.window, report.sinks, int(params.float64));
      std::abort();
    }
  }
  return 0;
}

}  // namespace subquad::fuzz
