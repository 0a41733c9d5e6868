// Named options for experiments (key → text), filled from a JS object by the
// bindings or from --key value pairs by the native CLI, read with validation.
#pragma once

#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <string>

#include "common/error.hpp"

namespace subquad {

class Options {
 public:
  void set(const std::string& key, const std::string& value) { values_[key] = value; }
  bool has(const std::string& key) const { return values_.count(key) != 0; }

  std::string str(const std::string& key, const std::string& fallback) const {
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
  }
  double num(const std::string& key, double fallback) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    char* end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0')
      throw Error(key, "got '" + it->second + "', must be a number");
    return v;
  }
  // An integer in [lo, hi].
  long long integer(const std::string& key, long long fallback, long long lo, long long hi) const {
    const double v = num(key, static_cast<double>(fallback));
    if (!(v >= lo && v <= hi) || v != std::floor(v))
      throw Error(key, "got " + detail::to_text(v) + ", must be an integer in [" +
                           std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return static_cast<long long>(v);
  }
  bool flag(const std::string& key, bool fallback) const {
    const std::string s = str(key, fallback ? "1" : "0");
    if (s != "1" && s != "0" && s != "true" && s != "false")
      throw Error(key, "got '" + s + "', must be true or false");
    return s == "1" || s == "true";
  }
  // Refuses any key outside `keys`: "<key>: unknown option for <owner>;
  // options are a, b, c". For calls whose options have no registry schema
  // (experiments, generators, documents); methods read theirs through
  // OptionValues (common/schema.hpp).
  void allow(std::initializer_list<const char*> keys, const std::string& owner) const {
    for (const auto& [key, value] : values_) {
      bool known = false;
      for (const char* k : keys) known = known || key == k;
      if (known) continue;
      std::string list;
      for (const char* k : keys) list += (list.empty() ? "" : ", ") + std::string(k);
      throw Error(key, "unknown option for " + owner + "; options are " + list);
    }
  }
  // A copy without `keys` (a bench request's own keys, before the rest goes
  // to the method's strict parser).
  Options without(std::initializer_list<const char*> keys) const {
    Options out = *this;
    for (const char* k : keys) out.values_.erase(k);
    return out;
  }
  void erase(const std::string& key) { values_.erase(key); }
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace subquad
