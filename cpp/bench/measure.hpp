// One measurement = one JSON line. The same code times kernels for the native
// CLI, the WASM bench runner and the page, so timings never include JS copies
// or data generation.
#pragma once

#include <string>

#include "common/options.hpp"

namespace subquad::bench {

// options["suite"] picks the experiment: "attention" (one method at one shape)
// or "peak" (the per-core SIMD ceiling). Returns a JSON object on one line.
std::string measure(const Options& options);

}  // namespace subquad::bench
