// Options under fuzzing: any family, any method name, any keys and values
// (known names with edge values, or arbitrary text) and any dimensions,
// through the family's strict parser and cost model — what every run and
// every page estimate goes through first. It must answer with a finite,
// non-negative cost or refuse with subquad::Error; and an unknown key must
// never be accepted.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/error.hpp"
#include "common/schema.hpp"
#include "fuzz/harness.hpp"

namespace subquad::fuzz {

namespace {

std::string word(Bytes& in, std::size_t max) {
  std::string s;
  const std::size_t len = in.u8() % (max + 1);
  for (std::size_t i = 0; i < len; ++i) s += static_cast<char>(in.u8());
  return s;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

int options(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  const auto& all = families();
  const Family& f = *all[in.u8() % all.size()];
  const std::string method = in.u8() < 240 ? f.methods[in.u8() % f.methods.size()].name : word(in, 12);
  Options o;
  bool unknown = false;
  const int count = in.u8() % 6;
  for (int k = 0; k < count; ++k) {
    const std::uint8_t how = in.u8();
    std::string key;
    if (how < 200) {
      key = f.options[in.u8() % f.options.size()].name;
    } else {
      key = word(in, 10);
      bool listed = false;
      for (const auto& spec : f.options) listed = listed || spec.name == key;
      unknown = unknown || !listed;
    }
    std::string value;
    const std::uint8_t v = in.u8();
    bool found = false;
    for (const auto& spec : f.options) {
      if (spec.name != key) continue;
      found = true;
      switch (v % 6) {
        case 0: value = spec.fallback; break;
        case 1: value = number(spec.min); break;
        case 2: value = number(spec.max); break;
        case 3: value = number(spec.max + 1); break;
        case 4: value = spec.values.empty() ? "true" : spec.values[in.u8() % spec.values.size()]; break;
        default: value = word(in, 12);
      }
    }
    if (!found) value = word(in, 12);
    o.set(key, value);
  }
  Dims dims;
  for (const auto& dim : f.dims) {
    const std::uint8_t how = in.u8();
    if (how == 0 && dim.name != f.dims.front().name) continue;  // optional (n_k, m) or missing
    const double pick[] = {dim.min, dim.max, dim.max + 1, 0, -1, 1.5, double(in.u16()), 1e300};
    dims[dim.name] = pick[how % 8];
  }
  if (in.u8() == 255) dims[word(in, 6)] = 3;
  try {
    const Cost c = f.cost(method, dims, o);
    if (unknown) {
      std::fprintf(stderr, "%s.%s accepted an unknown option\n", f.name.c_str(), method.c_str());
      std::abort();
    }
    if (!(c.flops >= 0 && c.bytes >= 0 && c.memory_bytes >= 0) || std::isnan(c.flops + c.bytes + c.memory_bytes)) {
      std::fprintf(stderr, "%s.%s: cost %g flops, %g bytes, %g memory\n", f.name.c_str(), method.c_str(), c.flops,
                   c.bytes, c.memory_bytes);
      std::abort();
    }
  } catch (const Error&) {
    // refused with a named error: fine
  }
  return 0;
}

}  // namespace subquad::fuzz
