// fit_one_layer: a one-layer network of L·H heads (the merged layer's shape)
// trained by Adam to imitate the deep network on random inputs X_b ~ N(0, 1),
// starting from the deep network's own weights (i.e. from san_merged). Loss:
// mean over the batch of mean (Y'(X_b) − S(X_b))², Y' = [X +] Σ_k head_k(X).
// Each head's gradient comes from the grad family's public flash backward
// (dQ, dK, dV given dO = ∂loss/∂Y'), then dW_Q = Xᵀ dQ, dW_K = Xᵀ dK,
// dW_V = Xᵀ dV. The forward is recomputed head by head in the backward pass,
// so memory stays O(n·d) beyond the weights and Adam's moments.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "collapse/collapse.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "grad/grad.hpp"
#include "simd/gemm.hpp"

namespace subquad::collapse {

namespace {

struct Student {
  std::size_t n, d;
  int heads;  // L·H
  double scale;
  int threads;
  std::vector<float> Q, K, V, O, lse, Xt, dQ, dK, dV;
  Student(std::size_t n, std::size_t d, int heads, double scale, int threads)
      : n(n),
        d(d),
        heads(heads),
        scale(scale),
        threads(threads),
        Q(n * d),
        K(n * d),
        V(n * d),
        O(n * d),
        lse(n),
        Xt(d * n),
        dQ(n * d),
        dK(n * d),
        dV(n * d) {}

  void project(const float* X, const float* w, float* out) {
    parallel_for(n, 64, threads, [&](std::size_t begin, std::size_t end, int) {
      simd::gemm(end - begin, d, d, X + begin * d, d, w, d, out + begin * d, d, false);
    });
  }

  // Head k's Q, K, V, O and lse for input X.
  void head(const float* X, const float* W, int k) {
    const float* w = W + std::size_t(k) * 3 * d * d;
    project(X, w, Q.data());
    project(X, w + d * d, K.data());
    project(X, w + 2 * d * d, V.data());
    attention::Params ap;
    ap.scale = scale;
    ap.threads = threads;
    ap.return_lse = true;
    attention::Stats st;
    attention::run("flash", {n, d, Q.data(), K.data(), V.data()}, ap, O.data(), st, lse.data());
  }

  // Σ_k head_k(X) into sum (n×d).
  void forward(const float* X, const float* W, float* sum) {
    std::fill(sum, sum + n * d, 0.0f);
    for (int k = 0; k < heads; ++k) {
      throw_if_cancelled();
      head(X, W, k);
      for (std::size_t t = 0; t < n * d; ++t) sum[t] += O[t];
    }
  }

  // g += ∂loss/∂W given dY = ∂loss/∂Y' (the same for every head: Y' sums them).
  void backward(const float* X, const float* W, const float* dY, float* g) {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) Xt[j * n + i] = X[i * d + j];
    grad::Params gp;
    gp.scale = scale;
    gp.threads = threads;
    for (int k = 0; k < heads; ++k) {
      throw_if_cancelled();
      head(X, W, k);
      const std::size_t nd = n * d;
      grad::Problem p{n,
                      d,
                      {Q.data(), nd},
                      {K.data(), nd},
                      {V.data(), nd},
                      {dY, nd},
                      {O.data(), nd},
                      {lse.data(), n}};
      grad::Stats gs;
      grad::run("flash", p, gp, {dQ.data(), dK.data(), dV.data()}, gs);
      float* gk = g + std::size_t(k) * 3 * d * d;
      simd::gemm(d, d, n, Xt.data(), n, dQ.data(), d, gk, d, true);
      simd::gemm(d, d, n, Xt.data(), n, dK.data(), d, gk + d * d, d, true);
      simd::gemm(d, d, n, Xt.data(), n, dV.data(), d, gk + 2 * d * d, d, true);
    }
  }
};

}  // namespace

double fit_memory(std::size_t n, std::size_t d, const Params& params) {
  const double nd = double(n) * d,
               weights = double(params.layers) * params.heads * 3 * double(d) * d;
  grad::Params gp;
  gp.threads = params.threads;
  const double backward =
      grad::find_method("flash").cost(n, n, d, gp).memory_bytes - 4.0 * (nd + n);  // O, lse given
  // The student's weights, gradient and two Adam moments; the targets' network
  // (san_forward without compare) runs with its own; X_b, S(X_b), Y', dY, the
  // head's Q, K, V, O, lse, Xᵀ, dQ, dK, dV.
  Params deep = params;
  deep.compare = false;
  attention::Params ap;
  ap.scale = resolved_scale(params, d);
  ap.threads = params.threads;
  const double forward = attention::find_method("flash").cost(n, n, d, ap).memory_bytes;
  return 4.0 * (4 * weights + 12 * nd + n) +
         std::max({network_memory(n, d, deep, 1), backward, forward, 0.0});
}

void fit_one_layer(const Problem& p, const Params& params, float* out, Stats& stats) {
  const std::size_t n = p.n, d = p.d, nd = n * d;
  const int K = params.layers * params.heads;
  std::vector<float> W = weights(p, params), g(W.size()), m(W.size(), 0.0f), v(W.size(), 0.0f);
  const double eta = p.W.data ? [&] {
    double e = 0;
    for (float w : W) e = std::max(e, double(std::fabs(w)));
    return e;
  }() : params.eta;
  Student st(n, d, K, resolved_scale(params, d), params.threads);
  Params deep = params;
  deep.compare = false;
  std::vector<float> Xb(nd), T(nd), Y(nd), dY(nd);
  Stats ds;
  // Y'(X) − S(X), over the residual stream when there is a skip.
  auto residual_diff = [&](const float* X, const float* S, std::vector<float>& diff) {
    st.forward(X, W.data(), Y.data());
    for (std::size_t t = 0; t < nd; ++t)
      diff[t] = params.residual ? Y[t] - (S[t] - X[t]) : Y[t] - S[t];
  };
  auto target = [&](const float* X, float* S) {
    ds.clear();
    san_forward({n, d, {X, nd}, p.W}, deep, S, ds);
  };
  const double lr = params.lr * eta, b1 = 0.9, b2 = 0.999;
  double loss_first = NAN, loss_last = NAN;
  for (int step = 0; step < params.steps; ++step) {
    std::fill(g.begin(), g.end(), 0.0f);
    double loss = 0;
    for (int b = 0; b < params.batch; ++b) {
      Rng rng(params.seed * 1000003u + std::uint64_t(step) * 131 + b + 17);
      for (auto& x : Xb) x = static_cast<float>(rng.gaussian());
      target(Xb.data(), T.data());
      residual_diff(Xb.data(), T.data(), dY);
      const double c = 2.0 / (double(params.batch) * nd);
      for (std::size_t t = 0; t < nd; ++t) {
        loss += double(dY[t]) * dY[t] / (double(params.batch) * nd);
        dY[t] = static_cast<float>(c * dY[t]);
      }
      st.backward(Xb.data(), W.data(), dY.data(), g.data());
    }
    if (step == 0) loss_first = loss;
    loss_last = loss;
    const double c1 = 1 - std::pow(b1, step + 1), c2 = 1 - std::pow(b2, step + 1);
    // Cosine decay to 0: Adam's steps (≈ the learning rate each) must shrink for the fit to settle.
    const double rate = lr * 0.5 * (1 + std::cos(3.141592653589793 * step / params.steps));
    for (std::size_t t = 0; t < W.size(); ++t) {
      m[t] = static_cast<float>(b1 * m[t] + (1 - b1) * g[t]);
      v[t] = static_cast<float>(b2 * v[t] + (1 - b2) * double(g[t]) * g[t]);
      W[t] -= static_cast<float>(rate * (m[t] / c1) / (std::sqrt(v[t] / c2) + 1e-12));
    }
  }
  // On the given X: the trained layer against the deep network and the merged layer (its start).
  target(p.X.data, T.data());
  double deviation = 0, err = 0;
  residual_diff(p.X.data, T.data(), dY);
  for (std::size_t t = 0; t < nd; ++t) {
    deviation = std::max(deviation, std::fabs(double(T[t]) - p.X.data[t]));
    err = std::max(err, std::fabs(double(dY[t])));
    out[t] = params.residual ? p.X.data[t] + Y[t] : Y[t];
  }
  stats.push_back({"deviation", deviation});
  stats.push_back({"fit_error", err});
  stats.push_back({"fit_ratio", err / deviation});
  stats.push_back({"train_loss_first", loss_first});
  stats.push_back({"train_loss_last", loss_last});
  stats.push_back({"steps", double(params.steps)});
}

}  // namespace subquad::collapse
