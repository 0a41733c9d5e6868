#include <cmath>
#include <string>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/threads.hpp"

namespace subquad::attention {

namespace {

double causal_fraction(const Params& p, std::size_t n) {
  return p.causal ? (static_cast<double>(n) + 1) / (2.0 * n) : 1.0;
}

Cost cost_reference(std::size_t n, std::size_t d, const Params& p) {
  const double nn = double(n) * n * causal_fraction(p, n);
  return {4.0 * nn * d, 16.0 * n * d, 8.0 * (n + d)};
}

Cost cost_exact(std::size_t n, std::size_t d, const Params& p) {
  const double nn = double(n) * n * causal_fraction(p, n);
  const double threads = resolve_threads(p.threads);
  // Kᵀ plus one block of ≤ 96 rows of scores per thread.
  const double rows = std::min<double>(96, std::max<double>(6, 65536.0 / n));
  return {4.0 * nn * d, 16.0 * n * d, 4.0 * (double(n) * d + threads * rows * n)};
}

const std::vector<Method> kMethods = {
    {"exact_reference", "double-precision obvious loops: the yardstick", exact_reference,
     cost_reference},
    {"exact", "row-blocked scores, SIMD micro-kernels, threads over row blocks", exact, cost_exact},
};

}  // namespace

const std::vector<Method>& methods() { return kMethods; }

const Method& find_method(const std::string& name) {
  for (const auto& m : kMethods)
    if (name == m.name) return m;
  std::string known;
  for (const auto& m : kMethods) known += (known.empty() ? "" : ", ") + std::string(m.name);
  throw Error("method", "unknown attention method '" + name + "', known: " + known);
}

double resolved_scale(const Params& params, std::size_t d) {
  return params.scale > 0 ? params.scale : 1.0 / std::sqrt(static_cast<double>(d));
}

Params params_from(const Options& o, std::size_t d) {
  Params p;
  const std::string scale = o.str("scale", "sqrt");
  if (scale == "sqrt") {
    p.scale = 0;
  } else if (scale == "inv_d") {
    p.scale = 1.0 / static_cast<double>(d);
  } else {
    p.scale = o.num("scale", 0);
  }
  p.causal = o.flag("causal", false);
  p.threads = static_cast<int>(o.integer("threads", 0, 0, 1024));
  p.seed = static_cast<std::uint64_t>(o.integer("seed", 1, 0, 1ll << 53));
  return p;
}

void run(const std::string& name, const Problem& p, const Params& params, float* O, Stats& stats) {
  const Method& m = find_method(name);
  require(p.n >= 1 && p.n <= (1u << 24), "n", p.n, "in [1, 16777216]");
  require(p.d >= 1 && p.d <= 4096, "d", p.d, "in [1, 4096]");
  require(std::isfinite(params.scale) && params.scale >= 0, "scale", params.scale,
          "finite and > 0 (0 = 1/sqrt(d))");
  resolve_threads(params.threads);
  const std::size_t count = p.n * p.d;
  const char* why = "larger entries overflow float32 scores";
  require_bounded("Q", p.Q, count, kMaxEntry, why);
  require_bounded("K", p.K, count, kMaxEntry, why);
  require_bounded("V", p.V, count, kMaxEntry, why);
  require_memory(m.name, m.cost(p.n, p.d, params).memory_bytes);
  m.run(p, params, O, stats);
}

double relative_error(const float* O, const float* R, std::size_t count) {
  double err = 0, ref = 0;
  for (std::size_t i = 0; i < count; ++i) {
    err = std::max(err, std::fabs(double(O[i]) - double(R[i])));
    ref = std::max(ref, std::fabs(double(R[i])));
  }
  return ref > 0 ? err / ref : err;
}

double relative_error(const float* O, const double* R, std::size_t count) {
  double err = 0, ref = 0;
  for (std::size_t i = 0; i < count; ++i) {
    err = std::max(err, std::fabs(double(O[i]) - R[i]));
    ref = std::max(ref, std::fabs(R[i]));
  }
  return ref > 0 ? err / ref : err;
}

}  // namespace subquad::attention
