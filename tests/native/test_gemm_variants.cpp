// Every GEMM micro-kernel variant against a double-precision product, each
// forced in turn (the pick must never change an answer beyond rounding), and
// the fused kernels that call the picked one, run under every variant.
#include <doctest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "simd/gemm.hpp"
#include "simd/gemm_variants.hpp"
#include "simd/tile.hpp"

using namespace subquad;

namespace {

// Restores the pick a test case found (other cases see the default).
struct KeepPick {
  std::string name = simd::gemm_picked().name;
  ~KeepPick() { simd::gemm_force(name); }
};

double worst_error(std::size_t M, std::size_t N, std::size_t K, const std::vector<float>& A, std::size_t lda,
                   const std::vector<float>& B, std::size_t ldb, const std::vector<float>& C, std::size_t ldc,
                   double init) {
  double worst = 0;
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = 0; j < N; ++j) {
      double want = init;
      for (std::size_t k = 0; k < K; ++k) want += double(A[i * lda + k]) * B[k * ldb + j];
      worst = std::max(worst, std::fabs(want - C[i * ldc + j]));
    }
  return worst;
}

}  // namespace

TEST_CASE("gemm variants: names are unique, say tile, ISA and pattern, and the list has several") {
  const auto& list = simd::gemm_variants();
  CHECK(list.size() >= 4);
  std::set<std::string> names;
  for (const auto& v : list) {
    CAPTURE(v.name);
    CHECK(names.insert(v.name).second);
    const std::string head = "gemm_f32_" + v.tile + "_", tail = "_" + v.pattern;
    CHECK(v.name.rfind(head, 0) == 0);
    CHECK(v.name.size() > head.size() + tail.size());
    CHECK(v.name.compare(v.name.size() - tail.size(), tail.size(), tail) == 0);
    CHECK(bool(v.fn));
  }
}

TEST_CASE("gemm variants: each matches a double-precision product (any M, N8, K, strides, accumulate)") {
  for (const auto& v : simd::gemm_variants()) {
    for (std::size_t M : {1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 64}) {
      for (std::size_t N8 : {8, 16, 40}) {
        for (std::size_t K : {1, 2, 3, 4, 5, 7, 64, 65}) {
          CAPTURE(v.name);
          CAPTURE(M);
          CAPTURE(N8);
          CAPTURE(K);
          // Strides wider than the shapes: lda = K + 3, ldb = N8 + 5, ldc = N8 + 1.
          const std::size_t lda = K + 3, ldb = N8 + 5, ldc = N8 + 1;
          const auto A = uniform_matrix(M, lda, 1.0, 11), B = uniform_matrix(K, ldb, 1.0, 12);
          for (bool accumulate : {false, true}) {
            std::vector<float> C(M * ldc, 0.25f);
            v.fn(M, N8, K, A.data(), lda, B.data(), ldb, C.data(), ldc, accumulate);
            CHECK(worst_error(M, N8, K, A, lda, B, ldb, C, ldc, accumulate ? 0.25 : 0.0) <= 1e-6 * (K + 1));
            // Nothing past the N8 columns of each row is written.
            for (std::size_t i = 0; i < M; ++i)
              if (ldc > N8) CHECK(C[i * ldc + N8] == 0.25f);
          }
        }
      }
    }
  }
}

TEST_CASE("gemm variants: forcing one routes gemm, gemm_cols8 and gemm_strip through it") {
  KeepPick keep;
  for (const auto& v : simd::gemm_variants()) {
    CAPTURE(v.name);
    simd::gemm_force(v.name);
    CHECK(simd::gemm_picked().name == v.name);
    CHECK(std::string(simd::gemm_pick_reason()) == "forced");
    CHECK(bool(simd::gemm_kernel() == v.fn));
    const std::size_t M = 13, N = 21, K = 9;
    const auto A = uniform_matrix(M, K, 1.0, 3), B = uniform_matrix(K, N, 1.0, 4);
    std::vector<float> C(M * N, 1.0f);
    simd::gemm(M, N, K, A.data(), K, B.data(), N, C.data(), N, true);
    CHECK(worst_error(M, N, K, A, K, B, N, C, N, 1.0) <= 1e-5);
    std::vector<float> S(M * 8);
    std::vector<float> Bp(K * 8);
    for (std::size_t k = 0; k < K; ++k)
      for (std::size_t j = 0; j < 8; ++j) Bp[k * 8 + j] = B[k * N + j];
    simd::gemm_strip(M, K, A.data(), K, Bp.data(), S.data(), 8);
    CHECK(worst_error(M, 8, K, A, K, Bp, 8, S, 8, 0.0) <= 1e-5);
  }
}

TEST_CASE("gemm variants: an unknown name is refused by name, listing the variants; the pick stays") {
  KeepPick keep;
  const std::string before = simd::gemm_picked().name;
  try {
    simd::gemm_force("gemm_f32_9x9_nonsense");
    FAIL("accepted an unknown variant");
  } catch (const Error& e) {
    const std::string what = e.what();
    CHECK(what.find("variant") != std::string::npos);
    CHECK(what.find(simd::gemm_variants()[0].name) != std::string::npos);
  }
  CHECK(simd::gemm_picked().name == before);
}

TEST_CASE("gemm variants: autoselect times every variant and picks the fastest it measured") {
  KeepPick keep;
  const auto timings = simd::gemm_autoselect(20);
  REQUIRE(timings.size() == simd::gemm_variants().size());
  double best = 0;
  std::string fastest;
  for (const auto& t : timings) {
    CAPTURE(t.name);
    CHECK(t.gflops > 0);
    CHECK(std::isfinite(t.gflops));
    if (t.gflops > best) best = t.gflops, fastest = t.name;
  }
  CHECK(simd::gemm_picked().name == fastest);
  CHECK(std::string(simd::gemm_pick_reason()) == "measured");
}

TEST_CASE("gemm variants: flash and exact attention agree with the double reference under every variant") {
  KeepPick keep;
  const std::size_t n = 77, d = 24;
  const auto Q = uniform_matrix(n, d, 1.0, 21), K = uniform_matrix(n, d, 1.0, 22), V = uniform_matrix(n, d, 1.0, 23);
  std::vector<float> ref(n * d), out(n * d);
  attention::Problem p;
  p.n = n, p.d = d, p.Q = Q.data(), p.K = K.data(), p.V = V.data();
  attention::Stats stats;
  attention::Params params;
  params.causal = true;
  attention::run("exact_reference", p, params, ref.data(), stats);
  for (const auto& v : simd::gemm_variants()) {
    simd::gemm_force(v.name);
    for (const char* method : {"flash", "exact"}) {
      CAPTURE(v.name);
      CAPTURE(method);
      attention::run(method, p, params, out.data(), stats);
      double worst = 0;
      for (std::size_t i = 0; i < n * d; ++i) worst = std::max(worst, double(std::fabs(out[i] - ref[i])));
      CHECK(worst <= 2e-5);
    }
  }
}
