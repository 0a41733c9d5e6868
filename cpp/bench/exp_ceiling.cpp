#include "bench/exp_ceiling.hpp"

#include <vector>

#include "common/error.hpp"
#include "common/timer.hpp"
#include "simd/simd.hpp"

namespace subquad::bench {

namespace {

template <class Fn>
double rate(Fn fn, double min_ms) {
  using namespace simd;
  std::vector<float> in(1024), out(1024);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = -10.0f * float(i) / float(in.size());
  const int passes = 64;
  volatile float sink = 0;
  const auto run = [&] {
    for (int p = 0; p < passes; ++p)
      for (std::size_t i = 0; i < in.size(); i += 4) store(out.data() + i, fn(load(in.data() + i)));
    sink = out[511];
  };
  time_median(run, 3, min_ms, 400);
  const double best_ms = time_median(run, 3, min_ms, 400).min_ms;
  (void)sink;
  return double(passes) * double(in.size()) / (best_ms * 1e-3);
}

}  // namespace

double exp_per_second(const std::string& variant, double min_ms) {
  if (variant == "exp") return rate([](simd::f32x4 x) { return simd::exp(x); }, min_ms);
  if (variant == "exp2_nonpositive") return rate([](simd::f32x4 x) { return simd::exp2_nonpositive(x); }, min_ms);
  throw Error("variant", "got '" + variant + "', must be exp or exp2_nonpositive");
}

}  // namespace subquad::bench
