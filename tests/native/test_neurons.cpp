// The neurons family (cpp/neurons/): the trees' queries against brute force,
// dtree against dense step by step, dense against the double reference, the
// repaired trees against fresh ones, the firing fraction against the Gaussian
// tail, the planted Max-IP pair, bad input.
#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "neurons/neurons.hpp"
#include "support.hpp"

using namespace subquad;
using namespace subquad::neurons;
using subquad::testing::message_of;

namespace {

Network make(std::size_t n, std::size_t m, std::size_t d, double b, std::uint64_t seed = 1,
             const char* data = "gaussian") {
  Config c;
  c.n = n;
  c.m = m;
  c.d = d;
  c.b = b;
  c.seed = seed;
  c.data = data;
  return make_network(c);
}

// ‖a − b‖ / ‖b‖ (b ≠ 0), else ‖a‖.
double rel(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

double correlation(const Network& net, std::size_t i, std::size_t r) {
  double z = 0;
  for (std::size_t k = 0; k < net.d; ++k) z += double(net.X[i * net.d + k]) * net.W[r * net.d + k];
  return z;
}

unsigned ceil_log2(std::size_t m) {
  unsigned l = 0;
  while ((std::size_t(1) << l) < m) ++l;
  return l;
}

Params with(std::size_t batch, bool update = true, int threads = 0) {
  Params p;
  p.batch = batch;
  p.update = update;
  p.threads = threads;
  return p;
}

}  // namespace

TEST_CASE("neurons: query(i, b) is the brute-force set, within 2·k·⌈log₂ m⌉ + 1 node visits") {
  struct Shape {
    std::size_t n, m, d;
  };
  for (const Shape sh : {Shape{1, 1, 1}, Shape{3, 2, 1}, Shape{7, 100, 5}, Shape{13, 256, 16}, Shape{5, 1000, 32}}) {
    for (const double b : {-0.5, 0.0, 1.0, 2.5}) {
      CAPTURE(sh.m);
      CAPTURE(b);
      Network net = make(sh.n, sh.m, sh.d, b, 3);
      build_trees(net, 0);
      for (std::size_t i = 0; i < sh.n; ++i) {
        std::vector<std::uint32_t> set;
        const std::size_t visits = query(net, i, b, set);
        // Exactly the leaves above b (the tree's own values)…
        std::vector<std::uint32_t> leaves;
        for (std::size_t r = 0; r < sh.m; ++r)
          if (double(net.trees[i * 2 * net.P + net.P + r]) > b) leaves.push_back(std::uint32_t(r));
        CHECK(set == leaves);
        // …which are the double-precision correlations above b, but for float rounding at the threshold.
        for (std::size_t r = 0; r < sh.m; ++r) {
          const double z = correlation(net, i, r);
          const bool in = std::binary_search(set.begin(), set.end(), std::uint32_t(r));
          if (std::fabs(z - b) > 1e-5) CHECK(in == (z > b));
        }
        CHECK(visits <= 2 * set.size() * ceil_log2(sh.m) + 1);
      }
      // The interleaved searches dtree runs give the same sets and visits.
      std::vector<std::size_t> points(sh.n), visits(sh.n);
      for (std::size_t i = 0; i < sh.n; ++i) points[i] = (i * 7 + 3) % sh.n;
      std::vector<std::vector<std::uint32_t>> sets(sh.n);
      query_many(net, points.data(), sh.n, b, sets.data(), visits.data());
      for (std::size_t j = 0; j < sh.n; ++j) {
        std::vector<std::uint32_t> one;
        CHECK(visits[j] == query(net, points[j], b, one));
        CHECK(sets[j] == one);
      }
    }
  }
}

TEST_CASE("neurons: dtree's forward and gradient equal dense's every step of 20, full batch and mini-batch") {
  for (const std::size_t batch : {std::size_t(0), std::size_t(16)}) {
    for (const double b : {0.5, 1.5}) {
      CAPTURE(batch);
      CAPTURE(b);
      Network a = make(50, 300, 7, b, 5), t = make(50, 300, 7, b, 5);
      double moved = 0;
      for (int s = 0; s < 20; ++s) {
        CAPTURE(s);
        Trace ta, tt;
        Params p = with(batch);
        p.lr = 2;
        const Record ra = step("dense", a, p, &ta), rt = step("dtree", t, p, &tt);
        CHECK(ra.fired == rt.fired);
        CHECK(ra.moved == rt.moved);
        CHECK(rel(tt.f, ta.f) <= 1e-6);
        CHECK(rel(tt.G, ta.G) <= 1e-6);
        CHECK(std::fabs(ra.loss - rt.loss) <= 1e-6 * ra.loss);
        CHECK(rt.visits > 0);
        moved += rt.moved;
      }
      CHECK(moved > 0);
      CHECK(rel(std::vector<double>(t.W.begin(), t.W.end()), std::vector<double>(a.W.begin(), a.W.end())) <= 1e-6);
    }
  }
}

TEST_CASE("neurons: dense equals the double reference (forward, gradient, weights over 3 steps)") {
  for (const int threads : {1, 2}) {
    if (threads > max_threads()) continue;
    Network a = make(61, 130, 9, 0.7, 8), r = make(61, 130, 9, 0.7, 8);
    for (int s = 0; s < 3; ++s) {
      Trace ta, tr;
      const Record ra = step("dense", a, with(0, true, threads), &ta), rr = step("reference", r, with(0), &tr);
      CHECK(rel(ta.f, tr.f) <= 1e-5);
      CHECK(rel(ta.G, tr.G) <= 1e-4);
      CHECK(std::fabs(ra.fired - rr.fired) <= 2);
      CHECK(std::fabs(ra.loss - rr.loss) <= 1e-5 * rr.loss);
    }
    CHECK(rel(std::vector<double>(a.W.begin(), a.W.end()), std::vector<double>(r.W.begin(), r.W.end())) <= 1e-5);
  }
}

TEST_CASE("neurons: after k random updates the repaired trees equal a fresh rebuild") {
  for (const std::size_t m : {std::size_t(1), std::size_t(37), std::size_t(512)}) {
    CAPTURE(m);
    Network net = make(29, m, 6, 0.3, 11);
    build_trees(net, 0);
    Rng rng(99);
    for (int round = 0; round < 5; ++round) {
      std::vector<std::uint32_t> moved;
      for (std::size_t r = 0; r < m; ++r)
        if (rng.uniform() < 0.2) moved.push_back(std::uint32_t(r));
      for (const std::uint32_t r : moved)
        for (std::size_t k = 0; k < net.d; ++k) net.W[r * net.d + k] += float(rng.gaussian());
      update_trees(net, moved, 0);
      for (std::size_t i = 0; i < net.n; ++i) {
        const std::vector<float> fresh = fresh_tree(net, i);
        CHECK(std::equal(fresh.begin() + 1, fresh.end(), net.trees.begin() + i * 2 * net.P + 1));
      }
    }
  }
}

TEST_CASE("neurons: the measured firing fraction is the Gaussian tail Φ̄(b) within sampling error") {
  const std::size_t n = 200, m = 2000, d = 32;
  for (const double b : {0.0, 1.0, 2.0, 3.0}) {
    Network net = make(n, m, d, b, 21);
    const Record rec = step("dtree", net, with(0, false));
    const double p = gaussian_tail(b);
    // Pairs share their w's and x's: count the m neurons as the independent samples.
    const double sigma = std::sqrt(p * (1 - p) / m);
    CAPTURE(b);
    CAPTURE(rec.firing_fraction);
    CAPTURE(p);
    CHECK(std::fabs(rec.firing_fraction - p) <= 4 * sigma + 1e-4);
  }
}

TEST_CASE("neurons: a planted Max-IP pair is the one pair the trees report") {
  Network net = make(128, 1024, 64, 0.8, 4, "planted");
  REQUIRE(net.planted_i >= 0);
  const Record rec = step("dtree", net, with(0, false));
  CHECK(rec.fired == 1);
  std::vector<std::uint32_t> set;
  query(net, std::size_t(net.planted_i), net.b, set);
  CHECK(set == std::vector<std::uint32_t>{std::uint32_t(net.planted_r)});
  // Every other query stops at the root or just below it.
  CHECK(rec.visits <= double(net.n) + 2.0 * ceil_log2(net.m));
}

TEST_CASE("neurons: bad input is refused by name and the next call works") {
  CHECK(message_of([] { make(0, 4, 4, 1); }).rfind("n: got 0", 0) == 0);
  CHECK(message_of([] { make(4, kMaxM + 1, 4, 1); }).rfind("m: got 1048577", 0) == 0);
  CHECK(message_of([] { make(4, 4, kMaxD + 1, 1); }).rfind("d: got 1025", 0) == 0);
  CHECK(message_of([] { make(4, 4, 4, NAN); }).rfind("b: got nan", 0) == 0);
  CHECK(message_of([] { make(4, 4, 4, INFINITY); }).rfind("b: got inf", 0) == 0);
  CHECK(message_of([] { make(4, 4, 4, 1, 1, "uniform"); }).rfind("data: got 'uniform'", 0) == 0);
  Options o;
  o.set("b", "nan");
  CHECK(message_of([&] { config_from({{"n", 4}, {"m", 4}, {"d", 4}}, o); }).rfind("b: got", 0) == 0);
  Options bad;
  bad.set("lr", "1");
  CHECK(message_of([&] { config_from({{"n", 4}, {"m", 4}, {"d", 4}}, bad); }).rfind("lr: unknown option for neuronsInit", 0) ==
        0);
  Options stepb;
  stepb.set("b", "1");
  CHECK(message_of([&] { params_from(stepb, "dtree"); }).rfind("b: is set when the network is made", 0) == 0);
  // The trees' memory: refused with the number.
  set_memory_budget_bytes(1 << 20);
  const std::string msg = message_of([] { make(64, 4096, 8, 1); });
  set_memory_budget_bytes(0);
  CHECK(msg.rfind("m: got 4096: the n = 64 trees of 2·4096 floats need 2.0 MiB", 0) == 0);
  Network net = make(10, 20, 3, 1);
  CHECK(message_of([&] { step("dtree", net, with(11)); }) == "batch: got 11, must be at most n = 10");
  CHECK(message_of([&] { step("lsh", net, with(0)); }).rfind("method: unknown neurons method 'lsh'", 0) == 0);
  Params lr;
  lr.lr = NAN;
  CHECK(message_of([&] { step("dense", net, lr); }).rfind("lr: got nan", 0) == 0);
  CHECK(message_of([&] { step("dtree", net, with(10)); }) == "");
  net = Network{};  // a disposed state
  CHECK(message_of([&] { step("dtree", net, with(0)); }) == "state: this network was disposed");
}
