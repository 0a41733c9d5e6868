// The yardstick of pair search: every pair once in double precision, obvious
// loops, ties to the smallest (i, j) by order; and the γ-approximation
// checker built on it (pairs.hpp).
#include <cmath>
#include <string>

#include "common/error.hpp"
#include "common/threads.hpp"
#include "pairs/objective.hpp"
#include "pairs/pairs.hpp"

namespace subquad::pairs {

using namespace detail;

// Exact, double precision: every pair once, ties to the smallest (i, j) by order.
void pairs_reference(const Data& x, const Params& p, Result& r) {
  const bool bi = x.bichromatic();
  const float* Y = bi ? x.Y : x.X;
  const std::size_t m = bi ? x.m : x.n;
  const std::vector<double> nx = norms2(x.X, x.n, x.d), ny = bi ? norms2(Y, m, x.d) : nx;
  Best best;
  double computed = 0;
  std::size_t zero = 0;
  for (std::size_t i = 0; i < x.n; ++i) zero += !usable(p.kind, nx[i]);
  if (bi)
    for (std::size_t j = 0; j < m; ++j) zero += !usable(p.kind, ny[j]);
  for (std::size_t i = 0; i < x.n; ++i) {
    if ((i & 63) == 0) throw_if_cancelled();
    if (!usable(p.kind, nx[i])) continue;
    for (std::size_t j = bi ? 0 : i + 1; j < m; ++j) {
      if (!usable(p.kind, ny[j])) continue;
      const double ip = dot(x.X + i * x.d, Y + j * x.d, x.d);
      ++computed;
      best.offer(key_of(p.kind, ip, nx[i], ny[j]), std::int64_t(i), std::int64_t(j), ip);
    }
  }
  finish(p.kind, best, nx, ny, r);
  r.candidates = computed;
  if (uses_cosine(p.kind)) r.stats.emplace_back("zero_rows_excluded", double(zero));
}

double pair_value(Kind kind, const Data& x, std::size_t i, std::size_t j) {
  const float* a = x.X + i * x.d;
  const float* b = (x.bichromatic() ? x.Y : x.X) + j * x.d;
  const double ip = dot(a, b, x.d);
  if (!uses_cosine(kind)) return ip;
  const double na = dot(a, a, x.d), nb = dot(b, b, x.d);
  return na > 0 && nb > 0 ? ip / std::sqrt(na * nb) : NAN;
}

Check check(Kind kind, const Data& x, std::int64_t i, std::int64_t j, double gamma) {
  require(std::isfinite(gamma) && gamma >= 1, "gamma", gamma, "a finite number >= 1");
  const std::size_t m = x.bichromatic() ? x.m : x.n;
  require(i >= 0 && std::size_t(i) < x.n, "i", i, "a row of X");
  require(j >= 0 && std::size_t(j) < m, "j", j, x.bichromatic() ? "a row of Y" : "a row of X");
  if (!x.bichromatic()) require(i != j, "j", j, "different from i (pairs are i != j)");
  Params p;
  p.kind = kind;
  p.threads = 1;
  const Result opt = run("reference", x, p);
  Check c;
  c.optimum = opt.value;
  c.value = pair_value(kind, x, std::size_t(i), std::size_t(j));
  if (opt.i < 0 || !std::isfinite(c.value)) {
    c.ok = false;  // no valid pair, or a zero vector under a cosine problem
    c.ratio = NAN;
    return c;
  }
  const double o = c.optimum, v = c.value;
  const double slack = 1e-6 * std::max(1.0, std::fabs(o));
  if (kind == Kind::ov) c.ok = std::fabs(v) <= gamma * std::fabs(o) + slack;
  else if (maximises(kind)) c.ok = v >= o - (1 - 1 / gamma) * std::fabs(o) - slack;
  else c.ok = v <= o + (gamma - 1) * std::fabs(o) + slack;
  c.ratio = o != 0 ? v / o : (v == 0 ? 1.0 : INFINITY);
  return c;
}

}  // namespace subquad::pairs
