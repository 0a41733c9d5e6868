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
