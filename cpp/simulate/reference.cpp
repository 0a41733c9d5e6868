// The yardstick and the float64 oracle: softmax attention in double with
// obvious loops (max-subtracted exponentials), under a mask (simulate.hpp).
// reference() computes each mode's target directly from the float inputs:
// no blocks, no oracle.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "common/threads.hpp"
#include "simulate/simulate.hpp"

namespace subquad::simulate {

void attention_f64(const double* Q, std::size_t n, const double* K, const double* V, std::size_t nk, std::size_t w,
                   double scale, const Mask& mask, double* O, double* lse) {
  const std::size_t shift = mask.causal ? nk - n : 0;
  std::vector<double> a(nk);
  for (std::size_t i = 0; i < n; ++i) {
    if ((i & 63) == 0) throw_if_cancelled();
    const std::size_t pos = i + shift;
    // Keys seen: [0, end), less the gap [sinks, pos + 1 − window) when windowed.
    const std::size_t end = mask.causal ? std::min(nk, pos + 1) : nk;
    std::size_t gap0 = end, gap1 = end;
    if (mask.window > 0 && pos + 1 > mask.window) {
      gap0 = std::min(mask.sinks, end);
      gap1 = std::max(gap0, std::min(end, pos + 1 - mask.window));
    }
    auto next = [&](std::size_t j) { return j + 1 == gap0 ? gap1 : j + 1; };
    const std::size_t first = gap0 == 0 ? gap1 : 0;
    double m = -INFINITY;
    for (std::size_t j = first; j < end; j = next(j)) {
      double dot = 0;
      for (std::size_t k = 0; k < w; ++k) dot += Q[i * w + k] * K[j * w + k];
      a[j] = scale * dot;
      m = std::max(m, a[j]);
    }
    double sum = 0;
    double* o = O + i * w;
    std::fill(o, o + w, 0.0);
    for (std::size_t j = first; j < end; j = next(j)) {
      const double e = std::exp(a[j] - m);
      sum += e;
      for (std::size_t k = 0; k < w; ++k) o[k] += e * V[j * w + k];
    }
    for (std::size_t k = 0; k < w; ++k) o[k] /= sum;
    if (lse) lse[i] = m + std::log(sum);
  }
}

void reference(const std::string& method, const Problem& p, const Params& given, double* O) {
  const Params params = resolved(given, p.n);
  const std::size_t n = p.n, d = p.d;
  const double scale = resolved_scale(params, d);
  const std::vector<double> Q(p.Q.data, p.Q.data + n * d), K(p.K.data, p.K.data + n * d),
      V(p.V.data, p.V.data + n * d);
  Mask mask;
  if (method == "window" || method == "sinks") {
    mask.causal = true;
    mask.window = params.window;
    mask.sinks = method == "sinks" ? params.sinks : 0;
  } else if (method != "sampled") {
    mask.causal = params.causal;
  }
  if (method != "packed") {
    attention_f64(Q.data(), n, K.data(), V.data(), n, d, scale, mask, O, nullptr);
    return;
  }
  // Packed: each run of M rows is an instance of its own.
  for (std::size_t a = 0; a < n; a += params.M) {
    const std::size_t m = std::min(params.M, n - a);
    attention_f64(Q.data() + a * d, m, K.data() + a * d, V.data() + a * d, m, d, scale, mask, O + a * d, nullptr);
  }
}

namespace {

// As relative_error (common/compare.hpp), but a non-finite output is an infinite error.
template <class A, class B>
double error_of(const A* out, const B* ref, std::size_t count) {
  double err = 0, scale = 0;
  for (std::size_t i = 0; i < count; ++i) {
    err = std::isfinite(double(out[i])) ? std::max(err, std::fabs(double(out[i]) - double(ref[i]))) : INFINITY;
    scale = std::max(scale, std::fabs(double(ref[i])));
  }
  return scale > 0 ? err / scale : err;
}

}  // namespace

double direct_error(const std::string& method, const Problem& p, const Params& given, const Output& out,
                    std::string* against) {
  const Params params = resolved(given, p.n);
  const std::size_t n = p.n, d = p.d;
  if (params.float64 || method == "window" || method == "sinks") {
    if (against) *against = "reference";
    std::vector<double> ref(n * d);
    reference(method, p, params, ref.data());
    return params.float64 ? error_of(out.O64, ref.data(), n * d) : error_of(out.O, ref.data(), n * d);
  }
  if (against) *against = "flash";
  std::vector<float> direct(n * d);
  attention::Params ap;
  ap.scale = resolved_scale(params, d);
  ap.causal = method != "sampled" && params.causal;
  ap.threads = params.threads;
  const std::size_t step = method == "packed" ? params.M : n;
  for (std::size_t a = 0; a < n; a += step) {
    const std::size_t m = std::min(step, n - a);
    attention::Stats stats;
    attention::run("flash", {m, d, p.Q.data + a * d, p.K.data + a * d, p.V.data + a * d, m}, ap, direct.data() + a * d,
                   stats);
  }
  return error_of(out.O, direct.data(), n * d);
}

}  // namespace subquad::simulate
