// Gaussian kernel graphs (THEORY-2.md §6; Alman, Chu, Schild & Song, FOCS 2020,
// arXiv 2011.02466). Points x_1..x_n ∈ ℝ^d, bandwidth h, the complete graph
// with weights A_ij = exp(−‖x_i − x_j‖²/h²) (A_ii = 1). A method returns
//   y = A w                      (op = adjacency), or
//   y = L w = (A1)∘w − A w       (op = laplacian, L = D − A);
// laplacian_solve returns z with L z = b (b ⊥ 1) by conjugate gradients over
// any of the products. B = diam²/h² is the parameter that decides everything:
// almost linear time for B = o(log n), n^{2−o(1)} under SETH for B = ω(log n)
// (Aggarwal–Alman, arXiv 2205.06249; Alman–Guan, arXiv 2407.02372).
//
// One registry, the shape of the other families': a method is a name, a
// kernel, a cost model and its options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/options.hpp"
#include "common/schema.hpp"

namespace subquad::kernel {

struct Params {
  double bandwidth = 1;           // h
  std::string op = "adjacency";   // adjacency: A w; laplacian: L w
  int threads = 0;                // 0 → all the pool has
  double error = 1e-6;            // δ: polynomial and fgt meet |Aw − ỹ|∞ ≤ δ‖w‖₁
  int degree = 0;                 // polynomial: 0 → the least degree whose measured sup-error is ≤ error
  std::string factor = "distance";  // polynomial: distance (degree ~√B) or product (degree ~B)
  int order = 0;                  // fgt: Taylor order p; 0 → the least meeting error
  double radius = 0.5;            // fgt: k-centre cluster radius, in units of h
  int clusters = 0;               // fgt: 0 → as many as the radius needs; else exactly this many
  std::string product = "exact";  // laplacian_solve: the product CG uses
  double tolerance = 1e-6;        // laplacian_solve: stop at ‖r‖/‖b‖ ≤ tolerance
  int iterations = 500;           // laplacian_solve: the cap
};

struct Problem {
  std::size_t n = 0, d = 0;
  const float* X = nullptr;  // n×d points
  std::size_t X_size = 0;
  const float* w = nullptr;  // n weights (laplacian_solve: the right-hand side b)
  std::size_t w_size = 0;
};

using Stats = std::vector<std::pair<std::string, double>>;

using Kernel = void (*)(const Problem&, const Params&, float* y, Stats&);

struct Method {
  const char* name;
  const char* summary;
  bool exact;
  Kernel run;
  Cost (*cost)(std::size_t n, std::size_t d, const Params&);
  const char* options;  // space-separated, from the family's option table
};

// Limits (the schema exports them with the options).
constexpr std::size_t kMaxD = 64;
constexpr int kMaxDegree = 64;
constexpr int kMaxOrder = 40;
constexpr int kMaxClusters = 4096;
constexpr double kMaxRank = 16e6;
constexpr double kMaxProductB = 1000;  // factor = product: e^{B/2} stays a finite double  // monomials per polynomial/fgt table

const std::vector<Method>& methods();
const Method& find_method(const std::string& name);
// dims n, d; inputs X (n×d), w (n) (laplacian_solve: X, b).
const Family& family();

// Params read through `method`'s schema (unknown keys and bad values refused by name).
Params params_from(const Options& o, const std::string& method);

// Shapes, lengths, finiteness, options, memory: Error naming the parameter.
const Method& prepare(const std::string& method, const Problem& p, const Params& params);
void execute(const Method& m, const Problem& p, const Params& params, float* y, Stats& stats);
void run(const std::string& method, const Problem& p, const Params& params, float* y, Stats& stats);

// ---- shared by the methods (cpp/kernel/*.cpp) ----

// The points centred at their mean and divided by h (double and float), with
// R² = max ‖x̃‖² and B = 4R² ≥ max ‖x̃_i − x̃_j‖² (the bound every method uses).
struct Points {
  std::size_t n = 0, d = 0;
  const float* raw = nullptr;  // the caller's X
  double h = 1;
  std::vector<double> x;       // n×d, centred and scaled
  double R2 = 0, B = 0;
};
Points make_points(const Problem& p, const Params& params);

// Y (n×c, column-major: column k at Y + k·n) = A W, W likewise. The cores.
using Core = void (*)(const Points&, const Params&, const double* W, std::size_t c, double* Y, Stats&);
void reference_core(const Points&, const Params&, const double* W, std::size_t c, double* Y, Stats&);
void exact_core(const Points&, const Params&, const double* W, std::size_t c, double* Y, Stats&);
void polynomial_core(const Points&, const Params&, const double* W, std::size_t c, double* Y, Stats&);
void fgt_core(const Points&, const Params&, const double* W, std::size_t c, double* Y, Stats&);
Core core_of(const std::string& product);

// The methods: y = A w or L w through one core (product_method), and CG.
void reference(const Problem&, const Params&, float* y, Stats&);
void exact(const Problem&, const Params&, float* y, Stats&);
void polynomial(const Problem&, const Params&, float* y, Stats&);
void fgt(const Problem&, const Params&, float* y, Stats&);
void laplacian_solve(const Problem&, const Params&, float* z, Stats&);

// ---- the polynomial method's pieces (tests, bench, cost model) ----

// All monomials of degree ≤ g in D variables, C(D+g, g) of them, in blocks
// by degree; within degree k the monomials whose smallest variable is ≥ l form
// a suffix, so degree k is D scaled copies of suffixes of degree k − 1
// (contiguous loops). multinomial[m] = |α|!/α!, degree[m] = |α|.
struct Monomials {
  std::size_t D = 0;
  int g = 0;
  std::size_t r = 0;
  std::vector<std::size_t> offset;  // offset[k]: the first monomial of degree k (k = 0..g+1)
  std::vector<std::size_t> suffix;  // suffix[k·D + l]: index within degree k where min var ≥ l starts
  std::vector<double> multinomial;
  std::vector<int> degree;
  Monomials(std::size_t D, int g);
  // m[0..r) = u^α for every α (u has D entries).
  void eval(const double* u, double* m) const;
};
double rank_of(std::size_t D, int g);  // C(D+g, g) in double (no overflow)

// A polynomial fit: p(s) = Σ_k a_k s^k, its measured sup-error on the interval.
struct Fit {
  std::vector<double> a;
  double sup_error = 0;  // distance: max|p(s) − e^{−(s+B/2)}| on [−B/2, B/2]; product: max|p(s)/e^s − 1|
  double kappa = 0;      // Σ|a_k|·M^k, M the bound on Σ_l|u_l v_l|: the size of the sums rounding acts on
};
// distance form: e^{−t} on t ∈ [0, B] written in s = t − B/2 (the centred form);
// product form: e^{s} on s ∈ [−B/2, B/2] to relative error. Chebyshev interpolation at g+1 nodes.
Fit fit_distance(double B, int g);
Fit fit_product(double B, int g);
// The least degree (≤ kMaxDegree) whose fit meets `error`; −1 when none does.
int degree_for(const std::string& factor, double B, double error);
// Rank of the polynomial method at dimension d and degree g.
double polynomial_rank(const std::string& factor, std::size_t d, int g);

// ---- fgt's pieces ----
// Truncation bound of the order-p Taylor expansion for sources within rx of
// their centre and targets within ry of it: max (2ab)^{p+1}/(p+1)!·e^{−(a−b)²}.
double fgt_truncation(int p, double rx, double ry);
// The target cut-off radius (units of h) for error δ: rx + √ln(1/δ).
double fgt_cutoff(double rx, double error);

// ---- generators (tests, bench, page) ----
// n points uniform in a ball of squared diameter B·h² (bandwidth h), centred at 0.
std::vector<float> ball_points(std::size_t n, std::size_t d, double B, double h, std::uint64_t seed);
// n points in `k` Gaussian clusters (centres uniform in a ball of squared
// diameter B·h², each cluster of standard deviation sigma·h).
std::vector<float> cluster_points(std::size_t n, std::size_t d, std::size_t k, double B, double sigma, double h,
                                  std::uint64_t seed, std::vector<int>* labels = nullptr);
// max_ij ‖x_i − x_j‖²/h² by brute force (double): B of a point set (tests, small n).
double measured_B(const float* X, std::size_t n, std::size_t d, double h);

// Extra memory of each method at (n, d, params), bytes (the cost models).
double method_memory(const std::string& method, std::size_t n, std::size_t d, const Params& params);

}  // namespace subquad::kernel
