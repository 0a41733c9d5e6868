// Measurement of one backward method at one shape (suite "grad"): the
// backward alone, given the forward's O and lse (as a training step has
// them), and in the same record the forward it needs (attention's flash with
// return_lse), timed separately, and the ratio of the two.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "bench/measure.hpp"
#include "common/error.hpp"
#include "common/compare.hpp"
#include "common/json.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "grad/grad.hpp"

namespace subquad::bench {

namespace {

// Max |out − ref| / max |ref| over `rows` evenly spread rows of dQ, dK and dV
// (each against its own scale). dQ rows are recomputed in double from
// scratch; dK and dV rows take P_ij = exp(s·q_i·k_j − lse_i) with the
// forward's lse (the backward's input), everything else in double.
double sampled_error(const grad::Problem& p, const grad::Params& params, const grad::Output& out, std::size_t rows) {
  const std::size_t n = p.n, d = p.d;
  rows = std::min(rows, n);
  if (!rows) return NAN;
  const double s = grad::resolved_scale(params, d);
  const float *Q = p.Q.data, *K = p.K.data, *V = p.V.data, *dO = p.dO.data, *O = p.O.data, *lse = p.lse.data;
  std::vector<double> D(n);
  for (std::size_t i = 0; i < n; ++i) {
    double dot = 0;
    for (std::size_t k = 0; k < d; ++k) dot += double(dO[i * d + k]) * O[i * d + k];
    D[i] = dot;
  }
  double err[3] = {0, 0, 0}, ref[3] = {0, 0, 0};
  std::vector<double> a(n), dq(d), dk(d), dv(d), o(d);
  auto dot = [d](const float* x, const float* y) {
    double t = 0;
    for (std::size_t k = 0; k < d; ++k) t += double(x[k]) * y[k];
    return t;
  };
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t i = rows == 1 ? 0 : r * (n - 1) / (rows - 1);
    // dQ row i, from scratch.
    const std::size_t keys = params.causal ? i + 1 : n;
    double m = -INFINITY, sum = 0;
    for (std::size_t j = 0; j < keys; ++j) m = std::max(m, a[j] = s * dot(Q + i * d, K + j * d));
    for (std::size_t j = 0; j < keys; ++j) sum += (a[j] = std::exp(a[j] - m));
    std::fill(o.begin(), o.end(), 0.0);
    for (std::size_t j = 0; j < keys; ++j)
      for (std::size_t k = 0; k < d; ++k) o[k] += a[j] / sum * V[j * d + k];
    double Di = 0;
    for (std::size_t k = 0; k < d; ++k) Di += dO[i * d + k] * o[k];
    std::fill(dq.begin(), dq.end(), 0.0);
    for (std::size_t j = 0; j < keys; ++j) {
      const double ds = a[j] / sum * (dot(dO + i * d, V + j * d) - Di);
      for (std::size_t k = 0; k < d; ++k) dq[k] += s * ds * K[j * d + k];
    }
    // dK and dV row j = i, over the queries that attend to it.
    const std::size_t j = i;
    std::fill(dk.begin(), dk.end(), 0.0);
    std::fill(dv.begin(), dv.end(), 0.0);
    for (std::size_t q = params.causal ? j : 0; q < n; ++q) {
      const double P = std::exp(s * dot(Q + q * d, K + j * d) - lse[q]);
      const double ds = P * (dot(dO + q * d, V + j * d) - D[q]);
      for (std::size_t k = 0; k < d; ++k) {
        dk[k] += s * ds * Q[q * d + k];
        dv[k] += P * dO[q * d + k];
      }
    }
    const std::vector<double>* refs[3] = {&dq, &dk, &dv};
    const float* outs[3] = {out.dQ + i * d, out.dK + j * d, out.dV + j * d};
    for (int x = 0; x < 3; ++x)
      for (std::size_t k = 0; k < d; ++k) {
        err[x] = std::max(err[x], std::fabs(outs[x][k] - (*refs[x])[k]));
        ref[x] = std::max(ref[x], std::fabs((*refs[x])[k]));
      }
  }
  double worst = 0;
  for (int x = 0; x < 3; ++x) worst = std::max(worst, ref[x] > 0 ? err[x] / ref[x] : err[x]);
  return worst;
}

// The paper's problem (loss_* methods): A₁, A₂, A₃, E from the suite's
// distribution, X uniform in [−1/d, 1/d] (so ‖A₁X‖∞ ≤ B), Y in [−1, 1]. The
// method alone is timed; its dX is compared (outside the timer) with
// loss_exact's, and loss_exact's with loss_reference's up to n = 2,048.
std::string measure_grad_loss(const OptionValues& v, const Options& o, const std::string& method) {
  const auto n = static_cast<std::size_t>(v.integer("n"));
  const auto d = static_cast<std::size_t>(v.integer("d"));
  const auto seed = static_cast<std::uint64_t>(v.integer("seed"));
  const double min_ms = v.number("min_ms");
  const bool check = v.integer("check_rows") > 0;
  const grad::Params params =
      grad::params_from(method_options(o, grad::family(), method, suite_keys("grad")), d, method);
  const grad::LossMethod& m = grad::find_loss_method(method);
  require_memory("n, d", 4.0 * 4 * n * d + 4.0 * 3 * d * d + m.cost(n, d, params).memory_bytes);
  const auto A1 = make_matrix(v, n, d, seed), A2 = make_matrix(v, n, d, seed + 1), A3 = make_matrix(v, n, d, seed + 2),
             E = make_matrix(v, n, d, seed + 3);
  const auto X = uniform_matrix(d, d, 1.0 / d, seed + 4), Y = uniform_matrix(d, d, 1.0, seed + 5);
  const std::size_t nd = n * d, dd = d * d;
  const grad::LossProblem prob{n, d, {A1.data(), nd}, {A2.data(), nd}, {A3.data(), nd}, {E.data(), nd},
                               {X.data(), dd}, {Y.data(), dd}};
  std::vector<float> dX(dd);
  grad::Stats stats;
  const double v0 = now_ms();
  grad::prepare_loss(method, prob, params);
  const double validate_ms = now_ms() - v0;
  double loss = 0;
  const Timing t = time_median(
      [&] {
        stats.clear();
        loss = grad::execute_loss(m, prob, params, dX.data(), stats);
      },
      1, min_ms, 200);

  double error = NAN, loss_error = NAN;
  std::string against;
  if (check) {
    against = method == "loss_exact" ? "loss_reference" : "loss_exact";
    if (against == "loss_reference" && n > 2048) against.clear();
  }
  if (!against.empty()) {
    grad::Params rp = params;
    rp.degree = 4;
    std::vector<float> ref(dd);
    grad::Stats rs;
    const double ref_loss = grad::run_loss(against, prob, rp, ref.data(), rs);
    error = relative_error(dX.data(), ref.data(), dd);
    loss_error = std::fabs(loss - ref_loss) / std::max(std::fabs(ref_loss), 1e-300);
  }
  const Cost cost = m.cost(n, d, params);
  JsonLine j;
  j.add("suite", "grad").add("method", method).add("n", n).add("d", d);
  j.add("dist", v.text("dist"));
  if (v.text("dist") == "uniform") j.add("B", v.number("B"));
  j.add("scale", grad::resolved_scale(params, d));
  j.add("flavour", build_flavour()).add("threads", resolve_threads(params.threads));
  j.add("timed", "kernel").add("median_ms", t.median_ms).add("min_ms", t.min_ms).add("max_ms", t.max_ms);
  j.add("q1_ms", t.q1_ms).add("q3_ms", t.q3_ms).add("reps", t.reps).add("validate_ms", validate_ms);
  j.add("gflops", cost.flops / (t.median_ms * 1e6));
  j.add("memory_mb", cost.memory_bytes / 1048576.0);
  j.add("loss", loss).add("error", error).add("loss_error", loss_error);
  if (!against.empty()) j.add("error_against", against);
  for (const auto& [key, value] : stats) j.add(key, value);
  return j.str();
}

}  // namespace

std::string measure_grad(const Options& o) {
  const OptionValues v = suite_values("grad", o);
  const std::string method = v.text("method");
  if (grad::is_loss_method(method)) return measure_grad_loss(v, o, method);
  const auto n = static_cast<std::size_t>(v.integer("n"));
  const auto d = static_cast<std::size_t>(v.integer("d"));
  const auto seed = static_cast<std::uint64_t>(v.integer("seed"));
  const double min_ms = v.number("min_ms");
  const auto check_rows = static_cast<std::size_t>(v.integer("check_rows"));
  const grad::Params params =
      grad::params_from(method_options(o, grad::family(), method, suite_keys("grad")), d, method);
  const grad::Method& m = grad::find_method(method);
  // Q, K, V, dO, O and dQ, dK, dV beside what the method allocates.
  require_memory("n, d", 4.0 * 8 * n * d + 4.0 * n + m.cost(n, n, d, params).memory_bytes);

  const auto Q = make_matrix(v, n, d, seed), K = make_matrix(v, n, d, seed + 1), V = make_matrix(v, n, d, seed + 2),
             dO = make_matrix(v, n, d, seed + 3);
  std::vector<float> O(n * d), lse(n), dQ(n * d), dK(n * d), dV(n * d);

  // The forward pass the backward needs: flash with its log-sum-exps.
  attention::Params fp;
  fp.scale = grad::resolved_scale(params, d);
  fp.causal = params.causal;
  fp.threads = params.threads;
  fp.return_lse = true;
  const attention::Problem fprob{n, d, Q.data(), K.data(), V.data()};
  attention::Stats fstats;
  const attention::Method& fm = attention::prepare("flash", fprob, fp);
  const Timing ft = time_median(
      [&] {
        fstats.clear();
        attention::execute(fm, fprob, fp, O.data(), fstats, lse.data());
      },
      1, min_ms, 200);

  const grad::Problem prob{n, d, {Q.data(), Q.size()}, {K.data(), K.size()}, {V.data(), V.size()},
                           {dO.data(), dO.size()}, {O.data(), O.size()}, {lse.data(), lse.size()}};
  const grad::Output out{dQ.data(), dK.data(), dV.data()};
  grad::Stats stats;
  const double v0 = now_ms();
  grad::prepare(method, prob, params);
  const double validate_ms = now_ms() - v0;
  const Timing t = time_median(
      [&] {
        stats.clear();
        grad::execute(m, prob, params, out, stats);
      },
      1, min_ms, 200);

  const std::size_t rows = std::min(check_rows, n);
  const double error = sampled_error(prob, params, out, rows);
  const Cost cost = m.cost(n, n, d, params);
  JsonLine j;
  j.add("suite", "grad").add("method", method).add("n", n).add("d", d);
  j.add("dist", v.text("dist"));
  if (v.text("dist") == "uniform") j.add("B", v.number("B"));
  j.add("scale", grad::resolved_scale(params, d)).add("causal", params.causal);
  j.add("flavour", build_flavour()).add("threads", resolve_threads(params.threads));
  j.add("timed", "kernel").add("median_ms", t.median_ms).add("min_ms", t.min_ms).add("max_ms", t.max_ms);
  j.add("q1_ms", t.q1_ms).add("q3_ms", t.q3_ms).add("reps", t.reps).add("validate_ms", validate_ms);
  j.add("gflops", cost.flops / (t.median_ms * 1e6));
  j.add("memory_mb", cost.memory_bytes / 1048576.0);
  j.add("forward", "flash").add("forward_median_ms", ft.median_ms).add("forward_min_ms", ft.min_ms);
  j.add("forward_q1_ms", ft.q1_ms).add("forward_q3_ms", ft.q3_ms).add("forward_reps", ft.reps);
  j.add("backward_over_forward", t.median_ms / ft.median_ms);
  j.add("error", error).add("error_rows", rows);
  for (const auto& [key, value] : stats) j.add(key, value);
  return j.str();
}

}  // namespace subquad::bench
