// The exponential's throughput on one core: the ceiling of exp-bound kernels
// (the SSM scan: one 2^x per (t, channel, state)). The same loop the `peak`
// suite reports as exp_per_s / exp2_nonpositive_per_s (bench/measure.cpp), so
// a suite can put its kernel beside the ceiling measured in the same run
// without running the whole peak measurement.
#pragma once

#include <string>

namespace subquad::bench {

// Exponentials per second on the calling thread: variant "exp" (simd::exp) or
// "exp2_nonpositive" (simd::exp2_nonpositive); the fastest repetition of a
// 1024-float L1-resident array of values in [−10, 0] mapped 64 times, after
// one discarded pass (V8 tiers up).
double exp_per_second(const std::string& variant, double min_ms);

}  // namespace subquad::bench
