// Every attention method against the double-precision reference, over the
// registry and awkward shapes.
#include <doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"

using namespace subquad;
using namespace subquad::attention;

namespace {

struct Case {
  std::size_t n, d;
  double B;
  bool causal;
};

double error_vs_reference(const std::string& method, const Case& c, int threads,
                          double scale = 0) {
  const auto Q = uniform_matrix(c.n, c.d, c.B, 11), K = uniform_matrix(c.n, c.d, c.B, 12),
             V = uniform_matrix(c.n, c.d, c.B, 13);
  Problem p{c.n, c.d, Q.data(), K.data(), V.data()};
  Params params;
  params.causal = c.causal;
  params.threads = threads;
  params.scale = scale;
  std::vector<float> out(c.n * c.d), ref(c.n * c.d);
  Stats stats;
  run(method, p, params, out.data(), stats);
  run("exact_reference", p, params, ref.data(), stats);
  return relative_error(out.data(), ref.data(), out.size());
}

}  // namespace

TEST_CASE("exact_reference equals a closed form: identical keys give the mean of V") {
  // All keys equal → every score in a row is equal → output = column means of V.
  const std::size_t n = 5, d = 3;
  std::vector<float> Q = uniform_matrix(n, d, 2.0, 1), K(n * d, 0.7f), V = uniform_matrix(n, d, 1.0, 2);
  std::vector<float> out(n * d);
  Stats stats;
  exact_reference({n, d, Q.data(), K.data(), V.data()}, Params{}, out.data(), stats);
  for (std::size_t k = 0; k < d; ++k) {
    double mean = 0;
    for (std::size_t j = 0; j < n; ++j) mean += V[j * d + k];
    mean /= n;
    for (std::size_t i = 0; i < n; ++i) CHECK(out[i * d + k] == doctest::Approx(mean).epsilon(1e-6));
  }
}

TEST_CASE("fast exact methods match exact_reference within 1e-5 (relative)") {
  const std::vector<Case> cases = {
      {1, 1, 1.0, false},  {1, 64, 1.0, false}, {7, 3, 1.0, false},   {13, 1, 2.0, true},
      {97, 64, 1.0, false}, {97, 64, 1.0, true}, {256, 8, 1.0, false}, {300, 17, 3.0, true},
  };
  for (const auto& m : methods()) {
    const std::string name = m.name;
    if (name == "exact_reference" || !m.exact) continue;
    for (const auto& c : cases) {
      for (int threads : {1, max_threads()}) {
        CAPTURE(name);
        CAPTURE(c.n);
        CAPTURE(c.d);
        CAPTURE(c.B);
        CAPTURE(c.causal);
        CAPTURE(threads);
        CHECK(error_vs_reference(name, c, threads) <= 1e-5);
      }
    }
  }
}

TEST_CASE("large entries, where a naive exp would overflow, stay finite and accurate") {
  // Scores reach ±B²·d·scale = ±800. Float32 inputs make each score uncertain by
  // about eps32·Σ|q_k k_k| ≈ 6e-8·800, which softmax turns into a relative
  // output error of that size: the bound below is that conditioning, times 4.
  const Case c{130, 64, 10.0, false};
  const double bound = 4 * 6e-8 * (c.B * c.B * c.d / 8.0);
  for (const auto& m : methods()) {
    if (std::string(m.name) == "exact_reference" || !m.exact) continue;
    const std::string name = m.name;
    CAPTURE(name);
    const double err = error_vs_reference(name, c, max_threads());
    CHECK(std::isfinite(err));
    CHECK(err <= bound);
  }
}

TEST_CASE("the papers' scale 1/d is honoured") {
  CHECK(error_vs_reference("exact", {50, 16, 2.0, false}, 1, 1.0 / 16) <= 1e-5);
}

TEST_CASE("bad input gets an Error naming the parameter") {
  std::vector<float> x(12, 1.0f), out(12);
  Stats stats;
  const Params params;
  CHECK_THROWS_WITH_AS(run("exact", {0, 3, x.data(), x.data(), x.data()}, params, out.data(), stats),
                       doctest::Contains("n: got 0"), Error);
  CHECK_THROWS_WITH_AS(run("exact", {4, 0, x.data(), x.data(), x.data()}, params, out.data(), stats),
                       doctest::Contains("d: got 0"), Error);
  CHECK_THROWS_WITH_AS(run("nope", {4, 3, x.data(), x.data(), x.data()}, params, out.data(), stats),
                       doctest::Contains("unknown attention method"), Error);
  std::vector<float> bad = x;
  bad[5] = NAN;
  CHECK_THROWS_WITH_AS(run("exact", {4, 3, x.data(), bad.data(), x.data()}, params, out.data(), stats),
                       doctest::Contains("K: entry 5"), Error);
  std::vector<float> huge = x;
  huge[2] = 3e38f;
  CHECK_THROWS_WITH_AS(run("exact", {4, 3, huge.data(), x.data(), x.data()}, params, out.data(), stats),
                       doctest::Contains("Q: entry 2 is 3e+38, must satisfy |x| <= 1e+15"), Error);
  Params neg;
  neg.scale = -1;
  CHECK_THROWS_WITH_AS(run("exact", {4, 3, x.data(), x.data(), x.data()}, neg, out.data(), stats),
                       doctest::Contains("scale"), Error);
  set_memory_budget_bytes(1024);
  CHECK_THROWS_WITH_AS(run("exact", {4, 3, x.data(), x.data(), x.data()}, params, out.data(), stats),
                       doctest::Contains("memory budget"), Error);
  set_memory_budget_bytes(0);
  // The library still answers correctly afterwards.
  CHECK(error_vs_reference("exact", {9, 3, 1.0, false}, 0) <= 1e-5);
}
