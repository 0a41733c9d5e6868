// The attention construction for bichromatic Max-IP against brute force.
#include <doctest.h>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "experiments/construction.hpp"

using namespace subquad;
using namespace subquad::experiments;

TEST_CASE("planted instances have a unique optimum at the planted pair") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const Bichromatic x = planted_maxip(40, 32, 0.3, seed);
    const Pair p = maxip_brute_force(x);
    // Unique: every other pair is strictly smaller.
    for (std::size_t i = 0; i < x.n; ++i)
      for (std::size_t j = 0; j < x.n; ++j) {
        if (i == p.i && j == p.j) continue;
        double v = 0;
        for (std::size_t k = 0; k < x.l; ++k) v += x.A[i * x.l + k] * x.B[j * x.l + k];
        CHECK(v < p.value);
      }
  }
}

TEST_CASE("exact attention with beta = 2 ln n finds the exact pair on 100 instances") {
  // flash, when registered, must do the same: it is the method the page uses.
  std::vector<std::string> methods = {"exact"};
  for (const auto& m : attention::methods())
    if (std::string(m.name) == "flash") methods.push_back("flash");
  for (const auto& method : methods) {
    int solved = 0;
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
      const Bichromatic x = planted_maxip(48, 24, 0.3, seed);
      const Outcome o = maxip_by_attention(x, method, 2.0, 1, {});
      solved += o.exact;
    }
    CAPTURE(method);
    CHECK(solved == 100);
  }
}

TEST_CASE("too small a beta does not concentrate: rows name the wrong partner") {
  double decoded_small = 0, decoded_right = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const Bichromatic x = planted_maxip(128, 32, 0.3, seed);
    decoded_small += maxip_by_attention(x, "exact", 0.05, 1, {}).decoded;
    decoded_right += maxip_by_attention(x, "exact", 2.0, 1, {}).decoded;
  }
  CHECK(decoded_right / 10 > 0.9);
  CHECK(decoded_small / 10 < 0.5);
}

TEST_CASE("the sketch reader is exact with a large state on small n, and refuses a zero state") {
  const Bichromatic x = planted_maxip(16, 32, 0.3, 3);
  CHECK(maxip_by_sketch_reader(x, 1 << 14, 1).ratio > 0.5);
  CHECK_THROWS_AS(maxip_by_sketch_reader(x, 0, 1), Error);
  CHECK_THROWS_AS(planted_maxip(1, 32, 0.3, 1), Error);
  CHECK_THROWS_AS(maxip_by_attention(x, "exact", -1, 1, {}), Error);
}
