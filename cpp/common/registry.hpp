// Lookup by name in a family's registry of methods (attention, ssm, pairs):
// one function so every family answers an unknown name the same way.
#pragma once

#include <string>
#include <vector>

#include "common/error.hpp"

namespace subquad {

// The entry called `name`; otherwise Error("method", …) naming the family
// and listing the known methods.
template <class Method>
const Method& find_by_name(const std::vector<Method>& methods, const std::string& name,
                           const char* family) {
  for (const auto& m : methods)
    if (name == m.name) return m;
  std::string known;
  for (const auto& m : methods) known += (known.empty() ? "" : ", ") + std::string(m.name);
  throw Error("method", "unknown " + std::string(family) + " method '" + name + "', known: " + known);
}

}  // namespace subquad
