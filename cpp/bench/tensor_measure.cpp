// Measurement of one tensor-attention method at one shape (suite "tensor"):
// kernel time, GFLOP/s (4 flops per key pair per width, exps not counted),
// error on sampled rows against the double triple loop, and in the same
// record, optionally, a matrix-attention comparison on the same inputs:
//   vs = flash: attention's flash at the same n, d (Q, K1, V1), timed the
//     same way — the GFLOP/s ratio the exact kernel is held to;
//   vs = matrix_polynomial: attention's polynomial at the same degree (equal
//     rank C(d+g, g)) on Q, K1, V1, its error against attention's reference on
//     the same rows — the ∛ vs √ threshold side by side.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "bench/measure.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "tensor/tensor.hpp"

namespace subquad::bench {

namespace {

// Rows i evenly spread over [0, n).
std::size_t row_of(std::size_t s, std::size_t rows, std::size_t n) { return rows == 1 ? 0 : s * (n - 1) / (rows - 1); }

// A reference row costs |pairs|·d in double: rows are checked only while that stays ≤ 2^28.
std::size_t affordable_rows(std::size_t rows, double pairs_per_row, std::size_t d) {
  return pairs_per_row * d <= double(1 << 28) ? rows : 0;
}

}  // namespace

std::string measure_tensor(const Options& o) {
  const OptionValues v = suite_values("tensor", o);
  const std::string method = v.text("method"), vs = v.text("vs");
  const auto n = static_cast<std::size_t>(v.integer("n"));
  const auto d = static_cast<std::size_t>(v.integer("d"));
  const auto seed = static_cast<std::uint64_t>(v.integer("seed"));
  const double min_ms = v.number("min_ms"), B = v.number("B");
  const bool nonnegative = v.text("dist") == "nonnegative";
  const auto check_rows = static_cast<std::size_t>(v.integer("check_rows"));
  const tensor::Params params =
      tensor::params_from(method_options(o, tensor::family(), method, suite_keys("tensor")), d, method);
  const tensor::Method& m = tensor::find_method(method);
  require_memory("n, d", 24.0 * n * d + m.cost(n, d, params).memory_bytes);

  const auto Q = tensor::generate(n, d, B, nonnegative, seed), K1 = tensor::generate(n, d, B, nonnegative, seed + 1),
             K2 = tensor::generate(n, d, B, nonnegative, seed + 2), V1 = tensor::generate(n, d, 1.0, false, seed + 3),
             V2 = tensor::generate(n, d, 1.0, false, seed + 4);
  std::vector<float> out(n * d);
  const tensor::Problem prob{n, d, Q.data(), K1.data(), K2.data(), V1.data(), V2.data()};
  tensor::Stats stats;
  const double v0 = now_ms();
  tensor::prepare(method, prob, params);
  const double validate_ms = now_ms() - v0;
  const Timing t = time_median(
      [&] {
        stats.clear();
        tensor::execute(m, prob, params, out.data(), stats);
      },
      1, min_ms, 200);
  tensor::describe(m, prob, params, stats);

  // Error on sampled rows against the double triple loop (windowed: over its windows).
  const bool windowed = m.run == tensor::windowed;
  double pairs_per_row = double(n) * n;
  if (windowed) {
    const tensor::Ranges r = tensor::ranges(n - 1, n, params, true);
    pairs_per_row = double(r.j1 - r.j0) * double(r.k1 - r.k0);
  }
  const std::size_t rows = affordable_rows(std::min(check_rows, n), pairs_per_row, d);
  double err = 0, ref = 0;
  std::vector<double> r(d);
  for (std::size_t s = 0; s < rows; ++s) {
    const std::size_t i = row_of(s, rows, n);
    tensor::reference_row(prob, params, i, r.data(), windowed);
    for (std::size_t k = 0; k < d; ++k) {
      err = std::max(err, std::fabs(double(out[i * d + k]) - r[k]));
      ref = std::max(ref, std::fabs(r[k]));
    }
  }
  const double error = rows ? (ref > 0 ? err / ref : err) : NAN;

  const Cost cost = m.cost(n, d, params);
  JsonLine j;
  j.add("suite", "tensor").add("method", method).add("n", n).add("d", d);
  j.add("dist", v.text("dist")).add("B", B);
  j.add("scale", tensor::resolved_scale(params, d)).add("causal", params.causal);
  if (windowed) j.add("w1", params.w1).add("w2", params.w2);
  j.add("flavour", build_flavour()).add("threads", resolve_threads(params.threads));
  j.add("timed", "kernel").add("median_ms", t.median_ms).add("min_ms", t.min_ms).add("max_ms", t.max_ms);
  j.add("q1_ms", t.q1_ms).add("q3_ms", t.q3_ms).add("reps", t.reps).add("validate_ms", validate_ms);
  j.add("gflops", cost.flops / (t.median_ms * 1e6));
  j.add("memory_mb", cost.memory_bytes / 1048576.0);
  j.add("error", error).add("error_rows", rows);
  for (const auto& [key, value] : stats) j.add(key, value);

  if (vs == "flash") {
    attention::Params fp;
    fp.scale = tensor::resolved_scale(params, d);
    fp.causal = params.causal;
    fp.threads = params.threads;
    const auto fn = v.integer("flash_n") ? static_cast<std::size_t>(v.integer("flash_n")) : n;
    require_memory("flash_n", 16.0 * fn * d + attention::find_method("flash").cost(fn, fn, d, fp).memory_bytes);
    const auto FQ = fn == n ? Q : tensor::generate(fn, d, B, nonnegative, seed + 5),
               FK = fn == n ? K1 : tensor::generate(fn, d, B, nonnegative, seed + 6),
               FV = fn == n ? V1 : tensor::generate(fn, d, 1.0, false, seed + 7);
    std::vector<float> fout(fn * d);
    const attention::Problem ap{fn, d, FQ.data(), FK.data(), FV.data()};
    attention::Stats fstats;
    const attention::Method& fm = attention::prepare("flash", ap, fp);
    const Timing ft = time_median(
        [&] {
          fstats.clear();
          attention::execute(fm, ap, fp, fout.data(), fstats);
        },
        1, min_ms, 200);
    const double flash_gflops = fm.cost(fn, fn, d, fp).flops / (ft.median_ms * 1e6);
    j.add("vs", "flash").add("flash_n", fn).add("flash_median_ms", ft.median_ms).add("flash_reps", ft.reps);
    j.add("flash_gflops", flash_gflops).add("gflops_over_flash", cost.flops / (t.median_ms * 1e6) / flash_gflops);
  } else if (vs == "matrix_polynomial") {
    attention::Params pp;
    pp.scale = tensor::resolved_scale(params, d);
    pp.threads = params.threads;
    pp.degree = params.degree;
    pp.poly = params.poly;
    const attention::Problem ap{n, d, Q.data(), K1.data(), V1.data()};
    attention::Stats pstats;
    std::vector<float> mo(n * d);
    std::string stopped;
    try {
      attention::run("polynomial", ap, pp, mo.data(), pstats);
    } catch (const Error& e) {
      stopped = e.what();  // R beyond float32 range, …
    }
    const std::size_t mrows = affordable_rows(std::min(check_rows, n), double(n), d);
    double merr = 0, mref = 0;
    const attention::Method& pm = attention::find_method("polynomial");
    for (std::size_t s = 0; s < mrows && stopped.empty(); ++s) {
      const std::size_t i = row_of(s, mrows, n);
      attention::reference_row(pm, ap, pp, i, r.data());
      for (std::size_t k = 0; k < d; ++k) {
        merr = std::max(merr, std::fabs(double(mo[i * d + k]) - r[k]));
        mref = std::max(mref, std::fabs(r[k]));
      }
    }
    j.add("vs", "matrix_polynomial");
    j.add("matrix_error", stopped.empty() && mrows ? (mref > 0 ? merr / mref : merr) : NAN);
    for (const auto& [key, value] : pstats)
      if (key == "rank" || key == "R" || key == "error_bound" || key == "negative_denominators")
        j.add("matrix_" + key, value);
    if (!stopped.empty()) j.add("matrix_stopped", stopped);
  }
  return j.str();
}

}  // namespace subquad::bench

namespace subquad::bench {

// Suite "tensor_threshold": the polynomial method's error as B grows, for
// tensor attention (layer = tensor: trilinear scores up to scale·d·B³) or
// matrix attention (layer = matrix: attention's polynomial on Q, K1, V1,
// scores up to scale·d·B²) at the same degree — equal rank C(d+g, g) — on
// the same nonnegative inputs in [0, B] (aligned: the worst case is reached).
// Error: max |O − R| / max |R| over sampled rows of each one's double reference.
std::string measure_tensor_threshold(const Options& o) {
  const OptionValues v = suite_values("tensor_threshold", o.without({"suite"}));
  const std::string layer = v.text("layer");
  const auto n = static_cast<std::size_t>(v.integer("n"));
  const auto d = static_cast<std::size_t>(v.integer("d"));
  const auto seed = static_cast<std::uint64_t>(v.integer("seed"));
  const double B = v.number("B"), min_ms = v.number("min_ms");
  const auto rows = std::min<std::size_t>(static_cast<std::size_t>(v.integer("check_rows")), n);
  const std::string scale_text = v.text("scale");
  const double scale = scale_text == "sqrt" ? 1 / std::sqrt(double(d)) : scale_text == "inv_d" ? 1.0 / d : v.number("scale");
  const int degree = static_cast<int>(v.integer("degree")), threads = static_cast<int>(v.integer("threads"));
  const std::string poly = v.text("poly");
  require_memory("n, d", 24.0 * n * d);
  const auto Q = tensor::generate(n, d, B, true, seed), K1 = tensor::generate(n, d, B, true, seed + 1),
             K2 = tensor::generate(n, d, B, true, seed + 2), V1 = tensor::generate(n, d, 1.0, false, seed + 3),
             V2 = tensor::generate(n, d, 1.0, false, seed + 4);
  std::vector<float> out(n * d);
  std::vector<double> r(d);
  std::vector<std::pair<std::string, double>> stats;
  std::string stopped;
  double err = 0, ref = 0;
  Timing t{};
  try {
    if (layer == "tensor") {
      tensor::Params p;
      p.scale = scale;
      p.degree = degree;
      p.poly = poly;
      p.threads = threads;
      const tensor::Problem prob{n, d, Q.data(), K1.data(), K2.data(), V1.data(), V2.data()};
      const tensor::Method& m = tensor::prepare("polynomial", prob, p);
      t = time_median([&] { stats.clear(); tensor::execute(m, prob, p, out.data(), stats); }, 1, min_ms, 50);
      tensor::describe(m, prob, p, stats);
      for (std::size_t s = 0; s < rows; ++s) {
        const std::size_t i = row_of(s, rows, n);
        tensor::reference_row(prob, p, i, r.data());
        for (std::size_t k = 0; k < d; ++k) {
          err = std::max(err, std::fabs(double(out[i * d + k]) - r[k]));
          ref = std::max(ref, std::fabs(r[k]));
        }
      }
    } else {
      attention::Params p;
      p.scale = scale;
      p.degree = degree;
      p.poly = poly;
      p.threads = threads;
      const attention::Problem prob{n, d, Q.data(), K1.data(), V1.data()};
      const attention::Method& m = attention::prepare("polynomial", prob, p);
      t = time_median([&] { stats.clear(); attention::execute(m, prob, p, out.data(), stats); }, 1, min_ms, 50);
      attention::describe(m, prob, p, stats);
      for (std::size_t s = 0; s < rows; ++s) {
        const std::size_t i = row_of(s, rows, n);
        attention::reference_row(m, prob, p, i, r.data());
        for (std::size_t k = 0; k < d; ++k) {
          err = std::max(err, std::fabs(double(out[i * d + k]) - r[k]));
          ref = std::max(ref, std::fabs(r[k]));
        }
      }
    }
  } catch (const Error& e) {
    if (e.param() == "cancelled") throw;
    stopped = e.what();  // the score range is beyond float32 (R > the family's limit)
  }
  JsonLine j;
  j.add("suite", "tensor_threshold").add("method", layer).add("n", n).add("d", d).add("B", B);
  j.add("dist", "nonnegative").add("scale", scale).add("degree", degree).add("poly", poly);
  j.add("flavour", build_flavour()).add("threads", resolve_threads(threads));
  j.add("rank", attention::poly_rank(d, degree));
  j.add("ln_n", std::log(double(n))).add("cbrt_ln_n", std::cbrt(std::log(double(n)))).add("sqrt_ln_n", std::sqrt(std::log(double(n))));
  if (stopped.empty()) {
    j.add("timed", "kernel").add("median_ms", t.median_ms).add("reps", t.reps);
    j.add("error", rows ? (ref > 0 ? err / ref : err) : NAN).add("error_rows", rows);
    for (const auto& [key, value] : stats)
      if (key != "degree" && key != "rank") j.add(key, value);
  } else {
    j.add("error", NAN).add("stopped", stopped);
  }
  return j.str();
}

// Suite "match3": one layer's accuracy on Match3 against brute force
// (tensor: the hand-set tensor-attention layer; matrix: the one-layer
// matrix-attention baseline; cpp/tensor/match3.cpp), over `instances` seeded
// token sequences; median_ms times the layer on the first instance.
std::string measure_match3(const Options& o) {
  const OptionValues v = suite_values("match3", o.without({"suite"}));
  const std::string layer = v.text("layer");
  const auto n = static_cast<std::size_t>(v.integer("n"));
  const auto M0 = static_cast<std::uint32_t>(v.integer("M"));
  if (M0 == 1) throw Error("M", "got 1, must be 0 (automatic) or in [2, 2048]");
  const std::uint32_t M = M0 ? M0 : tensor::match3_default_modulus(n);
  const auto seed = static_cast<std::uint64_t>(v.integer("seed"));
  const auto instances = static_cast<std::size_t>(v.integer("instances"));
  const int threads = static_cast<int>(v.integer("threads"));
  resolve_threads(threads);
  std::size_t positions = 0, positives = 0, correct = 0, fn = 0, fp = 0;
  double beta = 0;
  for (std::size_t s = 0; s < instances; ++s) {
    throw_if_cancelled();
    const auto x = tensor::match3_tokens(n, M, seed + s);
    const auto truth = tensor::match3_brute_force(x, M);
    const tensor::Match3Answer a = layer == "tensor" ? tensor::match3_tensor(x, M, threads) : tensor::match3_matrix(x, M, threads);
    beta = a.beta;
    for (std::size_t i = 0; i < n; ++i) {
      positions += 1;
      positives += truth[i];
      correct += a.says[i] == truth[i];
      fn += truth[i] && !a.says[i];
      fp += !truth[i] && a.says[i];
    }
  }
  const auto x = tensor::match3_tokens(n, M, seed);
  const Timing t = time_median(
      [&] { layer == "tensor" ? tensor::match3_tensor(x, M, threads) : tensor::match3_matrix(x, M, threads); }, 1,
      v.number("min_ms"), 20);
  JsonLine j;
  j.add("suite", "match3").add("method", layer).add("n", n).add("M", double(M)).add("instances", instances);
  j.add("flavour", build_flavour()).add("threads", resolve_threads(threads));
  j.add("positions", positions).add("positives", positives).add("positive_rate", double(positives) / positions);
  j.add("accuracy", double(correct) / positions).add("false_negatives", fn).add("false_positives", fp);
  j.add("beta", beta).add("width", layer == "tensor" ? 4 : 2);
  j.add("timed", "layer").add("median_ms", t.median_ms).add("reps", t.reps);
  return j.str();
}

}  // namespace subquad::bench
