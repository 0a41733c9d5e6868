// The attention backward under fuzzing: any method, any small shape (n up
// to 140, so flash crosses its 64-row tiles), any values, O and lse given,
// half-given or not. Invalid input must raise subquad::Error (nothing else).
// Valid input: flash must agree with the double reference within a tolerance
// that grows with the scores' float uncertainty, whenever the reference's
// gradients are representable in float. polynomial (an approximation) must
// not crash; its degree is kept to ranks ≤ 4096 so the fuzzer stays fast.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "fuzz/harness.hpp"
#include "grad/grad.hpp"

namespace subquad::fuzz {

int grad(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  const auto& list = grad::methods();
  const std::string name = list[in.u8() % list.size()].name;
  const std::size_t n = 1 + in.u8() % 140, d = 1 + in.u8() % 12;
  grad::Params params;
  params.causal = in.u8() & 1;
  params.threads = in.u8() % 3;  // 2 may exceed the pool: must be an Error
  const std::uint8_t given = in.u8() % 4;  // 0, 1: no O/lse; 2: both; 3: O alone (refused)
  const float scale = 0.5f + static_cast<float>(in.u8() % 16);
  std::vector<float> Q(n * d), K(n * d), V(n * d), dO(n * d);
  for (auto* m : {&Q, &K, &V, &dO})
    for (auto& x : *m) x = in.value(scale);
  // polynomial's parameters after the values (so the seeds without them decode as before).
  int b = in.u8();
  params.degree = b == 255 ? 13 : b % 13;
  params.poly = (in.u8() & 1) ? "taylor" : "chebyshev";
  b = in.u8();
  params.R = b == 255 ? 70 : (b < 128 ? 0 : (b - 127) * 0.1);
  while (params.degree > 0 && params.degree <= 12 && attention::poly_rank(d, params.degree) > 4096) --params.degree;

  std::vector<float> O(n * d), lse(n), dQ(n * d), dK(n * d), dV(n * d), rQ(n * d), rK(n * d), rV(n * d);
  grad::Problem p{n, d, {Q.data(), Q.size()}, {K.data(), K.size()}, {V.data(), V.size()}, {dO.data(), dO.size()},
                  {}, {}};
  grad::Stats stats;
  try {
    if (given >= 2) {
      attention::Params fp;
      fp.scale = grad::resolved_scale(params, d);
      fp.causal = params.causal;
      fp.return_lse = true;
      attention::Stats fs;
      attention::run("flash", {n, d, Q.data(), K.data(), V.data()}, fp, O.data(), fs, lse.data());
      p.O = {O.data(), O.size()};
      if (given == 2) p.lse = {lse.data(), lse.size()};
    }
    grad::run(name, p, params, {dQ.data(), dK.data(), dV.data()}, stats);
  } catch (const Error&) {
    return 0;  // refused with a named error: fine
  }
  if (given == 3) {
    std::fprintf(stderr, "O without lse was accepted\n");
    std::abort();
  }
  if (name == "polynomial") {
    if (params.causal) {
      std::fprintf(stderr, "polynomial accepted causal\n");
      std::abort();
    }
    return 0;
  }
  grad::Params ref_params = params;
  ref_params.threads = 0;
  grad::run("reference", p, ref_params, {rQ.data(), rK.data(), rV.data()}, stats);
  for (const auto* r : {&rQ, &rK, &rV})
    for (float x : *r)
      if (!std::isfinite(x)) return 0;  // the true gradient overflows float: nothing to compare
  double maxdot = 0, qk = 0, v = 0, g = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double s = 0;
      for (std::size_t k = 0; k < d; ++k) s += std::fabs(double(Q[i * d + k]) * K[j * d + k]);
      maxdot = std::max(maxdot, s);
    }
  for (std::size_t t = 0; t < n * d; ++t) {
    qk = std::max({qk, std::fabs(double(Q[t])), std::fabs(double(K[t]))});
    v = std::max(v, std::fabs(double(V[t])));
    g = std::max(g, std::fabs(double(dO[t])));
  }
  const double s = grad::resolved_scale(params, d);
  // P's relative uncertainty from float scores (and the forward's lse), plus
  // float accumulation; the gradients' sizes bounded by their formulas:
  // |dV| ≤ n·max|dO|, |dS| ≤ 2·d·max|dO|·max|V|, |dQ|, |dK| ≤ s·n·d·max|Q, K|·max|dS|.
  const double eps = 1e-5 + 32 * 6e-8 * maxdot * s;
  const double dS = 2.0 * d * g * v;
  const double bound[3] = {s * n * d * qk * dS, s * n * d * qk * dS, double(n) * g};
  const std::vector<float>* got[3] = {&dQ, &dK, &dV};
  const std::vector<float>* ref[3] = {&rQ, &rK, &rV};
  const char* names[3] = {"dQ", "dK", "dV"};
  for (int x = 0; x < 3; ++x) {
    if (!std::isfinite(bound[x]) || bound[x] > 1e30) continue;
    for (std::size_t t = 0; t < n * d; ++t) {
      const double diff = std::fabs(double((*got[x])[t]) - double((*ref[x])[t]));
      if (!(diff <= 8 * eps * bound[x] + 1e-35)) {
        std::fprintf(stderr, "%s %s[%zu] = %.9g vs reference %.9g (bound %g, eps %g; n=%zu d=%zu causal=%d)\n",
                     name.c_str(), names[x], t, (*got[x])[t], (*ref[x])[t], bound[x], eps, n, d, int(params.causal));
        std::abort();
      }
    }
  }
  return 0;
}

}  // namespace subquad::fuzz
