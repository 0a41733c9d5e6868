// What every product method shares: the points centred and scaled once, the
// columns (w, and 1 for the Laplacian's degrees), and y = A w or
// (A1)∘w − A w assembled in double from the core's columns.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.hpp"
#include "kernel/kernel.hpp"

namespace subquad::kernel {

Points make_points(const Problem& p, const Params& params) {
  Points pts;
  pts.n = p.n;
  pts.d = p.d;
  pts.raw = p.X;
  pts.h = params.bandwidth;
  // A translation changes no distance: centring at the mean keeps ‖x̃‖² small,
  // which is what the float32 ‖x‖² + ‖y‖² − 2⟨x, y⟩ and the features need.
  std::vector<double> mean(p.d, 0.0);
  for (std::size_t i = 0; i < p.n; ++i)
    for (std::size_t k = 0; k < p.d; ++k) mean[k] += p.X[i * p.d + k];
  for (auto& m : mean) m /= double(p.n);
  pts.x.resize(p.n * p.d);
  double R2 = 0;
  for (std::size_t i = 0; i < p.n; ++i) {
    double s = 0;
    for (std::size_t k = 0; k < p.d; ++k) {
      const double v = (p.X[i * p.d + k] - mean[k]) / pts.h;
      pts.x[i * p.d + k] = v;
      s += v * v;
    }
    R2 = std::max(R2, s);
  }
  pts.R2 = R2;
  pts.B = 4 * R2;
  return pts;
}

Core core_of(const std::string& product) {
  if (product == "reference") return reference_core;
  if (product == "exact") return exact_core;
  if (product == "polynomial") return polynomial_core;
  if (product == "fgt") return fgt_core;
  throw Error("product", "got '" + product + "', must be reference, exact, polynomial or fgt");
}

namespace {

void product_method(Core core, const Problem& p, const Params& params, float* y, Stats& stats) {
  const Points pts = make_points(p, params);
  stats.emplace_back("B", pts.B);  // 4·max‖x̃ − mean‖² ≥ diam²/h²: the bound the methods use
  const std::size_t n = p.n, c = params.op == "laplacian" ? 2 : 1;
  std::vector<double> W(n * c, 1.0), Y(n * c);
  for (std::size_t i = 0; i < n; ++i) W[i] = p.w[i];
  core(pts, params, W.data(), c, Y.data(), stats);
  if (c == 1) {
    for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>(Y[i]);
  } else {
    for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>(Y[n + i] * W[i] - Y[i]);
  }
}

}  // namespace

void reference(const Problem& p, const Params& params, float* y, Stats& stats) {
  product_method(reference_core, p, params, y, stats);
}
void exact(const Problem& p, const Params& params, float* y, Stats& stats) {
  product_method(exact_core, p, params, y, stats);
}
void polynomial(const Problem& p, const Params& params, float* y, Stats& stats) {
  product_method(polynomial_core, p, params, y, stats);
}
void fgt(const Problem& p, const Params& params, float* y, Stats& stats) {
  product_method(fgt_core, p, params, y, stats);
}

}  // namespace subquad::kernel
