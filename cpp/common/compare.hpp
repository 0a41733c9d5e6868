// How far an output is from a reference, the one measure every family's
// tests and bench records use: max |out − ref| / max |ref| (max |out − ref|
// when the reference is all zero).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace subquad {

template <class Ref>
double relative_error(const float* out, const Ref* ref, std::size_t count) {
  double err = 0, scale = 0;
  for (std::size_t i = 0; i < count; ++i) {
    err = std::max(err, std::fabs(double(out[i]) - double(ref[i])));
    scale = std::max(scale, std::fabs(double(ref[i])));
  }
  return scale > 0 ? err / scale : err;
}

}  // namespace subquad
