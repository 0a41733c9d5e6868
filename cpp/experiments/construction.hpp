// The central experiment (Alman–Yu, arXiv 2410.04271; THEORY.md §3): one
// attention layer solves bichromatic Max-IP over 0/1 documents exactly, with
// scores β·⟨a_i, b_j⟩ and β of order log n; the same construction with a
// subquadratic attention substitute, or a reader with a fixed-size state,
// fails as n grows.
//
// The construction, for sets A (queries) and B (keys), each n documents in ℓ
// dimensions:
//   Q = β·A, K = B, scale 1  → row i's softmax weights ∝ exp(β⟨a_i, b_j⟩);
//   V_j = the bits of j as ±1 in ⌈log₂ n⌉ coordinates (position codes);
//   the output row O_i ≈ V_{j*(i)} when β·(gap) ≫ ln n, and its signs name
//   i's best partner; an output step (per row, O(ℓ)) reads each named pair's
//   inner product and returns the best row. Inner products of 0/1 vectors are
//   integers, so the gap is ≥ 1 and β = c·ln n with c ≈ 2 concentrates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/schema.hpp"

namespace subquad::experiments {

// The experiments as a family of the registry (experiments/registry.cpp):
// methods maxip, ov, similar and sketch_reader over dims n, l.
const Family& family();

// Two sets of n 0/1 documents in ℓ dimensions (row-major, entries 0 or 1).
struct Bichromatic {
  std::size_t n = 0, l = 0;
  std::vector<float> A, B;
};

// Random documents with word density p, plus one planted pair (i*, j*) whose
// inner product beats every other pair by at least one (so the optimum is
// unique): b_{j*} copies a_{i*} on `overlap` of a_{i*}'s words.
Bichromatic planted_maxip(std::size_t n, std::size_t l, double density, std::uint64_t seed);

struct Pair {
  std::size_t i = 0, j = 0;
  double value = 0;  // ⟨a_i, b_j⟩
};

// Brute force in double precision: the largest ⟨a_i, b_j⟩, ties → smallest (i, j).
Pair maxip_brute_force(const Bichromatic& x);

struct Outcome {
  Pair pair;             // the pair the method returned
  bool exact = false;    // its value equals the optimum
  double ratio = 0;      // its value / the optimum
  double decoded = 0;    // among rows with a unique best partner, the fraction naming it
  double ms = 0;         // time of the method (attention call or reader), no set-up
};

// The attention construction with any registered attention method.
// beta_c: β = beta_c · ln n. `extra` holds method options (degree, features, …).
Outcome maxip_by_attention(const Bichromatic& x, const std::string& method, double beta_c,
                           int threads, const std::vector<std::pair<std::string, std::string>>& extra);

// A recurrent reader with a state of `state_floats` numbers (32 bits each),
// fed A then B once: it keeps a k-bit random-hyperplane sketch of every A
// document, k = ⌊32·state / n⌋ (the best use of a fixed budget we know without
// storing documents), and for each b in B compares its sketch against all
// stored ones, remembering the best estimate. Its memory is the state only.
Outcome maxip_by_sketch_reader(const Bichromatic& x, std::size_t state_floats, std::uint64_t seed);

// Orthogonal vectors by one attention layer (THEORY.md §3, the paper's OV
// example): tokens are B's rows plus one all-zero token; Q = −3 ln n · A, K = B,
// scale 1; V = 1 for B's rows and 0 for the extra token. Row i's output is
//   Σ_j e^{−3 ln n ⟨a_i,b_j⟩} / (Σ_j e^{…} + 1),
// which is ≥ 1/(n+1) when a_i has an orthogonal partner (that term is e⁰ = 1)
// and ≤ n·n⁻³ otherwise (0/1 vectors: ⟨a,b⟩ ≥ 1 unless orthogonal). The output
// step thresholds at τ = (n+1)^−1.25, between the two, and for the first row
// above it scans B for the partner (O(n·ℓ)).
struct OvOutcome {
  bool exists = false;
  std::int64_t i = -1, j = -1;  // the first row above τ and its first orthogonal partner
  double yes_min = 0;           // smallest output among rows with a partner (NaN if none)
  double no_max = 0;            // largest output among rows without one (NaN if none)
  double threshold = 0;         // τ
  double ms = 0;                // the attention call
};
OvOutcome ov_by_attention(const float* A, const float* B, std::size_t n, std::size_t l,
                          const std::string& method, int threads);

// The most (or least) similar pair of n vectors, i ≠ j, by one attention layer
// with a masked diagonal (the monochromatic construction of THEORY.md §3, on
// real-valued vectors): rows are normalised (zero rows have no cosine and are
// left out), Q = ±β·U (+ for most, − for least similar), K = U, scale 1, and
// V = [U | position codes]. Row i's output is the softmax-weighted average of
// its partners, so
//   estimate_i = ⟨u_i, O_i[U part]⟩ → max_{j≠i} cos(u_i, u_j) (min for least)
// as β/ln n grows, and the position codes name the partner when it is unique.
// The output step (O(n·d)) takes the best row i*, decodes its partner ĵ and,
// when cos(u_i*, u_ĵ) does not reach the estimate (tied partners blur the
// codes), scans row i* for its best partner (O(n·d)). β = beta_c · ln n.
struct SimilarOutcome {
  bool found = false;    // at least two nonzero rows
  std::int64_t i = -1, j = -1;
  double value = 0;      // cos(x_i, x_j), in double from the inputs
  double estimate = 0;   // estimate_{i*}, read from the attention output
  bool decoded = false;  // ĵ came from the position codes (no row scan)
  double beta = 0;
  std::size_t zero_rows = 0;
  double ms = 0;         // the attention call
};
SimilarOutcome similar_by_attention(const float* X, std::size_t n, std::size_t d, bool least,
                                    const std::string& method, double beta_c, int threads);

}  // namespace subquad::experiments
