// The vector layer against scalar double-precision references.
#include <doctest.h>

#include <cmath>
#include <vector>

#include "common/rng.hpp"
#include "simd/gemm.hpp"
#include "simd/simd.hpp"

using namespace subquad;

TEST_CASE("simd::exp has relative error <= 2e-7 on [-87, 88]") {
  double worst = 0;
  for (double x = -87.0; x <= 88.0; x += 0.0137) {
    const double got = simd::exp(static_cast<float>(x));
    const double want = std::exp(static_cast<double>(static_cast<float>(x)));
    worst = std::max(worst, std::fabs(got - want) / want);
  }
  CHECK(worst <= 2e-7);
  CHECK(simd::exp(-100.0f) == 0.0f);          // underflow is exactly 0
  CHECK(std::isfinite(simd::exp(1000.0f)));   // saturates, never inf
  CHECK(simd::exp(0.0f) == doctest::Approx(1.0).epsilon(1e-7));
}

TEST_CASE("simd::exp2 has relative error <= 3e-7 on [-126, 127]") {
  double worst = 0;
  for (double x = -126.0; x <= 127.0; x += 0.00731) {
    const float xf = static_cast<float>(x);
    const double got = simd::exp2(xf);
    const double want = std::exp2(static_cast<double>(xf));
    worst = std::max(worst, std::fabs(got - want) / want);
  }
  CHECK(worst <= 3e-7);
  CHECK(simd::exp2(-127.0f) == 0.0f);
  CHECK(simd::exp2(-INFINITY) == 0.0f);  // masked scores vanish
  CHECK(std::isfinite(simd::exp2(1000.0f)));
  CHECK(simd::exp2(0.0f) == 1.0f);
}

TEST_CASE("simd::max/min/hsum/hmax lane-wise") {
  const simd::f32x4 a{1, -2, 3, -4}, b{-1, 2, -3, 4};
  const simd::f32x4 mx = simd::max(a, b), mn = simd::min(a, b);
  for (int i = 0; i < 4; ++i) {
    CHECK(mx[i] == std::max(a[i], b[i]));
    CHECK(mn[i] == std::min(a[i], b[i]));
  }
  CHECK(simd::hsum(a) == -2.0f);
  CHECK(simd::hmax(a) == 3.0f);
}

TEST_CASE("simd::gemm matches a double-precision product at awkward shapes") {
  for (std::size_t M : {1, 5, 6, 7, 13}) {
    for (std::size_t N : {1, 3, 4, 8, 9, 17}) {
      for (std::size_t K : {1, 2, 33}) {
        CAPTURE(M);
        CAPTURE(N);
        CAPTURE(K);
        const auto A = uniform_matrix(M, K, 1.0, 1), B = uniform_matrix(K, N, 1.0, 2);
        for (bool accumulate : {false, true}) {
          std::vector<float> C(M * N, 0.5f);
          simd::gemm(M, N, K, A.data(), K, B.data(), N, C.data(), N, accumulate);
          double worst = 0;
          for (std::size_t i = 0; i < M; ++i)
            for (std::size_t j = 0; j < N; ++j) {
              double want = accumulate ? 0.5 : 0.0;
              for (std::size_t k = 0; k < K; ++k) want += double(A[i * K + k]) * B[k * N + j];
              worst = std::max(worst, std::fabs(want - C[i * N + j]));
            }
          CHECK(worst <= 1e-5 * K);
        }
      }
    }
  }
}

TEST_CASE("simd::exp2_nonpositive has relative error <= 2e-7 on [-126, 0]") {
  double worst = 0;
  for (double x = -126; x <= 0; x += 0.000731) {
    const float xf = static_cast<float>(x);
    const double got = simd::exp2_nonpositive(simd::splat(xf))[0];
    const double want = std::exp2(static_cast<double>(xf));
    worst = std::max(worst, std::fabs(got - want) / want);
  }
  CHECK(worst <= 2e-7);
  CHECK(simd::exp2_nonpositive(simd::splat(0.0f))[0] == 1.0f);
  CHECK(simd::exp2_nonpositive(simd::splat(-1000.0f))[0] <= 1.2e-38f);  // floor, not 0
}
