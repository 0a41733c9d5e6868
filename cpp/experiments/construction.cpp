#include "experiments/construction.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/options.hpp"
#include "common/rng.hpp"
#include "common/timer.hpp"

namespace subquad::experiments {

namespace {

// 0/1 rows packed 64 coordinates to a word, so brute force is AND + popcount.
struct Bits {
  std::size_t words = 0;
  std::vector<std::uint64_t> data;
  Bits(const std::vector<float>& m, std::size_t n, std::size_t l) : words((l + 63) / 64), data(n * words, 0) {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < l; ++k)
        if (m[i * l + k] != 0) data[i * words + k / 64] |= std::uint64_t{1} << (k % 64);
  }
  const std::uint64_t* row(std::size_t i) const { return data.data() + i * words; }
};

int dot_bits(const std::uint64_t* a, const std::uint64_t* b, std::size_t words) {
  int s = 0;
  for (std::size_t w = 0; w < words; ++w) s += __builtin_popcountll(a[w] & b[w]);
  return s;
}

double dot(const float* a, const float* b, std::size_t l) {
  double s = 0;
  for (std::size_t k = 0; k < l; ++k) s += double(a[k]) * b[k];
  return s;
}

// Best and second-best value over all pairs (ties → smallest (i, j)).
Pair best_pair(const Bits& a, const Bits& b, std::size_t n, int* second = nullptr) {
  Pair best{0, 0, -1};
  int runner = -1;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const int v = dot_bits(a.row(i), b.row(j), a.words);
      if (v > best.value) {
        runner = static_cast<int>(best.value);
        best = {i, j, double(v)};
      } else if (v > runner) {
        runner = v;
      }
    }
  }
  if (second) *second = runner;
  return best;
}

Outcome judge(const Bichromatic& x, const Pair& got, double ms, double decoded) {
  const Pair opt = maxip_brute_force(x);
  Outcome o;
  o.pair = got;
  o.pair.value = dot(&x.A[got.i * x.l], &x.B[got.j * x.l], x.l);
  o.exact = o.pair.value == opt.value;
  o.ratio = opt.value > 0 ? o.pair.value / opt.value : 1.0;
  o.ms = ms;
  o.decoded = decoded;
  return o;
}

}  // namespace

Bichromatic planted_maxip(std::size_t n, std::size_t l, double density, std::uint64_t seed) {
  require(n >= 2 && n <= 65536, "n", n, "in [2, 65536]");
  require(l >= 4 && l <= 4096, "l", l, "in [4, 4096]");
  require(density > 0 && density < 1, "density", density, "in (0, 1)");
  require_memory("n, l", 8.0 * n * l);
  for (std::uint64_t attempt = 0; attempt < 64; ++attempt) {
    Rng rng(seed * 1000003 + attempt);
    Bichromatic x{n, l, std::vector<float>(n * l), std::vector<float>(n * l)};
    for (auto* m : {&x.A, &x.B})
      for (auto& v : *m) v = rng.uniform() < density ? 1.0f : 0.0f;
    // The planted pair shares one word more than the best random pair.
    int best_random = static_cast<int>(best_pair(Bits(x.A, n, l), Bits(x.B, n, l), n).value);
    const std::size_t i = rng.below(n), j = rng.below(n);
    std::vector<std::size_t> words;
    for (std::size_t k = 0; k < l; ++k)
      if (x.A[i * l + k] != 0) words.push_back(k);
    const std::size_t want = static_cast<std::size_t>(best_random + 1);
    if (words.size() < want) continue;
    // b_j = `want` of a_i's words, then random words outside a_i up to the usual density.
    float* b = &x.B[j * l];
    std::fill(b, b + l, 0.0f);
    for (std::size_t t = 0; t < want; ++t) {
      const std::size_t pick = t + rng.below(words.size() - t);
      std::swap(words[t], words[pick]);
      b[words[t]] = 1.0f;
    }
    for (std::size_t k = 0; k < l; ++k)
      if (x.A[i * l + k] == 0 && rng.uniform() < density) b[k] = 1.0f;
    int second = 0;
    const Pair best = best_pair(Bits(x.A, n, l), Bits(x.B, n, l), n, &second);
    if (best.i == i && best.j == j && best.value > second) return x;  // unique optimum
  }
  throw Error("density", "could not plant a unique best pair in 64 attempts; raise density or l");
}

Pair maxip_brute_force(const Bichromatic& x) {
  return best_pair(Bits(x.A, x.n, x.l), Bits(x.B, x.n, x.l), x.n);
}

Outcome maxip_by_attention(const Bichromatic& x, const std::string& method, double beta_c, int threads,
                           const std::vector<std::pair<std::string, std::string>>& extra) {
  require(std::isfinite(beta_c) && beta_c > 0 && beta_c <= 1e4, "beta", beta_c, "in (0, 10000] (β = beta·ln n)");
  const std::size_t n = x.n;
  std::size_t bits = 1;
  while ((std::size_t{1} << bits) < n) ++bits;
  const std::size_t d = std::max(x.l, bits);  // Q, K, V share d: pad with zeros
  const double beta = beta_c * std::log(double(n));
  std::vector<float> Q(n * d, 0.0f), K(n * d, 0.0f), V(n * d, 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < x.l; ++k) {
      Q[i * d + k] = static_cast<float>(beta * x.A[i * x.l + k]);
      K[i * d + k] = x.B[i * x.l + k];
    }
    for (std::size_t b = 0; b < bits; ++b) V[i * d + b] = (i >> b) & 1 ? 1.0f : -1.0f;
  }
  // The construction's own settings go to the method where it takes them
  // (linear has no scale, only the randomised methods a seed); the caller's
  // extra options go through the method's strict parser.
  Options o;
  const auto& f = attention::family();
  for (const auto& [k, v] : extra)
    if (k != "seed" || takes_option(f, method, k)) o.set(k, v);
  if (takes_option(f, method, "scale")) o.set("scale", "1");
  o.set("threads", std::to_string(threads));
  const attention::Params params = attention::params_from(o, d, method);
  std::vector<float> O(n * d);
  attention::Stats stats;
  // The time is the attention call's kernel (validation outside it).
  const attention::Problem prob{n, d, Q.data(), K.data(), V.data()};
  const attention::Method& layer = attention::prepare(method, prob, params);
  const double t0 = now_ms();
  attention::execute(layer, prob, params, O.data(), stats);
  const double ms = now_ms() - t0;

  // Output step, per row: decode the named partner, read that pair's inner product.
  const Bits a(x.A, n, x.l), bset(x.B, n, x.l);
  Pair best{0, 0, -1};
  std::size_t right = 0, unique_rows = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t j = 0;
    for (std::size_t b = 0; b < bits; ++b)
      if (O[i * d + b] > 0) j |= std::size_t{1} << b;
    j = std::min(j, n - 1);
    const int v = dot_bits(a.row(i), bset.row(j), a.words);
    // Rows whose best partner is unique: there the weights can concentrate on one key.
    int row_best = -1, ties = 0;
    for (std::size_t t = 0; t < n; ++t) {
      const int u = dot_bits(a.row(i), bset.row(t), a.words);
      if (u > row_best) {
        row_best = u;
        ties = 1;
      } else if (u == row_best) {
        ++ties;
      }
    }
    if (ties == 1) {
      ++unique_rows;
      if (v == row_best) ++right;
    }
    if (v > best.value) best = {i, j, double(v)};
  }
  return judge(x, best, ms, unique_rows ? double(right) / unique_rows : NAN);
}

Outcome maxip_by_sketch_reader(const Bichromatic& x, std::size_t state_floats, std::uint64_t seed) {
  require(state_floats >= 1 && state_floats <= (1u << 24), "state", state_floats, "in [1, 16777216] floats");
  const std::size_t n = x.n, l = x.l;
  // Bits of state per stored document (the rest of the state, a few counters, is ignored).
  const std::size_t k = std::min<std::size_t>(64 * 16, (32 * state_floats) / n);
  const double t0 = now_ms();
  Pair best{0, 0, -1};
  if (k >= 1) {
    // Random hyperplanes (the reader's fixed weights), signs of ⟨h, a⟩ per document.
    Rng rng(seed);
    std::vector<float> H(k * l);
    for (auto& h : H) h = static_cast<float>(rng.gaussian());
    const std::size_t words = (k + 63) / 64;
    auto sketch = [&](const float* v, std::uint64_t* out) {
      for (std::size_t w = 0; w < words; ++w) out[w] = 0;
      for (std::size_t t = 0; t < k; ++t)
        if (dot(&H[t * l], v, l) >= 0) out[t / 64] |= std::uint64_t{1} << (t % 64);
    };
    std::vector<std::uint64_t> state(n * words);  // exactly k·n ≤ 32·state_floats bits
    for (std::size_t i = 0; i < n; ++i) sketch(&x.A[i * l], &state[i * words]);
    std::vector<std::uint64_t> s(words);
    int best_agree = -1;
    for (std::size_t j = 0; j < n; ++j) {
      sketch(&x.B[j * l], s.data());
      for (std::size_t i = 0; i < n; ++i) {
        int agree = 0;
        for (std::size_t w = 0; w < words; ++w) agree += __builtin_popcountll(~(state[i * words + w] ^ s[w]));
        agree -= static_cast<int>(words * 64 - k);  // padding bits always agree
        if (agree > best_agree) {
          best_agree = agree;
          best = {i, j, 0};
        }
      }
    }
  }
  return judge(x, best, now_ms() - t0, NAN);
}

OvOutcome ov_by_attention(const float* A, const float* B, std::size_t n, std::size_t l,
                          const std::string& method, int threads) {
  require(n >= 2 && n + 1 <= (1u << 16), "n", n, "in [2, 65535]");
  require(l >= 1 && l <= 4096, "l", l, "in [1, 4096]");
  for (std::size_t t = 0; t < n * l; ++t)
    if ((A[t] != 0 && A[t] != 1) || (B[t] != 0 && B[t] != 1))
      throw Error("A, B", "entry " + std::to_string(t) + " is not 0 or 1 (OV is over 0/1 vectors)");
  const std::size_t N = n + 1, d = l;
  const double beta = -3.0 * std::log(double(n));
  std::vector<float> Q(N * d, 0.0f), K(N * d, 0.0f), V(N * d, 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < l; ++k) {
      Q[i * d + k] = static_cast<float>(beta * A[i * l + k]);
      K[i * d + k] = B[i * l + k];
    }
    V[i * d] = 1.0f;  // the extra token (row n) keeps key 0 and value 0
  }
  Options o;
  if (takes_option(attention::family(), method, "scale")) o.set("scale", "1");  // linear has none
  o.set("threads", std::to_string(threads));
  std::vector<float> O(N * d);
  attention::Stats stats;
  const attention::Problem prob{N, d, Q.data(), K.data(), V.data()};
  const attention::Params params = attention::params_from(o, d, method);
  const attention::Method& layer = attention::prepare(method, prob, params);
  const double t0 = now_ms();
  attention::execute(layer, prob, params, O.data(), stats);
  OvOutcome r;
  r.ms = now_ms() - t0;
  r.threshold = std::pow(double(N), -1.25);
  r.yes_min = NAN;
  r.no_max = NAN;
  for (std::size_t i = 0; i < n; ++i) {
    const double out = O[i * d];
    bool partner = false;
    for (std::size_t j = 0; j < n && !partner; ++j) partner = dot(&A[i * l], &B[j * l], l) == 0;
    if (partner) r.yes_min = std::isnan(r.yes_min) ? out : std::min(r.yes_min, out);
    else r.no_max = std::isnan(r.no_max) ? out : std::max(r.no_max, out);
    if (!r.exists && out > r.threshold) {
      r.exists = true;
      r.i = std::int64_t(i);
      for (std::size_t j = 0; j < n && r.j < 0; ++j)
        if (dot(&A[i * l], &B[j * l], l) == 0) r.j = std::int64_t(j);
    }
  }
  return r;
}

SimilarOutcome similar_by_attention(const float* X, std::size_t n, std::size_t d, bool least,
                                    const std::string& method, double beta_c, int threads) {
  if (!takes_option(attention::family(), method, "diagonal"))
    throw Error("diagonal", "method '" + method + "' has no diagonal mask (exact_reference, exact and flash have one)");
  require(n >= 2 && n <= (1u << 20), "n", n, "in [2, 1048576]");
  require(d >= 1 && d <= 4096, "d", d, "in [1, 4096]");
  require(std::isfinite(beta_c) && beta_c > 0 && beta_c <= 1e4, "beta", beta_c,
          "in (0, 10000] (β = beta·ln n)");
  require_finite("X", X, n * d);
  // The nonzero rows, normalised; `row` maps back to the caller's indices.
  std::vector<std::size_t> row;
  std::vector<double> inv_norm(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const double nn = dot(X + i * d, X + i * d, d);
    if (nn > 0) {
      row.push_back(i);
      inv_norm[i] = 1.0 / std::sqrt(nn);
    }
  }
  SimilarOutcome r;
  r.zero_rows = n - row.size();
  const std::size_t m = row.size();
  if (m < 2) return r;
  std::size_t bits = 1;
  while ((std::size_t{1} << bits) < m) ++bits;
  const std::size_t D = d + bits;  // Q, K, V share one width: pad with zeros
  if (D > 4096)
    throw Error("d", "got " + std::to_string(d) + ", must be at most " + std::to_string(4096 - bits) +
                         " here (V also holds " + std::to_string(bits) + " position bits, and attention takes d ≤ 4096)");
  require_memory("n, d", 4.0 * 4 * m * D);
  r.beta = beta_c * std::log(double(m));
  const double sign = least ? -1.0 : 1.0;
  std::vector<float> Q(m * D, 0.0f), K(m * D, 0.0f), V(m * D, 0.0f);
  for (std::size_t a = 0; a < m; ++a) {
    const float* x = X + row[a] * d;
    for (std::size_t k = 0; k < d; ++k) {
      const float u = static_cast<float>(x[k] * inv_norm[row[a]]);
      Q[a * D + k] = static_cast<float>(sign * r.beta * u);
      K[a * D + k] = u;
      V[a * D + k] = u;
    }
    for (std::size_t b = 0; b < bits; ++b) V[a * D + d + b] = (a >> b) & 1 ? 1.0f : -1.0f;
  }
  Options o;
  if (takes_option(attention::family(), method, "scale")) o.set("scale", "1");  // linear has none
  o.set("diagonal", "1");
  o.set("threads", std::to_string(threads));
  std::vector<float> O(m * D);
  attention::Stats stats;
  const attention::Problem prob{m, D, Q.data(), K.data(), V.data()};
  const attention::Params params = attention::params_from(o, D, method);
  const attention::Method& layer = attention::prepare(method, prob, params);
  const double t0 = now_ms();
  attention::execute(layer, prob, params, O.data(), stats);
  r.ms = now_ms() - t0;

  // Output step: each row's estimate (O(d)), the best row, its decoded partner.
  const auto cosine = [&](std::size_t a, std::size_t b) {
    return dot(X + row[a] * d, X + row[b] * d, d) * inv_norm[row[a]] * inv_norm[row[b]];
  };
  std::size_t best = 0;
  double best_estimate = 0;
  for (std::size_t a = 0; a < m; ++a) {
    const double e = dot(&K[a * D], &O[a * D], d);
    if (a == 0 || (least ? e < best_estimate : e > best_estimate)) {
      best = a;
      best_estimate = e;
    }
  }
  std::size_t partner = 0;
  for (std::size_t b = 0; b < bits; ++b)
    if (O[best * D + d + b] > 0) partner |= std::size_t{1} << b;
  const double tolerance = 1e-5;
  bool decoded = partner < m && partner != best;
  if (decoded) {
    const double c = cosine(best, partner);
    decoded = least ? c <= best_estimate + tolerance : c >= best_estimate - tolerance;
  }
  if (!decoded) {  // tied partners: scan the best row
    double v = least ? INFINITY : -INFINITY;
    for (std::size_t b = 0; b < m; ++b) {
      if (b == best) continue;
      const double c = cosine(best, b);
      if (least ? c < v : c > v) {
        v = c;
        partner = b;
      }
    }
  }
  r.found = true;
  r.i = std::int64_t(row[std::min(best, partner)]);
  r.j = std::int64_t(row[std::max(best, partner)]);
  r.value = cosine(best, partner);
  r.estimate = best_estimate;
  r.decoded = decoded;
  return r;
}

}  // namespace subquad::experiments
