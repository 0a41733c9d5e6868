// One measurement = one JSON line. The same code times kernels for the native
// CLI, the WASM bench runner and the page, so timings never include JS copies
// or data generation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/options.hpp"
#include "common/schema.hpp"

namespace subquad::bench {

// options["suite"] picks the experiment: "attention" (one method at one shape)
// or "peak" (the per-core SIMD ceiling). Returns a JSON object on one line.
std::string measure(const Options& options);

// The families' measurements, one file each (<family>_measure.cpp).
std::string measure_attention(const Options& options);
std::string measure_poly_degree(const Options& options);
std::string measure_construction(const Options& options);
std::string measure_ssm(const Options& options);
std::string measure_triad(const Options& options);
std::string measure_pairs(const Options& options);
std::string measure_grad(const Options& options);
std::string measure_collapse(const Options& options);
std::string measure_simulate(const Options& options);
std::string measure_neurons(const Options& options);
std::string measure_tensor(const Options& options);
std::string measure_tensor_threshold(const Options& options);
std::string measure_match3(const Options& options);
std::string measure_kernel(const Options& options);

// The options of a bench request that go to `method` of `family`: every key
// but the suite's own; an own key the method also takes (seed, threads, N)
// goes to both. The method's strict parser then refuses anything unknown,
// naming it and the method's options.
Options method_options(const Options& o, const Family& family, const std::string& method,
                       const std::vector<std::string>& own);

// An n×cols input matrix from a suite's dist/B/std and a seed.
std::vector<float> make_matrix(const OptionValues& suite, std::size_t rows, std::size_t cols, std::uint64_t seed);

// Position weights W ((2n−1)×d, row Δ + n − 1) for positional_*: "uniform"
// (i.i.d. in [−1, 1], seeded) or "smooth" (e^{−|Δ|/τ_l}·cos(Δ·θ_l)).
std::vector<float> position_weights(const std::string& kind, std::size_t n, std::size_t d, std::uint64_t seed);

// The keys of a suite (bench/suites.cpp), for method_options.
std::vector<std::string> suite_keys(const std::string& suite);

}  // namespace subquad::bench
