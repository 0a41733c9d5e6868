// Seeded pair-search instances, bit-identical natively and in WASM (common/rng.hpp),
// and the reduction from orthogonal vectors to MSD (THEORY.md §3, §5; Alman–Yu,
// arXiv 2410.04271).
//   gaussian        n unit vectors with i.i.d. Gaussian directions
//   sparse          n 0/1 vectors, each entry 1 with probability `density`
//   planted         gaussian plus one pair (i*, j*) of correlation ρ:
//                   x_j* = ρ·x_i* + √(1−ρ²)·z, normalised
//   planted_sparse  sparse plus one pair whose entries agree: x_j*[k] = x_i*[k]
//                   with probability ρ, else a fresh draw (entry correlation ρ)
//   ovhard          0/1 vectors in ℓ = d dimensions (take d = c·log₂ n) with
//                   exactly one orthogonal pair, the planted one; the density is
//                   chosen so random pairs are rarely orthogonal and any that are
//                   get a shared coordinate added (never to the planted pair).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/options.hpp"

namespace subquad::pairs {

struct Instance {
  std::vector<float> X;
  std::size_t n = 0, d = 0;
  std::int64_t planted_i = -1, planted_j = -1;  // -1: nothing planted
};

struct GenerateOptions {
  std::size_t n = 1024, d = 128;
  double rho = 0.9;      // planted correlation
  double density = 0.1;  // sparse / planted_sparse
  std::uint64_t seed = 1;
};

Instance generate(const std::string& gen, const GenerateOptions& o);

// GenerateOptions from named options n, d, rho, density, seed — the one
// parser for the bindings and the bench.
GenerateOptions generate_options_from(const Options& o);

// Bichromatic OV (A: n×ℓ, B: m×ℓ, 0/1) → bichromatic MSD in 3ℓ dimensions
// (THEORY.md §3): a ↦ ((1−a_k, a_k)_k, 0^ℓ), b ↦ ((1, 1−b_k)_k, 1^{|b|} 0^{ℓ−|b|}),
// so cos(a″, b″) = (ℓ − ⟨a, b⟩)/(ℓ√2): the MSD value is 1/√2 exactly when an
// orthogonal pair exists, else at most (ℓ−1)/(ℓ√2).
struct Reduced {
  std::vector<float> X, Y;
  std::size_t n = 0, m = 0, d = 0;
  double threshold = 0;  // decide "orthogonal pair" when MSD ≥ threshold (midway in the gap)
};
Reduced ov_to_msd(const float* A, std::size_t n, const float* B, std::size_t m, std::size_t l);

// OV by brute force in double precision: the smallest (i, j) with ⟨a_i, b_j⟩ = 0
// (monochromatic when B is null: pairs i < j), or {-1, -1}.
std::pair<std::int64_t, std::int64_t> ov_brute_force(const float* A, std::size_t n, const float* B, std::size_t m,
                                                     std::size_t l);

}  // namespace subquad::pairs
