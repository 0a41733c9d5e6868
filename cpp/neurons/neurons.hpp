// Which neurons fire (THEORY-2.md §7; Alman, Liang, Song, Zhang & Zhuo,
// NeurIPS 2023, arXiv 2211.14227). A two-layer network of width m on n points
// x_i ∈ ℝ^d (‖x_i‖ = 1) with the shifted ReLU σ_b(z) = max(z − b, 0) and fixed
// output signs a_r = ±1:
//   f(x) = m^{−1/2} Σ_r a_r σ_b(⟨w_r, x⟩),   L = (1/2s) Σ_{i ∈ batch} (f(x_i) − y_i)²,
//   ∂L/∂w_r = (1/s) m^{−1/2} Σ_{i ∈ batch, ⟨w_r,x_i⟩ > b} (f(x_i) − y_i) a_r x_i.
// Only neurons with ⟨w_r, x_i⟩ > b take part. `dense` computes every
// correlation every step (Θ(s·m·d)); `dtree` keeps, per point, a max-tree over
// its m correlations and finds the firing set by a depth-first search that
// skips subtrees whose max is ≤ b; after a step it recomputes the correlations
// of the neurons that moved and repairs their root paths. The tree is our
// reconstruction (the paper's body was not reachable; THEORY-2.md §7).
//
// The state (data, teacher targets, weights, trees) lives in a Network made
// once from a seed; a method's step reads and updates it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/options.hpp"
#include "common/schema.hpp"

namespace subquad::neurons {

// What a network is made of (neuronsInit): dims, threshold, seed, data.
struct Config {
  std::size_t n = 0, m = 0, d = 0;
  double b = 2;
  std::uint64_t seed = 1;
  // gaussian: x_i uniform on the sphere, w_r ~ N(0, I) (⟨w_r, x_i⟩ ~ N(0, 1));
  // planted: x_i and w_r random ±1/√d (near orthogonal) with one pair
  // w_{r*} = x_{i*} (inner product 1): a bichromatic Max-IP instance.
  std::string data = "gaussian";
};

// One step's options (neuronsStep).
struct Params {
  double lr = 1;          // gradient-descent step size
  std::size_t batch = 0;  // s: points per step, cyclic over the data; 0 → n (full batch)
  bool update = true;     // false: forward only (firing sets, f, loss), the weights stay
  int threads = 0;        // 0 → all the pool has
};

struct Network {
  std::size_t n = 0, m = 0, d = 0;
  std::size_t P = 1;  // leaves per tree: the power of two ≥ m (the rest hold −∞)
  double b = 0;
  std::string data;
  std::vector<float> X;  // n×d, unit rows
  std::vector<float> y;  // n teacher targets
  std::vector<float> a;  // m output signs ±1
  std::vector<float> W;  // m×d first-layer weights
  // n trees of 2P floats: node 1 is the root, node k has children 2k, 2k+1,
  // leaf r is node P + r (holding ⟨w_r, x_i⟩). Built on the first dtree step;
  // stale (rebuilt) after a step of another method moved weights.
  std::vector<float> trees;
  bool trees_fresh = false;
  std::size_t steps = 0;  // steps taken: step t uses points (t·s + j) mod n
  long long planted_i = -1, planted_r = -1;
};

// What one step reports.
struct Record {
  std::size_t step = 0, batch = 0;
  double loss = 0;             // (1/2s) Σ e_i² over the batch, before the update
  double fired = 0;            // Σ_i k_i: firing (point, neuron) pairs in the batch
  double firing_fraction = 0;  // fired / (s·m)
  double visits = 0;           // dtree: tree nodes visited by the batch's queries
  double max_visits = 0;       // dtree: the largest one query visited
  double moved = 0;            // neurons whose weights changed (fired on some batch point)
  double ms_build = 0;         // dtree: trees built in this step (first step, or stale)
  double ms_query = 0;         // dtree: the depth-first searches
  double ms_forward = 0;       // forward and gradient (dense: every correlation)
  double ms_repair = 0;        // weight update; dtree: the moved neurons' correlations and root paths
  double ms_total = 0;
};

// Tests read what a step computed: f(x_i) per batch point, the gradient (m×d,
// zero rows for neurons that did not fire), each point's firing set (sorted)
// and its query's node visits (dtree only).
struct Trace {
  std::vector<double> f;
  std::vector<double> G;
  std::vector<std::vector<std::uint32_t>> sets;
  std::vector<std::size_t> visits;
};

using Step = void (*)(Network&, const Params&, Record&, Trace*);

struct Method {
  const char* name;
  const char* summary;
  bool exact;
  Step step;
  Cost (*cost)(const Config&, const Params&, int threads);
  const char* options;
};

constexpr std::size_t kMaxN = 65536, kMaxM = 1u << 20, kMaxD = 1024;
constexpr double kMaxB = 64;  // |b| beyond this no neuron of unit-scale data fires (or all do)

const std::vector<Method>& methods();
const Method& find_method(const std::string& name);
// dims n, m, d; inputs X (n×d) and W (m×d), made from the seed.
const Family& family();

// Config from dims and init options (b, seed, data; others refused by name).
Config config_from(const Dims& dims, const Options& init);
// A step's options through `method`'s schema (b, seed, data refused: they belong to init).
Params params_from(const Options& step, const std::string& method);

// Checks caps and the memory budget (X, W and the trees), then draws the data,
// the teacher's targets, the signs and the weights from the seed.
Network make_network(const Config& c);
// Bytes of the n trees (n·2P floats).
double tree_bytes(std::size_t n, std::size_t m);

// Checks the options against the network (batch ≤ n, threads), runs one step.
Record step(const std::string& method, Network& net, const Params& params, Trace* trace = nullptr);

// P(⟨w, x⟩ > b) for w ~ N(0, I), ‖x‖ = 1: the Gaussian tail Φ̄(b).
double gaussian_tail(double b);

// ---- the pieces the methods share (network.cpp) ----
// The batch of step t: points (t·s + j) mod n, j < s.
std::vector<std::size_t> batch_points(const Network& net, std::size_t s);
// Wᵀ (d×cols) of the listed neurons (all when `rows` is null), the micro-kernel's B.
void pack_transposed(const Network& net, const std::uint32_t* rows, std::size_t cols, std::vector<float>& out);
// C (rows×cols, leading dimension ldc) = X[points] · Wt by the SIMD micro-kernel: the
// one way every float method computes correlations, so dense and dtree hold
// bit-identical values and fire on exactly the same set.
void correlate(const Network& net, const std::size_t* points, std::size_t rows, const float* Wt, std::size_t cols,
               float* C, std::size_t ldc, std::vector<float>& gathered);
// Builds all n trees from fresh correlations (threads over points).
void build_trees(Network& net, int threads);
// The firing set {r : leaf r > b} of point i's tree in increasing r; returns node visits.
std::size_t query(const Network& net, std::size_t i, double b, std::vector<std::uint32_t>& out);
// query() for `count` points at once, their searches interleaved (the same sets and visits).
void query_many(const Network& net, const std::size_t* points, std::size_t count, double b,
                std::vector<std::uint32_t>* out, std::size_t* visits);
// Recomputes the listed neurons' correlations with every point and repairs their root paths.
void update_trees(Network& net, const std::vector<std::uint32_t>& neurons, int threads);
// A fresh tree for point i (tests: equality with the repaired one).
std::vector<float> fresh_tree(const Network& net, std::size_t i);

// The methods, one file each.
void reference(Network&, const Params&, Record&, Trace*);
void dense(Network&, const Params&, Record&, Trace*);
void dtree(Network&, const Params&, Record&, Trace*);

// Rows of points a dense worker takes at a time (a multiple of the micro-kernel's 6).
constexpr std::size_t kDenseRows = 24;

}  // namespace subquad::neurons
