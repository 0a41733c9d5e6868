// Seeded generators whose output is bit-identical natively and in WASM
// (no std:: distributions: their algorithms differ between libstdc++ and libc++).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace subquad {

// SplitMix64 (Steele, Lea, Flood 2014): tiny, full period, good enough for test data.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next_u64() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n) { return n ? next_u64() % n : 0; }
  // Standard normal by Box–Muller (one value per call; simple over fast).
  double gaussian() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::uint64_t state_;
};

// Entries uniform in [-B, B]: the bounded-entry model of Alman–Song (arXiv 2302.13214).
inline std::vector<float> uniform_matrix(std::size_t rows, std::size_t cols, double B,
                                         std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> m(rows * cols);
  for (auto& x : m) x = static_cast<float>(rng.uniform(-B, B));
  return m;
}

inline std::vector<float> gaussian_matrix(std::size_t rows, std::size_t cols, double stddev,
                                          std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> m(rows * cols);
  for (auto& x : m) x = static_cast<float>(stddev * rng.gaussian());
  return m;
}

}  // namespace subquad
