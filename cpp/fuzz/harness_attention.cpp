// Attention under fuzzing: every registry method, any small shape, any values
// and method parameters. Invalid input must raise subquad::Error (nothing
// else). Valid input: exact methods — and window with window ≥ n, lsh with
// chunk ≥ n, which are exact too — must agree with the reference; the other
// approximate methods must give a finite output or report why not (bad
// denominators / non-finite outputs counted in their stats).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "fuzz/harness.hpp"

namespace subquad::fuzz {

namespace {

double stat(const attention::Stats& stats, const char* key) {
  for (const auto& [k, v] : stats)
    if (k == key) return v;
  return 0;
}

}  // namespace

int attention(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  const auto& list = attention::methods();
  const attention::Method& method = list[in.u8() % list.size()];
  const std::string name = method.name;
  const std::size_t n = 1 + in.u8() % 48, d = 1 + in.u8() % 12;
  attention::Params params;
  params.causal = in.u8() & 1;
  params.threads = in.u8() % 3;  // 0 = all, 1, 2 (2 may exceed the pool: must be an Error)
  params.seed = in.u8();
  const float scale = 0.5f + static_cast<float>(in.u8() % 16);
  std::vector<float> Q(n * d), K(n * d), V(n * d);
  for (auto* m : {&Q, &K, &V})
    for (auto& x : *m) x = in.value(scale);
  // Method parameters after the values (so older saved inputs decode as they
  // did); a zero byte means a valid default, 255 an out-of-range value.
  auto pick = [&] { return static_cast<int>(in.u8()); };
  int b = pick();
  params.degree = b == 255 ? 13 : b % 13;
  params.poly = (pick() & 1) ? "taylor" : "chebyshev";
  b = pick();
  params.R = b == 255 ? 701 : (b < 128 ? 0 : (b - 127) * 0.1);
  b = pick();
  params.features = b == 255 ? 0 : 1 + b % 40;
  b = pick();
  params.window = b == 255 ? 0 : 1 + b % 56;
  b = pick();
  params.buckets = b == 255 ? 3 : 2 + 2 * (b % 8);
  b = pick();
  params.chunk = b == 255 ? 0 : 1 + b % 56;
  params.rounds = 1 + pick() % 3;
  params.diagonal = (pick() & 3) == 3;  // a missing byte (0) keeps older inputs unmasked
  // Keep the polynomial's rank C(d+g, g) small, so the fuzzer runs many inputs
  // per second (large ranks and the memory refusal are covered by doctests).
  if ((name.find("polynomial") != std::string::npos || name == "positional_fft") && params.degree <= 12) {
    auto rank = [d](int g) {
      double r = 1;
      for (int i = 1; i <= g; ++i) r = r * static_cast<double>(d + i) / i;
      return r;
    };
    while (params.degree > 0 && rank(params.degree) > 4096) --params.degree;
  }

  // Separate key counts and the row log-sum-exp (bytes after the older
  // inputs' end, so those decode as they did: zero keeps n_k = n, no lse).
  b = pick();
  std::size_t nk = n;
  if (b != 0) {
    nk = 1 + b % 48;  // any method may get n_k ≠ n: those without it must refuse by name
    K.resize(nk * d);
    V.resize(nk * d);
    for (std::size_t t = n * d; t < nk * d; ++t) {
      K[t] = in.value(scale);
      V[t] = in.value(scale);
    }
  }
  params.return_lse = (pick() & 3) == 3;
  b = pick();  // RoPE: 0 keeps the default base, 255 a refused one
  params.rope_base = b == 255 ? 0 : b == 0 ? 10000 : std::pow(2.0, b % 40);
  params.rope_layout = (pick() & 1) ? "half" : "interleaved";

  // positional_*: the position weights W, (2n−1)×d, after everything older inputs hold.
  params.support = (pick() & 1) ? "rope" : "diagonal";
  std::vector<float> W;
  if (attention::needs_positions(method, params)) {
    W.resize((2 * n - 1) * d);
    for (auto& x : W) x = in.value(2.0f);
  }
  std::vector<float> out(n * d), ref(n * d), lse(n, NAN), ref_lse(n, NAN);
  attention::Stats stats;
  const attention::Problem prob{n, d, Q.data(), K.data(), V.data(), nk, W.empty() ? nullptr : W.data()};
  try {
    attention::run(name, prob, params, out.data(), stats, lse.data());
  } catch (const Error&) {
    return 0;  // refused with a named error: fine
  }
  // Exact methods are checked against their own reference (rope_* against rope_reference).
  const std::string reference = method.reference;
  const bool behaves_exactly = (method.exact && name != reference) ||
                               (name == "window" && params.window >= n) ||
                               (name == "lsh" && params.chunk >= n);
  const bool reported = stat(stats, "negative_denominators") > 0 || stat(stats, "nonfinite_outputs") > 0;
  for (float x : out) {
    if (!std::isfinite(x) && (method.exact || !reported)) {
      std::fprintf(stderr, "%s produced a non-finite output without reporting it\n", name.c_str());
      std::abort();
    }
  }
  if (behaves_exactly) {
    attention::Params ref_params = params;
    ref_params.threads = 1;
    attention::run(reference, prob, ref_params, ref.data(), stats, params.return_lse ? ref_lse.data() : nullptr);
    // Outputs are convex combinations of V's rows, so errors are measured
    // against max |V| (relative to max |output| they blow up when rows of V
    // cancel). Each float score is uncertain by ~eps32·Σ|q_k k_k|·scale; a
    // difference of two scores by twice that; allow 8×. RoPE rotates first:
    // Σ|q'_k k'_k| of the rotated rows is at most ‖q‖·‖k‖ (Cauchy–Schwarz).
    const bool rope = reference == "rope_reference";
    double maxdot = 0;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < nk; ++j) {
        double s = 0, qq = 0, kk = 0;
        for (std::size_t k = 0; k < d; ++k) {
          s += std::fabs(double(Q[i * d + k]) * K[j * d + k]);
          qq += double(Q[i * d + k]) * Q[i * d + k];
          kk += double(K[j * d + k]) * K[j * d + k];
        }
        maxdot = std::max(maxdot, rope ? std::sqrt(qq * kk) : s);
      }
    // Positional scores carry w_{i−j,l} in each term: at most max|W| times larger.
    double wmax = 0;
    for (float x : W) wmax = std::max(wmax, std::fabs(double(x)));
    if (reference == "positional_reference") maxdot *= std::max(wmax, 1.0);
    const double tol = 1e-5 + 16 * 6e-8 * maxdot * attention::resolved_scale(params, d);
    double vmax = 0, diff = 0;
    for (std::size_t i = 0; i < nk * d; ++i) vmax = std::max(vmax, std::fabs(double(V[i])));
    for (std::size_t i = 0; i < n * d; ++i) diff = std::max(diff, std::fabs(double(out[i]) - double(ref[i])));
    // The log-sum-exp: off by the same score uncertainty, plus float rounding of ln.
    const double score_tol = 16 * 6e-8 * maxdot * attention::resolved_scale(params, d);
    for (std::size_t i = 0; params.return_lse && i < n; ++i) {
      if (!(std::fabs(double(lse[i]) - double(ref_lse[i])) <= score_tol + 1e-5 * (1 + std::fabs(double(ref_lse[i]))))) {
        std::fprintf(stderr, "%s lse[%zu] = %.9g vs reference %.9g (tol %g)\n", name.c_str(), i, lse[i], ref_lse[i],
                     score_tol);
        std::abort();
      }
    }
    // Below FLT_MIN floats are subnormal and carry few bits: an absolute floor.
    const double err = diff / std::max(vmax, 1e-30);
    if (!(diff <= tol * vmax + 1e-36)) {
      std::fprintf(stderr, "%s vs reference: error %g > %g (n=%zu n_k=%zu d=%zu causal=%d)\n", name.c_str(),
                   err, tol, n, nk, d, int(params.causal));
      for (std::size_t i = 0; i < n * d; ++i)
        std::fprintf(stderr, "  [%zu] q=%g out=%.9g ref=%.9g\n", i, Q[i], out[i], ref[i]);
      std::abort();
    }
  }
  return 0;
}

const std::vector<Target>& targets() {
  static const std::vector<Target> list = {
      {"attention", attention}, {"ssm", ssm}, {"pairs", pairs}, {"text", text}, {"options", options}, {"grad", grad},
      {"collapse", collapse}, {"simulate", simulate},
      {"neurons", neurons}, {"tensor", tensor}, {"kernel", kernel}};
  return list;
}

}  // namespace subquad::fuzz
