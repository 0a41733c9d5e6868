// RoPE attention, the yardstick (THEORY-2.md §1; Su et al., RoFormer): position
// m rotates coordinate pair t by the angle m·θ_t, θ_t = base^(−2t/d), and
//   O_i = Σ_j exp(scale·(R_i q_i)·(R_j k_j)) v_j / Σ_j exp(…),  j ≤ i when causal.
// Rotation with std::cos/std::sin per entry and every sum in double: obvious,
// slow, and the reference of rope_flash and rope_polynomial. Also the pieces
// both share (θ, the pairs of a layout) and the rotation of one row.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "attention/reference_row.hpp"
#include "attention/rope.hpp"
#include "common/error.hpp"
#include "common/threads.hpp"

namespace subquad::attention {

std::vector<double> rope_theta(std::size_t d, double base) {
  std::vector<double> theta(d / 2);
  for (std::size_t t = 0; t < d / 2; ++t) theta[t] = std::pow(base, -2.0 * double(t) / double(d));
  return theta;
}

std::pair<std::size_t, std::size_t> rope_pair(std::size_t t, std::size_t d,
                                              const std::string& layout) {
  return layout == "half" ? std::make_pair(t, t + d / 2) : std::make_pair(2 * t, 2 * t + 1);
}

void rope_rotate_row(const float* x, std::size_t m, std::size_t d, const Params& params,
                     double* out) {
  const std::vector<double> theta = rope_theta(d, params.rope_base);
  for (std::size_t t = 0; t < d / 2; ++t) {
    const auto [a, b] = rope_pair(t, d, params.rope_layout);
    const double phi = double(m) * theta[t], c = std::cos(phi), s = std::sin(phi);
    out[a] = double(x[a]) * c - double(x[b]) * s;
    out[b] = double(x[a]) * s + double(x[b]) * c;
  }
}

namespace {

// Row i of softmax(scale·q·Kᵀ)V with q and K already rotated, in double.
void rotated_row(const double* q, const std::vector<double>& Kr, const Problem& p,
                 const Params& params, std::size_t i, double* o) {
  const std::size_t n = p.n, d = p.d, keys = params.causal ? i + 1 : n;
  const double scale = resolved_scale(params, d);
  std::vector<double> s(keys);
  for (std::size_t j = 0; j < keys; ++j) {
    double dot = 0;
    for (std::size_t k = 0; k < d; ++k) dot += q[k] * Kr[j * d + k];
    s[j] = scale * dot;
  }
  softmax_average(s.data(), keys, p.V, d, o);
}

std::vector<double> rotate_all(const float* X, std::size_t rows, std::size_t d,
                               const Params& params) {
  std::vector<double> out(rows * d);
  for (std::size_t j = 0; j < rows; ++j)
    rope_rotate_row(X + j * d, j, d, params, out.data() + j * d);
  return out;
}

}  // namespace

void rope_reference_row(const Problem& p, const Params& params, std::size_t i, double* o) {
  std::vector<double> q(p.d);
  rope_rotate_row(p.Q + i * p.d, i, p.d, params, q.data());
  rotated_row(q.data(), rotate_all(p.K, p.n, p.d, params), p, params, i, o);
}

void rope_reference(const Problem& p, const Params& params, float* O, float*, Stats&) {
  const std::size_t n = p.n, d = p.d;
  const std::vector<double> Qr = rotate_all(p.Q, n, d, params), Kr = rotate_all(p.K, n, d, params);
  std::vector<double> o(d);
  for (std::size_t i = 0; i < n; ++i) {
    if ((i & 15) == 0) throw_if_cancelled();
    rotated_row(Qr.data() + i * d, Kr, p, params, i, o.data());
    for (std::size_t k = 0; k < d; ++k) O[i * d + k] = static_cast<float>(o[k]);
  }
}

RopeRotation::RopeRotation(std::size_t positions, std::size_t d, const Params& params)
    : d_(d), h_(d / 2) {
  const std::vector<double> theta = rope_theta(d, params.rope_base);
  const std::size_t highs = (positions + kLow - 1) / kLow;
  hi_cos_.resize(highs * h_);
  hi_sin_.resize(highs * h_);
  lo_cos_.resize(kLow * h_);
  lo_sin_.resize(kLow * h_);
  first_.reserve(h_);
  second_.reserve(h_);
  for (std::size_t t = 0; t < h_; ++t) {
    const auto [a, b] = rope_pair(t, d, params.rope_layout);
    first_.push_back(a);
    second_.push_back(b);
    for (std::size_t k = 0; k < highs; ++k) {
      hi_cos_[k * h_ + t] = std::cos(double(k * kLow) * theta[t]);
      hi_sin_[k * h_ + t] = std::sin(double(k * kLow) * theta[t]);
    }
    for (std::size_t k = 0; k < kLow; ++k) {
      lo_cos_[k * h_ + t] = std::cos(double(k) * theta[t]);
      lo_sin_[k * h_ + t] = std::sin(double(k) * theta[t]);
    }
  }
}

void RopeRotation::operator()(const float* x, std::size_t m, float* out) const {
  const double *hc = hi_cos_.data() + (m / kLow) * h_, *hs = hi_sin_.data() + (m / kLow) * h_;
  const double *lc = lo_cos_.data() + (m % kLow) * h_, *ls = lo_sin_.data() + (m % kLow) * h_;
  for (std::size_t t = 0; t < h_; ++t) {
    const double c = hc[t] * lc[t] - hs[t] * ls[t], s = hs[t] * lc[t] + hc[t] * ls[t];
    const double a = x[first_[t]], b = x[second_[t]];
    out[first_[t]] = static_cast<float>(a * c - b * s);
    out[second_[t]] = static_cast<float>(a * s + b * c);
  }
}

double RopeRotation::memory_bytes(std::size_t positions, std::size_t d) {
  const double h = double(d / 2);
  return 8.0 * h * 2 * (std::ceil(positions / double(kLow)) + kLow) + 16.0 * h;
}

}  // namespace subquad::attention
