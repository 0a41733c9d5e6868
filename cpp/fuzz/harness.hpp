// Fuzz harnesses: each drives one public entry-point family with shapes,
// parameters and values decoded from the fuzzer's bytes. They return 0 and
// abort only on a real bug (crash, sanitizer report, or a result that breaks
// an invariant). libFuzzer mains call them (cpp/fuzz/main_*.cpp) and the
// doctest suite replays every saved finding (tests/fuzz-regressions/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace subquad::fuzz {

int attention(const std::uint8_t* data, std::size_t size);
int ssm(const std::uint8_t* data, std::size_t size);
int pairs(const std::uint8_t* data, std::size_t size);
int text(const std::uint8_t* data, std::size_t size);
int options(const std::uint8_t* data, std::size_t size);
int grad(const std::uint8_t* data, std::size_t size);
int collapse(const std::uint8_t* data, std::size_t size);
int simulate(const std::uint8_t* data, std::size_t size);
int neurons(const std::uint8_t* data, std::size_t size);
int tensor(const std::uint8_t* data, std::size_t size);
int kernel(const std::uint8_t* data, std::size_t size);

// name → harness, for the replay test and the runner script.
struct Target {
  const char* name;
  int (*run)(const std::uint8_t*, std::size_t);
};
const std::vector<Target>& targets();

// Reads bytes in order; past the end it yields zeros, so every input decodes.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
  // A float that is usually ordinary (|x| ≤ scale) and now and then NaN, ±inf,
  // huge or subnormal, so validation paths get exercised too.
  float value(float scale) {
    const std::uint8_t tag = u8();
    const float unit = (static_cast<float>(u16()) / 65535.0f) * 2.0f - 1.0f;
    switch (tag) {
      case 255: return __builtin_nanf("");
      case 254: return __builtin_inff();
      case 253: return -__builtin_inff();
      case 252: return 3e38f * unit;
      case 251: return 1e-42f * unit;
      default: return scale * unit;
    }
  }
  bool empty() const { return pos_ >= size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_, pos_ = 0;
};

}  // namespace subquad::fuzz
