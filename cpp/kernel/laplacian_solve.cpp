// L z = b for the kernel Laplacian L = D − A (D = diag(A1)) by conjugate
// gradients (Hestenes–Stiefel) with any of the products. L is symmetric
// positive semidefinite with L1 = 0 (the graph is complete, so connected:
// the null space is exactly 1), and CG started at 0 on b ⊥ 1 stays in 1^⊥,
// where L is positive definite. A b with a nonzero mean is projected (the
// mean removed is reported); the search direction is re-projected every step
// against drift. Stops at ‖r‖/‖b‖ ≤ tolerance or at the iteration cap, which
// is reported (converged = 0), never a hang. The returned z has mean 0.
#include <cmath>
#include <string>
#include <vector>

#include "common/threads.hpp"
#include "kernel/kernel.hpp"

namespace subquad::kernel {

namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

void remove_mean(std::vector<double>& v) {
  double m = 0;
  for (double x : v) m += x;
  m /= double(v.size());
  for (double& x : v) x -= m;
}

double stat_of(const Stats& s, const char* key) {
  for (const auto& [k, v] : s)
    if (k == key) return v;
  return 0;
}

}  // namespace

void laplacian_solve(const Problem& prob, const Params& params, float* z_out, Stats& stats) {
  const Points pts = make_points(prob, params);
  const Core core = core_of(params.product);
  Params q = params;
  q.op = "adjacency";
  const std::size_t n = prob.n;
  std::vector<double> W(n, 1.0), Y(n);
  Stats first, scratch;
  core(pts, q, W.data(), 1, Y.data(), first);
  // Later products reuse what the first one chose from the data.
  if (params.product == "polynomial") q.degree = int(stat_of(first, "degree"));
  if (params.product == "fgt") q.order = int(stat_of(first, "order"));
  const std::vector<double> deg = Y;
  auto laplacian = [&](const std::vector<double>& v, std::vector<double>& out) {
    W = v;
    scratch.clear();
    core(pts, q, W.data(), 1, Y.data(), scratch);
    for (std::size_t i = 0; i < n; ++i) out[i] = deg[i] * v[i] - Y[i];
  };
  std::vector<double> b(prob.w, prob.w + n);
  double mean = 0;
  for (double v : b) mean += v;
  mean /= double(n);
  for (double& v : b) v -= mean;
  const double bnorm = std::sqrt(dot(b, b));
  std::vector<double> z(n, 0.0), r = b, p = b, Ap(n);
  double rr = dot(r, r), residual = bnorm > 0 ? 1.0 : 0.0;
  int iterations = 0;
  bool converged = bnorm == 0 || residual <= params.tolerance;
  while (!converged && iterations < params.iterations) {
    throw_if_cancelled();
    laplacian(p, Ap);
    const double pAp = dot(p, Ap);
    ++iterations;
    if (!(pAp > 0)) break;  // breakdown: p in L's null space to rounding
    const double alpha = rr / pAp;
    for (std::size_t i = 0; i < n; ++i) {
      z[i] += alpha * p[i];
      r[i] -= alpha * Ap[i];
    }
    const double rr_new = dot(r, r);
    residual = std::sqrt(rr_new) / bnorm;
    if (residual <= params.tolerance) {
      converged = true;
      break;
    }
    const double beta = rr_new / rr;
    for (std::size_t i = 0; i < n; ++i) p[i] = r[i] + beta * p[i];
    remove_mean(p);
    rr = rr_new;
  }
  remove_mean(z);
  // The residual of the returned z by one more product (not the recurrence's).
  double check = 0;
  if (bnorm > 0) {
    laplacian(z, Ap);
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += (b[i] - Ap[i]) * (b[i] - Ap[i]);
    check = std::sqrt(s) / bnorm;
  }
  for (std::size_t i = 0; i < n; ++i) z_out[i] = static_cast<float>(z[i]);
  stats.emplace_back("B", pts.B);
  stats.emplace_back("iterations", iterations);
  stats.emplace_back("converged", converged ? 1 : 0);
  stats.emplace_back("residual", residual);
  stats.emplace_back("checked_residual", check);
  stats.emplace_back("b_mean_removed", mean);
  for (const auto& [k, v] : first)
    if (k != "B") stats.emplace_back(k, v);
}

}  // namespace subquad::kernel
