// Minimal JSON-line writer for benchmark records (flat objects only).
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace subquad {

class JsonLine {
 public:
  JsonLine& add(const std::string& key, const std::string& value) {
    key_(key);
    out_ += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') out_ += '\\';
      if (static_cast<unsigned char>(c) < 0x20) continue;
      out_ += c;
    }
    out_ += '"';
    return *this;
  }
  JsonLine& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  JsonLine& add(const std::string& key, double value) {
    key_(key);
    if (!std::isfinite(value)) {
      out_ += "null";  // JSON has no NaN/Inf; the reader sees a missing value
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", value);
      out_ += buf;
    }
    return *this;
  }
  JsonLine& add(const std::string& key, int value) { return add(key, static_cast<double>(value)); }
  JsonLine& add(const std::string& key, long long value) {
    return add(key, static_cast<double>(value));
  }
  JsonLine& add(const std::string& key, std::size_t value) {
    return add(key, static_cast<double>(value));
  }
  JsonLine& add(const std::string& key, bool value) {
    key_(key);
    out_ += value ? "true" : "false";
    return *this;
  }
  std::string str() const { return out_ + "}"; }

 private:
  void key_(const std::string& key) {
    out_ += out_.size() > 1 ? ",\"" : "\"";
    out_ += key;
    out_ += "\":";
  }
  std::string out_ = "{";
};

// Which build this is: "native", "st" (WASM SIMD) or "mt" (WASM SIMD + threads).
inline const char* build_flavour() {
#if defined(__EMSCRIPTEN_PTHREADS__) && defined(SUBQUAD_FMA)
  return "mt-fma";
#elif defined(__EMSCRIPTEN__) && defined(SUBQUAD_FMA)
  return "st-fma";
#elif defined(__EMSCRIPTEN_PTHREADS__)
  return "mt";
#elif defined(__EMSCRIPTEN__)
  return "st";
#else
  return "native";
#endif
}

}  // namespace subquad
