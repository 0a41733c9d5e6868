// Small helpers the native test files share.
#pragma once

#include <doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace subquad::testing {

// The message of the subquad::Error `fn` throws; "" when it throws none.
inline std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A method's reported stat by name; fails the test when it is missing.
inline double stat(const std::vector<std::pair<std::string, double>>& stats, const std::string& key) {
  for (const auto& [k, v] : stats)
    if (k == key) return v;
  FAIL("no stat " << key);
  return NAN;
}

}  // namespace subquad::testing
