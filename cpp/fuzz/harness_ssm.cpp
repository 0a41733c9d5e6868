// The SSM scans under fuzzing: any scan method, small shapes, any chunk, and
// values (Δ included) that are now and then NaN, ±inf, huge or subnormal.
// Invalid input must raise subquad::Error (nothing else); valid input must give
// a finite output within tolerance of the double-precision recurrence.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "fuzz/harness.hpp"
#include "ssm/ssm.hpp"

namespace subquad::fuzz {

int ssm(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  std::vector<const ssm::Method*> scans;
  for (const auto& m : ssm::methods())
    if (m.kind == ssm::Kind::scan) scans.push_back(&m);
  const ssm::Method& method = *scans[in.u8() % scans.size()];
  const std::size_t L = 1 + in.u8() % 64, D = 1 + in.u8() % 20, N = in.u8() % 18;  // N = 0 is invalid
  ssm::Params params;
  params.chunk = in.u8() % 40;  // 0 is invalid
  params.threads = in.u8() % 3;
  const float dscale = 0.01f + static_cast<float>(in.u8() % 8);
  std::vector<float> x(L * D), delta(L * D), A(D * N), B(L * N), C(L * N), Dskip(D);
  for (auto& v : x) v = in.value(2.0f);
  // Δ mostly in [0, dscale], A mostly in [−4, 0]: the sign flips of value() test validation.
  for (auto& v : delta) v = std::fabs(in.value(dscale)) * (in.u8() == 7 ? -1.0f : 1.0f);
  for (auto& v : A) v = -std::fabs(in.value(4.0f)) * (in.u8() == 9 ? -1.0f : 1.0f);
  for (auto* m : {&B, &C, &Dskip})
    for (auto& v : *m) v = in.value(1.0f);

  const ssm::Problem p{L, D, N, x.data(), delta.data(), A.data(), B.data(), C.data(), Dskip.data()};
  std::vector<float> y(L * D);
  ssm::Stats stats;
  try {
    ssm::run_scan(method.name, p, params, y.data(), stats);
  } catch (const Error&) {
    return 0;  // refused with a named error: fine
  }
  // Tolerance against the magnitude the output can have: the same recurrence on
  // |values| (no cancellation), so rounding is judged against the terms' size.
  std::vector<double> ref(L), mag(L), h(N);
  for (std::size_t c = 0; c < D; ++c) {
    ssm::scan_reference_channel(p, c, ref.data());
    std::fill(h.begin(), h.end(), 0.0);
    for (std::size_t t = 0; t < L; ++t) {
      const double dt = delta[t * D + c], xt = std::fabs(double(x[t * D + c]));
      mag[t] = std::fabs(double(Dskip[c])) * xt;
      for (std::size_t k = 0; k < N; ++k) {
        h[k] = std::exp(dt * double(A[c * N + k])) * h[k] + dt * std::fabs(double(B[t * N + k])) * xt;
        mag[t] += std::fabs(double(C[t * N + k])) * h[k];
      }
    }
    for (std::size_t t = 0; t < L; ++t) {
      const double out = y[t * D + c];
      // Each step's exp and products carry ~1e-7 relative error; a term lives ≤ L steps.
      const double tol = (1e-6 + 2e-7 * L) * mag[t] + 1e-35;
      if (!std::isfinite(out) || !(std::fabs(out - ref[t]) <= tol)) {
        std::fprintf(stderr, "%s: y[%zu,%zu] = %.9g, reference %.9g, tolerance %g (L=%zu D=%zu N=%zu chunk=%zu)\n",
                     method.name, t, c, out, ref[t], tol, L, D, N, params.chunk);
        std::abort();
      }
    }
  }
  return 0;
}

}  // namespace subquad::fuzz
