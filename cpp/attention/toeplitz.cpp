#include "attention/toeplitz.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace subquad::attention {

std::size_t toeplitz_fft_length(std::size_t n) {
  std::size_t L = 1;
  while (L < 2 * n - 1) L <<= 1;
  return L;
}

ToeplitzFFT::ToeplitzFFT(std::size_t n) : n_(n), L_(toeplitz_fft_length(n)), log2L_(0) {
  while ((std::size_t(1) << log2L_) < L_) ++log2L_;
  cos_.resize(std::max<std::size_t>(L_ / 2, 1));
  sin_.resize(cos_.size());
  for (std::size_t m = 0; m < cos_.size(); ++m) {
    const double a = 2 * M_PI * double(m) / double(L_);
    cos_[m] = std::cos(a);
    sin_[m] = std::sin(a);
  }
  rev_.resize(L_);
  for (std::size_t i = 0; i < L_; ++i) {
    std::uint32_t r = 0;
    for (std::size_t b = 0; b < log2L_; ++b) r |= ((i >> b) & 1u) << (log2L_ - 1 - b);
    rev_[i] = r;
  }
}

void ToeplitzFFT::fft(double* re, double* im, std::size_t C, bool inverse) const {
  for (std::size_t i = 0; i < L_; ++i) {
    const std::size_t j = rev_[i];
    if (i < j)
      for (std::size_t c = 0; c < C; ++c) {
        std::swap(re[i * C + c], re[j * C + c]);
        std::swap(im[i * C + c], im[j * C + c]);
      }
  }
  const double sign = inverse ? 1.0 : -1.0;
  for (std::size_t len = 2; len <= L_; len <<= 1) {
    const std::size_t half = len / 2, step = L_ / len;
    for (std::size_t start = 0; start < L_; start += len) {
      for (std::size_t k = 0; k < half; ++k) {
        const double wr = cos_[k * step], wi = sign * sin_[k * step];
        double* __restrict ar = re + (start + k) * C;
        double* __restrict ai = im + (start + k) * C;
        double* __restrict br = re + (start + k + half) * C;
        double* __restrict bi = im + (start + k + half) * C;
        for (std::size_t c = 0; c < C; ++c) {  // every column under one twiddle
          const double tr = br[c] * wr - bi[c] * wi, ti = br[c] * wi + bi[c] * wr;
          br[c] = ar[c] - tr;
          bi[c] = ai[c] - ti;
          ar[c] += tr;
          ai[c] += ti;
        }
      }
    }
  }
  if (inverse) {
    const double inv = 1.0 / double(L_);
    for (std::size_t i = 0; i < L_ * C; ++i) {
      re[i] *= inv;
      im[i] *= inv;
    }
  }
}

void ToeplitzFFT::apply(const double* t, const double* Z, std::size_t cols, double* Y,
                        Work& w) const {
  const std::size_t n = n_, L = L_, C = (cols + 1) / 2;
  w.kre.assign(L, 0.0);
  w.kim.assign(L, 0.0);
  for (std::size_t D = 0; D < n; ++D) w.kre[D] = t[n - 1 + D];      // Δ ≥ 0
  for (std::size_t D = 1; D < n; ++D) w.kre[L - D] = t[n - 1 - D];  // Δ < 0 → L − |Δ|
  fft(w.kre.data(), w.kim.data(), 1, false);
  w.zre.assign(L * C, 0.0);
  w.zim.assign(L * C, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < cols; ++c) (c % 2 ? w.zim : w.zre)[i * C + c / 2] = Z[i * cols + c];
  fft(w.zre.data(), w.zim.data(), C, false);
  for (std::size_t r = 0; r < L; ++r) {
    const double kr = w.kre[r], ki = w.kim[r];
    for (std::size_t c = 0; c < C; ++c) {
      const double a = w.zre[r * C + c], b = w.zim[r * C + c];
      w.zre[r * C + c] = a * kr - b * ki;
      w.zim[r * C + c] = a * ki + b * kr;
    }
  }
  fft(w.zre.data(), w.zim.data(), C, true);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < cols; ++c) Y[i * cols + c] = (c % 2 ? w.zim : w.zre)[i * C + c / 2];
}

double ToeplitzFFT::work_bytes(std::size_t n, std::size_t cols) {
  const double L = double(toeplitz_fft_length(n));
  return 16.0 * L + 16.0 * L * double((cols + 1) / 2);
}

double ToeplitzFFT::table_bytes(std::size_t n) {
  const double L = double(toeplitz_fft_length(n));
  return 16.0 * std::max(L / 2, 1.0) + 4.0 * L;
}

}  // namespace subquad::attention
