// Tensor attention under fuzzing: any method, any small shape (n up to 80, so
// the exact kernel crosses its 64-row tiles), any values and windows (0 must be
// refused), threads that may exceed the pool. Invalid input must raise
// subquad::Error (nothing else). Valid input: exact and windowed must agree
// with the double triple loop within a tolerance that grows with the scores'
// float uncertainty; polynomial (an approximation) must not crash. Then a
// Match3 instance from the same bytes: the tensor layer must equal brute force.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "fuzz/harness.hpp"
#include "tensor/tensor.hpp"

namespace subquad::fuzz {

int tensor(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  const auto& list = tensor::methods();
  const std::string name = list[in.u8() % list.size()].name;
  const std::size_t n = 1 + in.u8() % 80, d = 1 + in.u8() % 8;
  tensor::Params params;
  params.causal = in.u8() & 1;
  params.threads = in.u8() % 3;  // 2 may exceed the pool: must be an Error
  params.w1 = in.u8() % (n + 3);  // 0 must be refused
  params.w2 = in.u8() % (n + 3);
  const std::uint8_t s = in.u8();
  params.scale = s < 128 ? 0 : (s - 127) * 0.05;
  int b = in.u8();
  params.degree = b == 255 ? 13 : b % 13;
  params.poly = (in.u8() & 1) ? "taylor" : "chebyshev";
  b = in.u8();
  params.R = b == 255 ? 70 : (b < 128 ? 0 : (b - 127) * 0.1);
  while (params.degree > 0 && params.degree <= 12 && attention::poly_rank(d, params.degree) > 4096) --params.degree;
  const float scale = 0.25f + static_cast<float>(in.u8() % 16) * 0.25f;
  std::vector<float> X[5];
  for (auto& m : X) {
    m.resize(n * d);
    for (auto& x : m) x = in.value(scale);
  }
  const tensor::Problem p{n, d, X[0].data(), X[1].data(), X[2].data(), X[3].data(), X[4].data()};
  std::vector<float> O(n * d);
  tensor::Stats stats;
  bool ok = true;
  try {
    tensor::run(name, p, params, O.data(), stats);
  } catch (const Error&) {
    ok = false;  // refused with a named error: fine
  }
  if (ok && name == "polynomial" && params.causal) {
    std::fprintf(stderr, "polynomial accepted causal\n");
    std::abort();
  }
  if (ok && name == "windowed" && (params.w1 < 1 || params.w2 < 1)) {
    std::fprintf(stderr, "windowed accepted a window < 1\n");
    std::abort();
  }
  if (ok && (name == "exact" || name == "windowed")) {
    const double sc = tensor::resolved_scale(params, d);
    double vmax = 0;
    for (std::size_t t = 0; t < n * d; ++t)
      vmax = std::max(vmax, std::fabs(double(X[3][t])) * std::fabs(double(X[4][t])) + std::fabs(double(X[3][t])) +
                                std::fabs(double(X[4][t])));
    double smax = 0;  // largest Σ|q k₁ k₂|: the float uncertainty of a score is ≈ 6e-8 of it
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        for (std::size_t k = 0; k < n; ++k) {
          double t = 0;
          for (std::size_t l = 0; l < d; ++l) t += std::fabs(double(X[0][i * d + l]) * X[1][j * d + l] * X[2][k * d + l]);
          smax = std::max(smax, t);
        }
    const double eps = 1e-5 + 32 * 6e-8 * smax * sc * 1.4427;
    std::vector<double> r(d);
    for (std::size_t i = 0; i < n; ++i) {
      tensor::reference_row(p, params, i, r.data(), name == "windowed");
      for (std::size_t l = 0; l < d; ++l) {
        const double diff = std::fabs(double(O[i * d + l]) - r[l]);
        if (!(diff <= 8 * eps * vmax + 1e-30)) {
          std::fprintf(stderr, "%s O[%zu,%zu] = %.9g vs reference %.9g (eps %g, vmax %g; n=%zu d=%zu causal=%d w=%zu,%zu)\n",
                       name.c_str(), i, l, O[i * d + l], r[l], eps, vmax, n, d, int(params.causal), params.w1, params.w2);
          std::abort();
        }
      }
    }
  }
  // Match3 on tokens from the remaining bytes.
  const std::uint32_t M = 2 + in.u16() % 2047;
  const std::size_t tokens = 1 + in.u8() % 24;
  std::vector<std::uint32_t> x(tokens);
  for (auto& t : x) t = in.u16() % M;
  const auto truth = tensor::match3_brute_force(x, M);
  if (tensor::match3_tensor(x, M, 1).says != truth) {
    std::fprintf(stderr, "Match3: the tensor layer disagrees with brute force (n=%zu M=%u)\n", tokens, M);
    std::abort();
  }
  return 0;
}

}  // namespace subquad::fuzz
