// What every pair-search method shares: the objective as one "key" to
// maximise, the tie rule, and row norms. Internal to cpp/pairs/.
//
// key(ip, ‖x‖², ‖y‖²), larger is better:
//   msd   sign(ip)·ip²/(‖x‖²‖y‖²)   (monotone in the cosine; for integer data
//                                    equal cosines give bit-equal keys, so ties
//                                    are ties and the (i, j) rule decides)
//   lsd   −(the same)
//   maxip ip,   minip −ip,   ov −|ip|
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "pairs/pairs.hpp"

namespace subquad::pairs::detail {

// gram's panel width: keep the d × C panel near 128 KiB (L2), a multiple of 8 columns
// (here for the memory estimate in registry.cpp too).
inline std::size_t gram_panel_width(std::size_t d) {
  const std::size_t c = std::max<std::size_t>(16, std::min<std::size_t>(256, 32768 / d));
  return c / 8 * 8;
}
// Rows per gram block (each thread's tile is kGramRows × C floats).
constexpr std::size_t kGramRows = 48;

inline double key_of(Kind kind, double ip, double nx2, double ny2) {
  switch (kind) {
    case Kind::msd: return (ip < 0 ? -ip * ip : ip * ip) / (nx2 * ny2);
    case Kind::lsd: return -(ip < 0 ? -ip * ip : ip * ip) / (nx2 * ny2);
    case Kind::maxip: return ip;
    case Kind::minip: return -ip;
    case Kind::ov: return -std::fabs(ip);
  }
  return ip;
}

inline double value_of(Kind kind, double ip, double nx2, double ny2) {
  return uses_cosine(kind) ? ip / std::sqrt(nx2 * ny2) : ip;
}

// Running best with the documented tie rule: larger key, then smaller (i, j).
struct Best {
  double key = -std::numeric_limits<double>::infinity();
  std::int64_t i = -1, j = -1;
  double ip = 0;
  bool better(double k, std::int64_t a, std::int64_t b) const {
    if (k != k) return false;  // NaN never wins
    if (i < 0) return true;
    return k > key || (k == key && (a < i || (a == i && b < j)));
  }
  void offer(double k, std::int64_t a, std::int64_t b, double inner) {
    if (better(k, a, b)) {
      key = k;
      i = a;
      j = b;
      ip = inner;
    }
  }
  void merge(const Best& o) {
    if (o.i >= 0) offer(o.key, o.i, o.j, o.ip);
  }
};

inline std::vector<double> norms2(const float* X, std::size_t n, std::size_t d) {
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    double s = 0;
    for (std::size_t k = 0; k < d; ++k) s += double(X[i * d + k]) * X[i * d + k];
    out[i] = s;
  }
  return out;
}

inline double dot(const float* a, const float* b, std::size_t d) {
  double s = 0;
  for (std::size_t k = 0; k < d; ++k) s += double(a[k]) * b[k];
  return s;
}

// Rows a method may use: for cosine problems, only nonzero rows.
inline bool usable(Kind kind, double norm2) { return !uses_cosine(kind) || norm2 > 0; }

// Fills the result from the best pair (value recomputed from its inner product).
inline void finish(Kind kind, const Best& b, const std::vector<double>& nx2,
                   const std::vector<double>& ny2, Result& r) {
  r.i = b.i;
  r.j = b.j;
  r.value = b.i >= 0 ? value_of(kind, b.ip, nx2[b.i], ny2[b.j]) : 0;
}

}  // namespace subquad::pairs::detail
