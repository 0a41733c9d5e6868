// Pair search: the document-similarity problems of Alman–Yu (arXiv 2410.04271;
// THEORY.md §3 and §5), exact and heuristic, over row-major float32 vectors.
//
// Problems (each monochromatic — pairs i < j of X — or bichromatic — pairs
// (i, j) with x_i ∈ X, y_j ∈ Y):
//   msd    most similar pair, max cosine ⟨x,y⟩/(‖x‖‖y‖)
//   lsd    least similar pair, min cosine
//   maxip  max raw inner product; with a threshold t: found = (value ≥ t)
//   minip  min raw inner product; with a threshold t: found = (value ≤ t)
//   ov     orthogonal vectors: the pair with the smallest |⟨x,y⟩|; found = (value == 0)
// Every method returns the optimum (exact methods) or the best pair it
// verified (heuristics): ties go to the smallest (i, j) lexicographically.
// Cosine of a zero vector is undefined: for msd/lsd zero rows are excluded and
// counted in stats ("zero_rows_excluded"); when no valid pair is left, found is
// false and i = j = -1. For the other problems `found` answers the decision
// question (threshold met, orthogonal pair exists) and (i, j) is still the optimum.
//
// Every method is one entry of the registry: bindings, bench, tests and the
// page iterate it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/options.hpp"
#include "common/schema.hpp"

namespace subquad::pairs {

enum class Kind { msd, lsd, maxip, minip, ov };

Kind kind_from(const std::string& name);  // throws Error("problem", …)
const char* kind_name(Kind k);
bool uses_cosine(Kind k);   // msd, lsd
bool maximises(Kind k);     // msd, maxip (others minimise)

struct Data {
  const float* X = nullptr;
  std::size_t n = 0, d = 0;
  const float* Y = nullptr;  // null → monochromatic
  std::size_t m = 0;
  bool bichromatic() const { return Y != nullptr; }
};

struct Params {
  Kind kind = Kind::msd;
  bool has_threshold = false;
  double threshold = 0;
  int threads = 0;          // 0 → all the pool has
  std::uint64_t seed = 1;   // heuristics' hash functions
  int tables = 0, bits = 0;  // simhash: L tables × k bits (0 → defaults)
  int bands = 0, rows = 0;   // minhash: bands × rows per band (0 → defaults)
};

using Stats = std::vector<std::pair<std::string, double>>;

struct Result {
  std::int64_t i = -1, j = -1;  // -1: no valid pair
  double value = 0;             // cosine (msd, lsd) or inner product (maxip, minip, ov)
  bool found = false;
  double candidates = 0;        // pairs whose similarity was computed
  double total_pairs = 0;       // n(n−1)/2 or n·m
  Stats stats;
};

struct Method {
  const char* name;
  const char* summary;
  bool exact;
  bool binary;  // needs 0/1 data
  void (*run)(const Data&, const Params&, Result&);
  const char* options;  // the options it takes (space-separated)
};

const std::vector<Method>& methods();
const Method& find_method(const std::string& name);  // Error("method", …) lists the known ones
// The registry as a schema (common/schema.hpp): dims n, m (bichromatic), d.
const Family& family();

// The method's cost model on data of this shape (Data's arrays may be null):
// flops of the exhaustive or hashed comparison, bytes read, extra memory.
subquad::Cost cost(const Method& m, const Data& shape, const Params& params);

// Validates shapes, values (finite; 0/1 for binary methods), memory and the
// problem/method combination, runs the method and fills found/total_pairs.
Result run(const std::string& method, const Data& data, const Params& params);
// The two halves of run, so a timed region holds the search alone: prepare
// validates everything and returns the method; execute searches.
const Method& prepare(const std::string& method, const Data& data, const Params& params);
Result execute(const Method& m, const Data& data, const Params& params);

// Extra bytes `method` allocates on `data` (its cost model's memory_bytes):
// prepare() refuses a call beyond the memory budget with it, and the tests
// compare it with what the method really allocates.
double memory_bytes(const std::string& method, const Data& data, const Params& params);

// Params from named options, read through `method`'s schema (problem,
// threshold, threads; seed, tables, bits for simhash; seed, bands, rows for
// minhash): an unknown key or a bad value is an Error naming it.
Params params_from(const Options& o, const std::string& method);

// The methods (each in its own file beside this header).
void pairs_reference(const Data&, const Params&, Result&);
void pairs_gram(const Data&, const Params&, Result&);
void pairs_bitset(const Data&, const Params&, Result&);
void pairs_simhash(const Data&, const Params&, Result&);
void pairs_minhash(const Data&, const Params&, Result&);

// γ-approximation checker: computes the exact optimum (double precision) and
// checks the pair (i, j): for a maximisation, value ≥ opt − (1 − 1/γ)|opt|;
// for a minimisation, value ≤ opt + (γ − 1)|opt|; for ov, |value| ≤ γ·|opt|
// (so an orthogonal optimum needs an orthogonal answer). A relative slack of
// 1e-6 absorbs float32 rounding. ratio = value / optimum (1 when both are 0).
struct Check {
  bool ok = false;
  double optimum = 0, value = 0, ratio = 0;
};
Check check(Kind kind, const Data& data, std::int64_t i, std::int64_t j, double gamma);

// Value of one pair in double precision (cosine or inner product by kind;
// NaN for a cosine with a zero vector).
double pair_value(Kind kind, const Data& data, std::size_t i, std::size_t j);

}  // namespace subquad::pairs
