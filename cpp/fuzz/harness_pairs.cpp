// Pair search under fuzzing: any method, problem, small shape, 0/1 or general
// values, mono or bichromatic. Invalid input must raise subquad::Error; valid
// input must give a pair that exists and whose reported value is its value,
// and exact methods must reach the reference optimum (up to float32 rounding).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "experiments/construction.hpp"
#include "fuzz/harness.hpp"
#include "pairs/pairs.hpp"

namespace subquad::fuzz {

namespace {

// The most / least similar pair by one attention layer (bytes read after the
// values, so older inputs decode as before): a valid pair of nonzero rows whose
// reported value is its cosine, never better than the optimum, found exactly
// when a pair exists.
void similar_by_attention(Bytes& in, const subquad::pairs::Data& x, subquad::pairs::Params params) {
  using subquad::pairs::Kind;
  const std::uint8_t b = in.u8();
  if (x.Y || (params.kind != Kind::msd && params.kind != Kind::lsd) || !(b & 1)) return;
  const char* method = (b & 2) ? "flash" : "exact";
  const double beta = (b & 4) ? 0.05 : 1.0 + (b >> 3) * 10.0;
  experiments::SimilarOutcome r;
  try {
    r = experiments::similar_by_attention(x.X, x.n, x.d, params.kind == Kind::lsd, method, beta, 1);
  } catch (const Error&) {
    return;
  }
  params.threads = 1;
  subquad::pairs::Result ref;
  try {
    ref = subquad::pairs::run("reference", x, params);
  } catch (const Error&) {
    return;  // entries beyond pair search's limit (attention normalises rows in double first)
  }
  auto fail = [&](const char* what) {
    std::fprintf(stderr, "similar_by_attention (%s, beta %g): %s; got (%lld, %lld) = %.9g, reference (%lld, %lld) = %.9g\n",
                 method, beta, what, (long long)r.i, (long long)r.j, r.value, (long long)ref.i, (long long)ref.j, ref.value);
    std::abort();
  };
  if (r.found != (ref.i >= 0)) fail("found disagrees with the reference");
  if (!r.found) return;
  if (r.i < 0 || r.i >= r.j || std::size_t(r.j) >= x.n) fail("pair out of range");
  const double v = subquad::pairs::pair_value(params.kind, x, std::size_t(r.i), std::size_t(r.j));
  if (!(std::fabs(v - r.value) <= 1e-5)) fail("reported value is not the pair's cosine");
  const double slack = 1e-5 + 8.0 * x.d * 6e-8;
  if (params.kind == Kind::msd ? v > ref.value + slack : v < ref.value - slack) fail("better than the optimum");
}

}  // namespace

int pairs(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  const auto& list = subquad::pairs::methods();
  const subquad::pairs::Method& method = list[in.u8() % list.size()];
  const subquad::pairs::Kind kinds[] = {subquad::pairs::Kind::msd, subquad::pairs::Kind::lsd,
                                        subquad::pairs::Kind::maxip, subquad::pairs::Kind::minip,
                                        subquad::pairs::Kind::ov};
  subquad::pairs::Params params;
  params.kind = kinds[in.u8() % 5];
  params.threads = in.u8() % 3;  // 2 may exceed the pool: must be an Error
  params.seed = in.u8();
  params.tables = in.u8() % 6;
  params.bits = in.u8() % 10;
  params.bands = in.u8() % 6;
  params.rows = in.u8() % 4;
  const std::uint8_t flags = in.u8();
  params.has_threshold = flags & 4;
  params.threshold = (flags >> 3) - 8;
  const bool bi = flags & 1, binary = flags & 2;
  const std::size_t n = 1 + in.u8() % 40, m = 1 + in.u8() % 40, d = 1 + in.u8() % 70;
  const float scale = 0.5f + static_cast<float>(in.u8() % 16);
  std::vector<float> X(n * d), Y(bi ? m * d : 0);
  for (auto* v : {&X, &Y})
    for (auto& e : *v) e = binary ? float(in.u8() & 1) : in.value(scale);
  const subquad::pairs::Data x{X.data(), n, d, bi ? Y.data() : nullptr, bi ? m : 0};
  similar_by_attention(in, x, params);

  subquad::pairs::Result r, ref;
  try {
    r = subquad::pairs::run(method.name, x, params);
  } catch (const Error&) {
    return 0;  // refused with a named error: fine
  }
  params.threads = 1;
  ref = subquad::pairs::run("reference", x, params);
  auto fail = [&](const char* what) {
    std::fprintf(stderr, "%s (%s): %s; got (%lld, %lld) = %.9g, reference (%lld, %lld) = %.9g, n=%zu m=%zu d=%zu\n",
                 method.name, subquad::pairs::kind_name(params.kind), what, (long long)r.i, (long long)r.j, r.value,
                 (long long)ref.i, (long long)ref.j, ref.value, n, bi ? m : n, d);
    std::abort();
  };
  if (r.i < 0) {
    if (method.exact && ref.i >= 0) fail("no pair, but one exists");
    return 0;
  }
  const std::size_t rows = bi ? m : n;
  if (std::size_t(r.i) >= n || std::size_t(r.j) >= rows || (!bi && r.i >= r.j)) fail("pair out of range");
  const double v = subquad::pairs::pair_value(params.kind, x, std::size_t(r.i), std::size_t(r.j));
  // Float32 inner products: error ≤ d·eps32·Σ|x_k y_k| (cosine: relative to the norms).
  double mass = 0;
  for (std::size_t k = 0; k < d; ++k)
    mass += std::fabs(double(X[r.i * d + k]) * (bi ? Y : X)[r.j * d + k]);
  double tol = 1e-30 + 4.0 * d * 6e-8 * mass;
  if (subquad::pairs::uses_cosine(params.kind)) tol = 1e-5 + 4.0 * d * 6e-8;
  if (!(std::fabs(v - r.value) <= tol + 1e-6 * std::fabs(v))) fail("reported value is not the pair's value");
  if (method.exact) {
    double worst = 0;  // the largest mass over all pairs bounds the optimum's error too
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < rows; ++j) {
        double s = 0;
        for (std::size_t k = 0; k < d; ++k) s += std::fabs(double(X[i * d + k]) * (bi ? Y : X)[j * d + k]);
        worst = std::max(worst, s);
      }
    double slack = 1e-30 + 8.0 * d * 6e-8 * worst;
    if (subquad::pairs::uses_cosine(params.kind)) slack = 1e-5 + 8.0 * d * 6e-8;
    const double gap = subquad::pairs::maximises(params.kind) ? ref.value - v
                       : params.kind == subquad::pairs::Kind::ov ? std::fabs(v) - std::fabs(ref.value)
                                                                 : v - ref.value;
    if (gap > slack + 1e-6 * std::fabs(ref.value)) fail("exact method missed the optimum");
  }
  if (r.candidates > r.total_pairs) fail("more candidates than pairs");
  return 0;
}

}  // namespace subquad::fuzz
