// Standard RoPE for the fast paths (rope_flash, rope_polynomial): the rotation
// R_m of position m applied to float rows, with cos/sin of m·θ_t from two small
// tables (m = 64a + b: angle addition of a·64·θ_t and b·θ_t, in double), so a
// row costs O(d) multiplies and no trigonometric calls. Internal to cpp/attention/.
#pragma once

#include <cstddef>
#include <vector>

#include "attention/attention.hpp"

namespace subquad::attention {

class RopeRotation {
 public:
  // Positions 0..positions−1 of rows of width d (even; checked by prepare).
  RopeRotation(std::size_t positions, std::size_t d, const Params& params);
  // out = R_m x (d floats each; out ≠ x).
  void operator()(const float* x, std::size_t m, float* out) const;
  // Bytes of its tables, for the cost models.
  static double memory_bytes(std::size_t positions, std::size_t d);

 private:
  static constexpr std::size_t kLow = 64;
  std::size_t d_, h_;
  std::vector<std::size_t> first_, second_;
  std::vector<double> hi_cos_, hi_sin_, lo_cos_, lo_sin_;  // [a·h + t], [b·h + t]
};

}  // namespace subquad::attention
