// The yardstick: the same networks and report as san_forward in double,
// obvious loops and its own max-subtracted softmax (no attention kernel).
// The weights are the run's float32 weights, read as doubles.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "collapse/collapse.hpp"
#include "common/error.hpp"
#include "common/threads.hpp"

namespace subquad::collapse {

void head_reference(const double* A, std::size_t n, std::size_t d, const float* w, double s,
                    double* out) {
  std::vector<double> Q(n * d, 0.0), K(n * d, 0.0), V(n * d, 0.0), p(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < d; ++k)
      for (std::size_t j = 0; j < d; ++j) {
        Q[i * d + j] += A[i * d + k] * w[k * d + j];
        K[i * d + j] += A[i * d + k] * w[d * d + k * d + j];
        V[i * d + j] += A[i * d + k] * w[2 * d * d + k * d + j];
      }
  for (std::size_t i = 0; i < n; ++i) {
    double m = -INFINITY;
    for (std::size_t j = 0; j < n; ++j) {
      double dot = 0;
      for (std::size_t k = 0; k < d; ++k) dot += Q[i * d + k] * K[j * d + k];
      p[j] = s * dot;
      m = std::max(m, p[j]);
    }
    double sum = 0;
    for (std::size_t j = 0; j < n; ++j) sum += (p[j] = std::exp(p[j] - m));
    for (std::size_t k = 0; k < d; ++k) {
      double o = 0;
      for (std::size_t j = 0; j < n; ++j) o += p[j] * V[j * d + k];
      out[i * d + k] = o / sum;
    }
  }
}

double res_norm(const double* A, std::size_t n, std::size_t d) {
  double r = 0;
  for (std::size_t j = 0; j < d; ++j) {
    double lo = INFINITY, hi = -INFINITY;
    for (std::size_t i = 0; i < n; ++i) {
      lo = std::min(lo, A[i * d + j]);
      hi = std::max(hi, A[i * d + j]);
    }
    r = std::max(r, (hi - lo) / 2);
  }
  return r;
}

namespace {

double max_abs(const std::vector<double>& a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::fabs(v));
  return m;
}

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t k = 0; k < a.size(); ++k) m = std::max(m, std::fabs(a[k] - b[k]));
  return m;
}

struct Run {
  std::vector<double> S;          // X_L
  std::vector<double> res, norm;  // per layer ℓ = 0..L
  double max_q = 0, max_k = 0;
};

// `layers` layers of the network; merged = every head fed X, summed in one layer.
Run network(const std::vector<double>& X, std::size_t n, std::size_t d, const float* W, bool given,
            const Params& params, int layers, bool residual, bool merged) {
  const double s = resolved_scale(params, d);
  const std::size_t nd = n * d;
  const int H = params.heads;
  Run r;
  r.S = X;
  r.res.push_back(res_norm(X.data(), n, d));
  r.norm.push_back(max_abs(X));
  std::vector<double> sum(nd), head(nd);
  auto project_max = [&](const double* A, const float* w, double& m) {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) {
        double v = 0;
        for (std::size_t k = 0; k < d; ++k) v += A[i * d + k] * w[k * d + j];
        m = std::max(m, std::fabs(v));
      }
  };
  for (int l = 0; l < layers; ++l) {
    std::fill(sum.begin(), sum.end(), 0.0);
    const std::vector<double>& in = merged ? X : r.S;
    for (int h = 0; h < H; ++h) {
      throw_if_cancelled();
      const float* w = W + (std::size_t(l) * H + h) * 3 * d * d;
      double mv = 0;
      project_max(in.data(), w, r.max_q);
      project_max(in.data(), w + d * d, r.max_k);
      project_max(in.data(), w + 2 * d * d, mv);
      const double m = std::max({r.max_q, r.max_k, mv});
      if (!(m <= kMaxEntry))
        throw Error(given ? "W" : "eta", "layer " + std::to_string(l) + "'s projections reach " +
                                             detail::to_text(m) +
                                             ", beyond 1e15: the network blows up");
      head_reference(in.data(), n, d, w, s, head.data());
      for (std::size_t k = 0; k < nd; ++k) sum[k] += head[k];
    }
    if (merged) {
      for (std::size_t k = 0; k < nd; ++k) r.S[k] += sum[k];
    } else {
      for (std::size_t k = 0; k < nd; ++k) r.S[k] = residual ? r.S[k] + sum[k] : sum[k];
      r.res.push_back(res_norm(r.S.data(), n, d));
      r.norm.push_back(max_abs(r.S));
    }
  }
  if (merged && !residual)
    for (std::size_t k = 0; k < nd; ++k) r.S[k] -= X[k];
  return r;
}

void trajectory_stats(const char* key, const Run& t, Stats& stats) {
  const std::string k(key);
  for (std::size_t l = 0; l < t.res.size(); ++l) {
    stats.push_back({"res_norm_" + k + "_" + std::to_string(l), t.res[l]});
    stats.push_back({"norm_" + k + "_" + std::to_string(l), t.norm[l]});
  }
}

}  // namespace

void reference(const Problem& p, const Params& params, float* out, Stats& stats) {
  const std::size_t n = p.n, d = p.d, nd = n * d;
  const std::vector<float> W = weights(p, params);
  const std::vector<double> X(p.X.data, p.X.data + nd);
  const Run deep = network(X, n, d, W.data(), p.W.data != nullptr, params, params.layers,
                           params.residual, false);
  for (std::size_t k = 0; k < nd; ++k) out[k] = static_cast<float>(deep.S[k]);
  const double x = max_abs(X);
  double w_max = 0;
  for (float v : W) w_max = std::max(w_max, double(std::fabs(v)));
  stats.push_back({"x_norm", x});
  const double eta = p.W.data ? w_max : params.eta;
  stats.push_back({"eta", eta});
  stats.push_back({"deviation_bound", deviation_bound(d, params, x, eta)});
  stats.push_back({"sqrt_ln_n", std::sqrt(std::log(double(n)))});
  const double deviation = max_diff(deep.S, X);
  stats.push_back({"deviation", deviation});
  stats.push_back({"entry_bound_q", deep.max_q});
  stats.push_back({"entry_bound_k", deep.max_k});
  stats.push_back({"entry_bound", std::max(deep.max_q, deep.max_k)});
  trajectory_stats(params.residual ? "skip" : "noskip", deep, stats);
  if (!params.compare) return;
  {
    // One layer of all L·H heads fed X: X + Σ heads (no skip: Σ heads).
    const Run m = network(X, n, d, W.data(), p.W.data != nullptr, params, params.layers,
                          params.residual, true);
    const double e = max_diff(deep.S, m.S);
    stats.push_back({"merged_error", e});
    stats.push_back({"merged_ratio", e / deviation});
  }
  {
    const Run f =
        network(X, n, d, W.data(), p.W.data != nullptr, params, 1, params.residual, false);
    const double e = max_diff(deep.S, f.S);
    stats.push_back({"first_layer_error", e});
    stats.push_back({"first_layer_ratio", e / deviation});
  }
  const Run other = network(X, n, d, W.data(), p.W.data != nullptr, params, params.layers,
                            !params.residual, false);
  trajectory_stats(params.residual ? "noskip" : "skip", other, stats);
}

}  // namespace subquad::collapse
