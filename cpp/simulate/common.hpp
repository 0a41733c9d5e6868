// Pieces every mode shares: the inputs in the oracle's precision, writing a
// row of the result, the oracle's limits. Internal to cpp/simulate/.
#pragma once

#include <cmath>
#include <type_traits>
#include <vector>

#include "simulate/simulate.hpp"

namespace subquad::simulate::detail {

// An input in the oracle's precision: float32 reads the caller's array as it
// is (no copy: O(N·d) traffic and memory a long sequence should not pay);
// float64 holds a widened copy.
template <class T>
class Input {
 public:
  explicit Input(const View& v) {
    if constexpr (std::is_same_v<T, float>)
      data_ = v.data;
    else {
      copy_.assign(v.data, v.data + v.size);
      data_ = copy_.data();
    }
  }
  const T& operator[](std::size_t i) const { return data_[i]; }
  const T* data() const { return data_; }

 private:
  const T* data_ = nullptr;
  std::vector<T> copy_;
};

template <class T>
Input<T> widen(const View& v) {
  return Input<T>(v);
}

template <class T>
void write_row(const Output& out, std::size_t i, std::size_t d, const T* row, double ln_norm) {
  for (std::size_t k = 0; k < d; ++k) {
    if constexpr (std::is_same_v<T, float>)
      out.O[i * d + k] = row[k];
    else
      out.O64[i * d + k] = row[k];
  }
  if (out.ln_norm) out.ln_norm[i] = ln_norm;
}

// Running log-sum-exp merge of partial results (ℓ, o): o = Σ e^{ℓ_t} o_t / Σ e^{ℓ_t}.
template <class T>
struct Merge {
  std::size_t d;
  std::vector<T> m, s, acc;
  Merge(std::size_t rows, std::size_t d_) : d(d_), m(rows, T(-INFINITY)), s(rows, T(0)), acc(rows * d_, T(0)) {}
  void add(std::size_t i, T l, const T* o) {
    const T mn = std::max(m[i], l);
    const T a = std::exp(m[i] - mn), b = std::exp(l - mn);
    s[i] = s[i] * a + b;
    for (std::size_t k = 0; k < d; ++k) acc[i * d + k] = acc[i * d + k] * a + o[k] * b;
    m[i] = mn;
  }
  void finish(std::size_t i, T* row) const {
    for (std::size_t k = 0; k < d; ++k) row[k] = acc[i * d + k] / s[i];
  }
  double ln(std::size_t i) const { return double(m[i]) + std::log(double(s[i])); }
};

}  // namespace subquad::simulate::detail
