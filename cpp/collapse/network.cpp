// The fast networks: projections by the SIMD gemm (row blocks over threads),
// each head's attention by the attention family's public run() (flash or
// exact), the residual stream's update D_ℓ = X_ℓ − X kept apart from X.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "collapse/collapse.hpp"
#include "common/error.hpp"
#include "common/threads.hpp"
#include "simd/gemm.hpp"

namespace subquad::collapse {

namespace {

double max_abs(const float* a, std::size_t count) {
  double m = 0;
  for (std::size_t t = 0; t < count; ++t) m = std::max(m, double(std::fabs(a[t])));
  return m;
}

// Buffers one head needs, shared by every head of a run.
struct Heads {
  Heads(const Problem& p, const Params& params, const float* W)
      : n(p.n), d(p.d), W(W), Q(n * d), K(n * d), V(n * d), O(n * d) {
    ap.scale = resolved_scale(params, d);
    ap.threads = params.threads;
    method = params.attention;
    weights_given = p.W.data != nullptr;
  }
  std::size_t n, d;
  const float* W;
  std::vector<float> Q, K, V, O;
  attention::Params ap;
  std::string method;
  bool weights_given;
  double max_q = 0, max_k = 0;
  attention::Stats stats;

  void project(const float* A, const float* w, float* out) {
    parallel_for(n, 64, ap.threads, [&](std::size_t begin, std::size_t end, int) {
      simd::gemm(end - begin, d, d, A + begin * d, d, w, d, out + begin * d, d, false);
    });
  }

  // acc += head_{ℓh}(A); the projections' largest entries are recorded.
  void add(const float* A, int layer, int head, int heads, int layers, float* acc) {
    throw_if_cancelled();
    const float* w = W + (std::size_t(layer) * heads + head) * 3 * d * d;
    project(A, w, Q.data());
    project(A, w + d * d, K.data());
    project(A, w + 2 * d * d, V.data());
    const double mq = max_abs(Q.data(), n * d), mk = max_abs(K.data(), n * d),
                 mv = max_abs(V.data(), n * d);
    const double m = std::max({mq, mk, mv});
    if (!(m <= kMaxEntry))
      throw Error(
          weights_given ? "W" : "eta",
          "layer " + std::to_string(layer) + "'s projections reach " + detail::to_text(m) +
              ", beyond 1e15 (float32 scores overflow): the network blows up; use smaller " +
              (weights_given ? std::string("weights") : std::string("eta")) + " or fewer layers (" +
              std::to_string(layers) + " now)");
    max_q = std::max(max_q, mq);
    max_k = std::max(max_k, mk);
    stats.clear();
    attention::run(method, {n, d, Q.data(), K.data(), V.data()}, ap, O.data(), stats);
    for (std::size_t t = 0; t < n * d; ++t) acc[t] += O[t];
  }
};

struct Trajectory {
  std::vector<float> D;           // X_L − X
  std::vector<double> res, norm;  // res_norm(X_ℓ), max|X_ℓ|, ℓ = 0..L
};

// The L-layer network (layers = 1: the first layer alone). Xl: n×d scratch,
// ends as X_L.
Trajectory deep(const Problem& p, int layers, int heads, bool residual, Heads& hs,
                std::vector<float>& Xl, std::vector<float>& acc) {
  const std::size_t nd = p.n * p.d;
  const float* X = p.X.data;
  Trajectory t;
  t.D.assign(nd, 0.0f);
  std::copy(X, X + nd, Xl.begin());
  t.res.push_back(res_norm(X, p.n, p.d));
  t.norm.push_back(max_abs(X, nd));
  for (int l = 0; l < layers; ++l) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int h = 0; h < heads; ++h) hs.add(Xl.data(), l, h, heads, layers, acc.data());
    for (std::size_t k = 0; k < nd; ++k) {
      if (residual) {
        t.D[k] += acc[k];
        Xl[k] = X[k] + t.D[k];
      } else {
        t.D[k] = acc[k] - X[k];
        Xl[k] = acc[k];
      }
    }
    t.res.push_back(res_norm(Xl.data(), p.n, p.d));
    t.norm.push_back(max_abs(Xl.data(), nd));
  }
  return t;
}

// All L·H heads fed X: D = Σ head(X) (− X without the skip).
std::vector<float> merged(const Problem& p, const Params& params, Heads& hs,
                          std::vector<float>& acc) {
  const std::size_t nd = p.n * p.d;
  std::fill(acc.begin(), acc.end(), 0.0f);
  for (int l = 0; l < params.layers; ++l)
    for (int h = 0; h < params.heads; ++h)
      hs.add(p.X.data, l, h, params.heads, params.layers, acc.data());
  std::vector<float> D(acc);
  if (!params.residual)
    for (std::size_t k = 0; k < nd; ++k) D[k] -= p.X.data[k];
  return D;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (std::size_t k = 0; k < a.size(); ++k)
    m = std::max(m, std::fabs(double(a[k]) - double(b[k])));
  return m;
}

double max_abs(const std::vector<float>& a) { return max_abs(a.data(), a.size()); }

// Half a float32 ulp at the largest entry: what comparing two float32 outputs resolves.
double resolution(double largest) {
  if (!(largest > 0)) return 0;
  return std::ldexp(1.0, std::ilogb(largest) - 24);
}

void common_stats(const Problem& p, const Params& params, Stats& stats) {
  const double x = max_abs(p.X.data, p.n * p.d);
  stats.push_back({"x_norm", x});
  const double eta = p.W.data ? max_abs(p.W.data, p.W.size) : params.eta;
  stats.push_back({"eta", eta});
  stats.push_back({"deviation_bound", deviation_bound(p.d, params, x, eta)});
  stats.push_back({"sqrt_ln_n", std::sqrt(std::log(double(p.n)))});
}

void trajectory_stats(const char* key, const Trajectory& t, Stats& stats) {
  const std::string k(key);
  for (std::size_t l = 0; l < t.res.size(); ++l) {
    stats.push_back({"res_norm_" + k + "_" + std::to_string(l), t.res[l]});
    stats.push_back({"norm_" + k + "_" + std::to_string(l), t.norm[l]});
  }
}

}  // namespace

double res_norm(const float* A, std::size_t n, std::size_t d) {
  double r = 0;
  for (std::size_t j = 0; j < d; ++j) {
    double lo = INFINITY, hi = -INFINITY;
    for (std::size_t i = 0; i < n; ++i) {
      lo = std::min(lo, double(A[i * d + j]));
      hi = std::max(hi, double(A[i * d + j]));
    }
    r = std::max(r, (hi - lo) / 2);
  }
  return r;
}

void san_forward(const Problem& p, const Params& params, float* out, Stats& stats) {
  const std::vector<float> W = weights(p, params);
  Heads hs(p, params, W.data());
  const std::size_t nd = p.n * p.d;
  std::vector<float> Xl(nd), acc(nd);
  const Trajectory t = deep(p, params.layers, params.heads, params.residual, hs, Xl, acc);
  std::copy(Xl.begin(), Xl.end(), out);
  common_stats(p, params, stats);
  const double deviation = max_abs(t.D);
  stats.push_back({"deviation", deviation});
  stats.push_back({"entry_bound_q", hs.max_q});
  stats.push_back({"entry_bound_k", hs.max_k});
  stats.push_back({"entry_bound", std::max(hs.max_q, hs.max_k)});
  stats.push_back({"output_resolution", resolution(std::max(max_abs(p.X.data, nd), max_abs(Xl)))});
  trajectory_stats(params.residual ? "skip" : "noskip", t, stats);
  if (!params.compare) return;
  {
    const std::vector<float> Dm = merged(p, params, hs, acc);
    const double e = max_diff(t.D, Dm);
    stats.push_back({"merged_error", e});
    stats.push_back({"merged_ratio", e / deviation});
  }
  {
    const Trajectory f = deep(p, 1, params.heads, params.residual, hs, Xl, acc);
    const double e = max_diff(t.D, f.D);
    stats.push_back({"first_layer_error", e});
    stats.push_back({"first_layer_ratio", e / deviation});
  }
  const Trajectory other = deep(p, params.layers, params.heads, !params.residual, hs, Xl, acc);
  trajectory_stats(params.residual ? "noskip" : "skip", other, stats);
}

void san_merged(const Problem& p, const Params& params, float* out, Stats& stats) {
  const std::vector<float> W = weights(p, params);
  Heads hs(p, params, W.data());
  const std::size_t nd = p.n * p.d;
  std::vector<float> acc(nd);
  const std::vector<float> D = merged(p, params, hs, acc);
  for (std::size_t k = 0; k < nd; ++k) out[k] = params.residual ? p.X.data[k] + D[k] : acc[k];
  common_stats(p, params, stats);
  stats.push_back({"deviation", max_abs(D)});
  stats.push_back({"entry_bound_q", hs.max_q});
  stats.push_back({"entry_bound_k", hs.max_k});
  stats.push_back({"entry_bound", std::max(hs.max_q, hs.max_k)});
}

void first_layer(const Problem& p, const Params& params, float* out, Stats& stats) {
  const std::vector<float> W = weights(p, params);
  Heads hs(p, params, W.data());
  const std::size_t nd = p.n * p.d;
  std::vector<float> Xl(nd), acc(nd);
  const Trajectory t = deep(p, 1, params.heads, params.residual, hs, Xl, acc);
  std::copy(Xl.begin(), Xl.end(), out);
  common_stats(p, params, stats);
  stats.push_back({"deviation", max_abs(t.D)});
  stats.push_back({"entry_bound_q", hs.max_q});
  stats.push_back({"entry_bound_k", hs.max_k});
  stats.push_back({"entry_bound", std::max(hs.max_q, hs.max_k)});
}

void res_norm_method(const Problem& p, const Params&, float* out, Stats& stats) {
  const std::size_t n = p.n, d = p.d;
  const float* X = p.X.data;
  double r = 0;
  for (std::size_t j = 0; j < d; ++j) {
    float lo = X[j], hi = X[j];
    for (std::size_t i = 1; i < n; ++i) {
      lo = std::min(lo, X[i * d + j]);
      hi = std::max(hi, X[i * d + j]);
    }
    const double mid = (double(lo) + double(hi)) / 2;
    for (std::size_t i = 0; i < n; ++i)
      out[i * d + j] = static_cast<float>(double(X[i * d + j]) - mid);
    r = std::max(r, (double(hi) - double(lo)) / 2);
  }
  stats.push_back({"res_norm", r});
  stats.push_back({"x_norm", max_abs(X, n * d)});
}

}  // namespace subquad::collapse
