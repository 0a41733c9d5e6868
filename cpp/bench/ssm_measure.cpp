// Measurements of the SSM family (suite "ssm": one scan or block method at one
// shape) and of the memory bandwidth the scan is compared with (suite "triad":
// STREAM's a = b + s·c over arrays larger than cache, McCalpin 1995).
#include <algorithm>
#include <cmath>
#include <vector>

#include "bench/exp_ceiling.hpp"
#include "bench/measure.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "simd/simd.hpp"
#include "ssm/ssm.hpp"

namespace subquad::bench {

namespace {

struct ScanInputs {
  std::vector<float> x, delta, A, B, C, Dskip;
};

// Inputs shaped like a trained Mamba layer's: Δ log-uniform in [1e-3, 1e-1],
// A = −(1…N) per channel, x, B, C uniform in [−1, 1], Dskip = 1.
ScanInputs scan_inputs(std::size_t L, std::size_t D, std::size_t N, std::uint64_t seed) {
  ScanInputs in;
  in.x = uniform_matrix(L, D, 1.0, seed);
  in.B = uniform_matrix(L, N, 1.0, seed + 1);
  in.C = uniform_matrix(L, N, 1.0, seed + 2);
  Rng rng(seed + 3);
  in.delta.resize(L * D);
  const float lo = std::log(1e-3f), hi = std::log(1e-1f);
  for (auto& d : in.delta) d = std::exp(lo + (hi - lo) * static_cast<float>(rng.uniform()));
  in.A.resize(D * N);
  for (std::size_t c = 0; c < D; ++c)
    for (std::size_t k = 0; k < N; ++k) in.A[c * N + k] = -static_cast<float>(k + 1);
  in.Dskip.assign(D, 1.0f);
  return in;
}

}  // namespace

std::string measure_ssm(const Options& o) {
  const OptionValues v = suite_values("ssm", o);
  const std::string method = v.text("method");
  const auto L = static_cast<std::size_t>(v.integer("L"));
  const auto D = static_cast<std::size_t>(v.integer("D"));
  const auto seed = static_cast<std::uint64_t>(v.integer("seed"));
  const double min_ms = v.number("min_ms");
  ssm::Params params = ssm::params_from(method_options(o, ssm::family(), method, suite_keys("ssm")), method);
  // A scan's state size is a dimension (N); a block's is its option N.
  const std::size_t N = static_cast<std::size_t>(v.integer("N"));
  params.N = N;
  const ssm::Method& m = ssm::find_method(method);

  JsonLine j;
  j.add("suite", "ssm").add("method", method).add("kind", m.kind == ssm::Kind::scan ? "scan" : "block");
  j.add("L", L).add("D", D).add("N", N);
  std::vector<float> y(L * D);
  double err = NAN;
  std::size_t checked = 0;
  Timing t;
  ssm::Cost cost;
  if (m.kind == ssm::Kind::scan) {
    const auto check_channels = static_cast<std::size_t>(v.integer("check_channels"));
    require_memory("L, D, N", 4.0 * (3.0 * L * D + 2.0 * L * N) + m.cost(L, D, N, params).memory_bytes);
    const ScanInputs in = scan_inputs(L, D, N, seed);
    const ssm::Problem p{L, D, N, in.x.data(), in.delta.data(), in.A.data(),
                         in.B.data(), in.C.data(), in.Dskip.data()};
    ssm::Stats stats;
    ssm::prepare_scan(method, p, params);  // validation outside the timer
    t = time_median(
        [&] {
          stats.clear();
          ssm::execute_scan(m, p, params, y.data(), stats);
        },
        1, min_ms, 200);
    // Error against the double-precision recurrence on evenly spread channels.
    checked = std::min(check_channels, D);
    double e = 0, ref = 0;
    std::vector<double> col(L);
    for (std::size_t s = 0; s < checked; ++s) {
      const std::size_t c = checked == 1 ? 0 : s * (D - 1) / (checked - 1);
      ssm::scan_reference_channel(p, c, col.data());
      for (std::size_t i = 0; i < L; ++i) {
        e = std::max(e, std::fabs(double(y[i * D + c]) - col[i]));
        ref = std::max(ref, std::fabs(col[i]));
      }
    }
    if (checked) err = ref > 0 ? e / ref : e;
    cost = m.cost(L, D, N, params);
    if (method == "scan_chunked") j.add("chunk", std::min(params.chunk, L));
    for (const auto& [key, value] : stats) j.add(key, value);
    j.add("error_channels", checked);
  } else {
    const auto check_rows = static_cast<std::size_t>(v.integer("check_rows"));
    const ssm::Weights w = ssm::make_weights(method, D, params);
    ssm::Params p = params;
    p.E = w.E;
    p.dt_rank = w.R;
    p.heads = w.heads;
    p.attention = w.attention;
    cost = m.cost(L, D, N, p);
    require_memory("L, D", 8.0 * L * D + cost.memory_bytes);
    const std::vector<float> x = uniform_matrix(L, D, 1.0, seed);
    t = time_median([&] { ssm::run_block(method, w, x.data(), L, p, y.data()); }, 1, min_ms, 200);
    // A causal block's first rows depend only on the first rows of x: check a prefix.
    const bool prefix_ok = w.family == "mamba" || p.causal || L <= check_rows;
    checked = prefix_ok ? std::min(check_rows, L) : 0;
    if (checked) {
      std::vector<double> r(checked * D);
      if (w.family == "mamba") ssm::mamba_block_reference(w, x.data(), L, checked, r.data());
      else ssm::attention_block_reference(w, x.data(), L, checked, p, r.data());
      err = ssm::relative_error(y.data(), r.data(), checked * D);
    }
    if (w.family == "mamba") j.add("E", w.E).add("dt_rank", w.R);
    else j.add("heads", w.heads).add("attention", w.attention).add("causal", p.causal);
    j.add("error_rows", checked);
  }
  j.add("flavour", build_flavour()).add("threads", resolve_threads(params.threads));
  j.add("timed", m.kind == ssm::Kind::scan ? "kernel" : "block (weights made outside the timer)");
  j.add("median_ms", t.median_ms).add("min_ms", t.min_ms).add("max_ms", t.max_ms);
  j.add("q1_ms", t.q1_ms).add("q3_ms", t.q3_ms).add("reps", t.reps);
  j.add("gflops", cost.flops / (t.median_ms * 1e6));
  j.add("gbytes_per_s", cost.bytes / (t.median_ms * 1e6));
  j.add("memory_mb", cost.memory_bytes / 1048576.0);
  j.add("error", err);
  // Σ|y|: lets native, st and mt runs of the same seed be compared.
  double checksum = 0;
  for (float v : y) checksum += std::fabs(double(v));
  j.add("checksum", checksum);
  if (method == "scan") {
    // The scan's ceiling (issue #20): one 2^x per (t, channel, state), so it is
    // bound by the exponential, not by memory. The exps it must do per second
    // against threads × the one-core throughput of the variant it uses
    // (simd::exp2_nonpositive), measured here, after the scan, in the same module.
    const int threads = resolve_threads(params.threads);
    const double per_core = exp_per_second("exp2_nonpositive", std::min(min_ms, 50.0));
    const double exps = double(L) * double(D) * double(N) / (t.median_ms * 1e-3);
    const double share = exps / (threads * per_core);
    j.add("exp_variant", "exp2_nonpositive").add("exps_per_s", exps);
    j.add("exp_ceiling_per_s_per_core", per_core).add("exp_ceiling_per_s", threads * per_core);
    j.add("exp_share", share).add("exp_target_share", 0.6).add("exp_target_held", share >= 0.6);
  }
  return j.str();
}

std::string measure_triad(const Options& o) {
  const OptionValues v = suite_values("triad", o.without({"suite"}));
  const auto n = static_cast<std::size_t>(v.integer("n"));
  const int threads = resolve_threads(static_cast<int>(v.integer("threads")));
  const double min_ms = v.number("min_ms");
  require_memory("n", 12.0 * n);
  std::vector<float> a(n, 0.0f), b(n, 1.0f), c(n, 2.0f);
  const float s = 3.0f;
  const Timing t = time_median(
      [&] {
        parallel_for(n, 1 << 16, threads, [&](std::size_t lo, std::size_t hi, int) {
          const simd::f32x4 vs = simd::splat(s);
          std::size_t i = lo;
          for (; i + 4 <= hi; i += 4)
            simd::store(a.data() + i, simd::load(b.data() + i) + vs * simd::load(c.data() + i));
          for (; i < hi; ++i) a[i] = b[i] + s * c[i];
        });
      },
      3, min_ms, 200);
  require(a[n / 2] == 7.0f, "triad", a[n / 2], "7 (the loop must have run)");
  JsonLine j;
  j.add("suite", "triad").add("method", "stream_triad").add("n", n);
  j.add("flavour", build_flavour()).add("threads", threads);
  j.add("median_ms", t.median_ms).add("min_ms", t.min_ms).add("reps", t.reps);
  // STREAM counts 12 bytes per float element (b and c read, a written).
  j.add("gbytes_per_s", 12.0 * n / (t.median_ms * 1e6));
  j.add("read_gbytes_per_s", 8.0 * n / (t.median_ms * 1e6));
  return j.str();
}

}  // namespace subquad::bench
