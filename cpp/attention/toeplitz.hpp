// Toeplitz matrix–vector products by FFT (THEORY-2.md §1, step 4): for a kernel
// t(Δ), Δ ∈ (−n, n), y_i = Σ_j t(i − j) z_j for several columns z at once. The
// n×n Toeplitz matrix is embedded in a circulant of length L = the power of two
// ≥ 2n − 1: ker[Δ mod L] = t(Δ), y = IFFT(FFT(ker) · FFT(pad(z)))[0, n).
//
// The FFT is our own iterative radix-2 in double, on split re/im arrays with the
// columns innermost, so each butterfly runs over all columns in one contiguous
// loop (vectorised across columns); two real columns share one complex
// transform (z_a + i·z_b: the kernel is real, so the real and imaginary parts of
// the product are the two Toeplitz products). Internal to cpp/attention/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace subquad::attention {

class ToeplitzFFT {
 public:
  explicit ToeplitzFFT(std::size_t n);
  std::size_t length() const { return L_; }

  // Per-thread buffers for apply().
  struct Work {
    std::vector<double> kre, kim, zre, zim;
  };
  // Y (n × cols, row-major) = Toep(t) Z (n × cols), t[Δ + n − 1] = t(Δ) (2n − 1 values).
  void apply(const double* t, const double* Z, std::size_t cols, double* Y, Work& work) const;
  // Bytes of one Work for `cols` columns, and of the shared tables.
  static double work_bytes(std::size_t n, std::size_t cols);
  static double table_bytes(std::size_t n);

  // In-place FFT of `C` columns (row r, column c at [r·C + c]); inverse scales by 1/L.
  void fft(double* re, double* im, std::size_t C, bool inverse) const;

 private:
  std::size_t n_, L_, log2L_;
  std::vector<double> cos_, sin_;   // e^{−2πi m/L}: cos, sin of 2πm/L, m < L/2
  std::vector<std::uint32_t> rev_;  // bit reversal of [0, L)
};

std::size_t toeplitz_fft_length(std::size_t n);

}  // namespace subquad::attention
