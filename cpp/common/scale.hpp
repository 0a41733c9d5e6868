// The softmax scale every attention-like family takes: the option "scale" is
// "sqrt" (1/√d, practice), "inv_d" (1/d, the papers) or a number; a Params
// field holds 0 for "sqrt" (resolved once d is known) or the number.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>

#include "common/schema.hpp"

namespace subquad {

/** The option's value for a Params field: 0 for "sqrt", 1/d for "inv_d", else the number. */
inline double scale_option(const OptionValues& v, std::size_t d) {
  const std::string scale = v.text("scale");
  return scale == "sqrt" ? 0 : scale == "inv_d" ? 1.0 / static_cast<double>(d) : v.number("scale");
}

/** The scale a kernel uses: the field, or 1/√d when it holds 0. */
inline double resolved_scale(double scale, std::size_t d) {
  return scale > 0 ? scale : 1.0 / std::sqrt(static_cast<double>(d));
}

}  // namespace subquad
