// Double-precision obvious loops of mamba_block and attention_block (blocks.cpp),
// from the same weights, on a prefix of `rows` output rows: the yardsticks of
// the block tests and of the bench's error column.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "ssm/ssm.hpp"

namespace subquad::ssm {

namespace {

double silu(double v) { return v / (1.0 + std::exp(-v)); }
double softplus(double v) { return v > 30 ? v : std::log1p(std::exp(v)); }

// out[rows×cols] = in[rows×K] · W (W row-major with leading dimension ldw, from column c0).
std::vector<double> matmul(const double* in, std::size_t rows, std::size_t K, const float* W,
                           std::size_t ldw, std::size_t c0, std::size_t cols) {
  std::vector<double> out(rows * cols, 0.0);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t k = 0; k < K; ++k) {
      const double a = in[i * K + k];
      for (std::size_t j = 0; j < cols; ++j) out[i * cols + j] += a * double(W[k * ldw + c0 + j]);
    }
  return out;
}

std::vector<double> widen(const float* x, std::size_t count) { return {x, x + count}; }

}  // namespace

void mamba_block_reference(const Weights& w, const float* x, std::size_t L, std::size_t rows,
                           double* y) {
  const std::size_t D = w.D, E = w.E, N = w.N, R = w.R, P = R + 2 * N;
  rows = std::min(rows, L);
  const std::vector<double> xin = widen(x, rows * D);
  const std::vector<double> xs = matmul(xin.data(), rows, D, w.in_proj.data(), 2 * E, 0, E);
  const std::vector<double> z = matmul(xin.data(), rows, D, w.in_proj.data(), 2 * E, E, E);
  std::vector<double> u(rows * E);
  for (std::size_t t = 0; t < rows; ++t)
    for (std::size_t c = 0; c < E; ++c) {
      double acc = w.conv_b[c];
      for (std::size_t j = 0; j < 4; ++j)
        if (t + j >= 3) acc += double(w.conv_w[j * E + c]) * xs[(t + j - 3) * E + c];
      u[t * E + c] = silu(acc);
    }
  const std::vector<double> dbc = matmul(u.data(), rows, E, w.x_proj.data(), P, 0, P);
  std::vector<double> low(rows * R);
  for (std::size_t t = 0; t < rows; ++t)
    for (std::size_t r = 0; r < R; ++r) low[t * R + r] = dbc[t * P + r];
  std::vector<double> delta = matmul(low.data(), rows, R, w.dt_proj.data(), E, 0, E);
  for (std::size_t t = 0; t < rows; ++t)
    for (std::size_t c = 0; c < E; ++c) delta[t * E + c] = softplus(delta[t * E + c] + w.dt_bias[c]);
  std::vector<double> h(E * N, 0.0), g(rows * E);
  for (std::size_t t = 0; t < rows; ++t)
    for (std::size_t c = 0; c < E; ++c) {
      const double dt = delta[t * E + c], ut = u[t * E + c];
      double out = double(w.Dskip[c]) * ut;
      for (std::size_t k = 0; k < N; ++k) {
        double& hk = h[c * N + k];
        hk = std::exp(dt * double(w.A[c * N + k])) * hk + dt * dbc[t * P + R + k] * ut;
        out += dbc[t * P + R + N + k] * hk;
      }
      g[t * E + c] = out * silu(z[t * E + c]);
    }
  const std::vector<double> out = matmul(g.data(), rows, E, w.out_proj.data(), D, 0, D);
  std::copy(out.begin(), out.end(), y);
}

void attention_block_reference(const Weights& w, const float* x, std::size_t L, std::size_t rows,
                               const Params& params, double* y) {
  const std::size_t D = w.D, H = w.heads, dh = D / H;
  rows = std::min(rows, L);
  const std::size_t keys = params.causal ? rows : L;  // rows of K and V any output row needs
  const std::vector<double> xin = widen(x, keys * D);
  const std::vector<double> Q = matmul(xin.data(), rows, D, w.Wq.data(), D, 0, D);
  const std::vector<double> K = matmul(xin.data(), keys, D, w.Wk.data(), D, 0, D);
  const std::vector<double> V = matmul(xin.data(), keys, D, w.Wv.data(), D, 0, D);
  const double scale = 1.0 / std::sqrt(double(dh));
  std::vector<double> O(rows * D, 0.0), s(keys);
  for (std::size_t h = 0; h < H; ++h)
    for (std::size_t i = 0; i < rows; ++i) {
      const std::size_t n = params.causal ? i + 1 : keys;
      double m = -INFINITY, sum = 0;
      for (std::size_t j = 0; j < n; ++j) {
        double dot = 0;
        for (std::size_t k = 0; k < dh; ++k) dot += Q[i * D + h * dh + k] * K[j * D + h * dh + k];
        s[j] = scale * dot;
        m = std::max(m, s[j]);
      }
      for (std::size_t j = 0; j < n; ++j) {
        const double a = std::exp(s[j] - m);
        sum += a;
        for (std::size_t k = 0; k < dh; ++k) O[i * D + h * dh + k] += a * V[j * D + h * dh + k];
      }
      for (std::size_t k = 0; k < dh; ++k) O[i * D + h * dh + k] /= sum;
    }
  const std::vector<double> out = matmul(O.data(), rows, D, w.Wo.data(), D, 0, D);
  std::copy(out.begin(), out.end(), y);
}

void mamba_block_reference_run(const Weights& w, const float* x, std::size_t L, const Params&,
                               float* y) {
  std::vector<double> r(L * w.D);
  mamba_block_reference(w, x, L, L, r.data());
  for (std::size_t i = 0; i < r.size(); ++i) y[i] = static_cast<float>(r[i]);
}

void attention_block_reference_run(const Weights& w, const float* x, std::size_t L,
                                   const Params& params, float* y) {
  std::vector<double> r(L * w.D);
  attention_block_reference(w, x, L, L, params, r.data());
  for (std::size_t i = 0; i < r.size(); ++i) y[i] = static_cast<float>(r[i]);
}

}  // namespace subquad::ssm
