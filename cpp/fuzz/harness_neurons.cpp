// Which neurons fire, under fuzzing: any small network (n ≤ 64, m ≤ 300,
// d ≤ 16, b and lr from the bytes — NaN, ±inf included), then up to six steps
// of dense and dtree in lockstep on two copies, with batch sizes that may
// exceed n and thread counts that may exceed the pool (dense starts each step
// from dtree's weights). Invalid input must raise subquad::Error. Valid
// steps: both fire on the same set and compute
// the same loss; the repaired trees equal fresh ones; every query stays
// within 2·k·⌈log₂ m⌉ + 1 node visits.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "common/error.hpp"
#include "fuzz/harness.hpp"
#include "neurons/neurons.hpp"

namespace subquad::fuzz {

namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "neurons harness: %s\n", what);
  std::abort();
}

}  // namespace

int neurons(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  neurons::Config c;
  c.n = 1 + in.u8() % 64;
  c.m = 1 + in.u16() % 300;
  c.d = 1 + in.u8() % 16;
  c.b = in.value(3.0f);
  c.seed = in.u8();
  c.data = (in.u8() & 1) ? "planted" : "gaussian";
  const int steps = in.u8() % 7;
  try {
    neurons::Network a = neurons::make_network(c), t = neurons::make_network(c);
    for (int s = 0; s < steps; ++s) {
      neurons::Params p;
      const std::uint8_t batch = in.u8();
      p.batch = batch == 255 ? c.n + 1 : batch % (c.n + 1);
      p.lr = in.value(2.0f);
      p.update = in.u8() % 4 != 0;
      p.threads = in.u8() % 3;
      neurons::Record ra, rt;
      a.W = t.W;  // dense restarts from the tree copy's weights: both step from the same point
      try {
        ra = neurons::step("dense", a, p);
      } catch (const Error&) {
        // Refused by name: the tree copy must refuse the same options.
        bool refused = false;
        try {
          neurons::step("dtree", t, p);
        } catch (const Error&) {
          refused = true;
        }
        if (!refused) broken("dense refused options dtree took");
        continue;
      }
      rt = neurons::step("dtree", t, p);
      bool finite = true;
      for (const float w : a.W) finite = finite && std::isfinite(w);
      if (!finite || !std::isfinite(ra.loss)) return 0;  // diverged (a huge lr): nothing left to compare
      if (ra.fired != rt.fired) broken("dense and dtree fire on different sets");
      if (std::fabs(ra.loss - rt.loss) > 1e-5 * std::max(ra.loss, 1e-20)) broken("dense and dtree losses differ");
      unsigned depth = 0;
      while ((std::size_t(1) << depth) < c.m) ++depth;
      if (rt.max_visits > 2.0 * (rt.fired) * depth + 1) broken("a query visited more nodes than its bound");
    }
    if (t.trees_fresh) {
      for (std::size_t i = 0; i < t.n; ++i) {
        const std::vector<float> fresh = neurons::fresh_tree(t, i);
        if (!std::equal(fresh.begin() + 1, fresh.end(), t.trees.begin() + i * 2 * t.P + 1))
          broken("a repaired tree differs from a fresh one");
      }
    }
  } catch (const Error&) {
    return 0;  // refused with a named error: fine
  }
  return 0;
}

}  // namespace subquad::fuzz
