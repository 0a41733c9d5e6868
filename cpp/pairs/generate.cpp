// Pair-search instance generators and the OV → MSD reduction (generate.hpp).
#include "pairs/generate.hpp"

#include <algorithm>
#include <cmath>

#include "common/error.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"

namespace subquad::pairs {

namespace {

void normalise(float* v, std::size_t d) {
  double s = 0;
  for (std::size_t k = 0; k < d; ++k) s += double(v[k]) * v[k];
  if (s <= 0) return;
  const double inv = 1.0 / std::sqrt(s);
  for (std::size_t k = 0; k < d; ++k) v[k] = static_cast<float>(v[k] * inv);
}

// Two distinct rows, i < j.
std::pair<std::size_t, std::size_t> pick_pair(Rng& rng, std::size_t n) {
  std::size_t i = rng.below(n), j = rng.below(n - 1);
  if (j >= i) ++j;
  return {std::min(i, j), std::max(i, j)};
}

bool orthogonal(const float* a, const float* b, std::size_t l) {
  for (std::size_t k = 0; k < l; ++k)
    if (a[k] != 0 && b[k] != 0) return false;
  return true;
}

Instance ovhard(const GenerateOptions& o) {
  const std::size_t n = o.n, l = o.d;
  require(l >= 4, "d", l, ">= 4 for ovhard (take d = c·log2 n)");
  require(n <= 32768, "n", n, "<= 32768 for ovhard (the generator checks every pair)");
  // Density p with (1 − p²)^ℓ · n²/2 ≈ 0.01 random orthogonal pairs, within [0.05, 0.5].
  const double target = std::pow(0.02 / (double(n) * n), 1.0 / double(l));
  const double p = std::clamp(std::sqrt(std::max(0.0, 1.0 - target)), 0.05, 0.5);
  Rng rng(o.seed);
  Instance x{std::vector<float>(n * l, 0.0f), n, l, -1, -1};
  for (auto& v : x.X) v = rng.uniform() < p ? 1.0f : 0.0f;
  const auto [pi, pj] = pick_pair(rng, n);
  float* a = &x.X[pi * l];
  float* b = &x.X[pj * l];
  // a keeps at least one word; b = some of the words a lacks (at least one).
  if (std::find(a, a + l, 1.0f) == a + l) a[rng.below(l)] = 1.0f;
  std::vector<std::size_t> free;
  for (std::size_t k = 0; k < l; ++k)
    if (a[k] == 0) free.push_back(k);
  if (free.empty()) a[0] = 0, free.push_back(0), a[l - 1] = 1;
  for (std::size_t k = 0; k < l; ++k) b[k] = (a[k] == 0 && rng.uniform() < p) ? 1.0f : 0.0f;
  if (std::find(b, b + l, 1.0f) == b + l) b[free[rng.below(free.size())]] = 1.0f;
  // Every other orthogonal pair gets a shared word, added to a row outside the planted pair.
  for (std::size_t i = 0; i < n; ++i) {
    if ((i & 255) == 0) throw_if_cancelled();
    float* u = &x.X[i * l];
    if (std::find(u, u + l, 1.0f) == u + l && i != pi && i != pj) u[rng.below(l)] = 1.0f;
    for (std::size_t j = i + 1; j < n; ++j) {
      if (i == pi && j == pj) continue;
      float* w = &x.X[j * l];
      if (!orthogonal(u, w, l)) continue;
      const bool fix_w = j != pi && j != pj;
      float* target_row = fix_w ? w : u;
      const float* other = fix_w ? u : w;
      std::vector<std::size_t> ones;
      for (std::size_t k = 0; k < l; ++k)
        if (other[k] != 0) ones.push_back(k);
      if (ones.empty()) continue;  // only the planted rows can be zero here, and they are not
      target_row[ones[rng.below(ones.size())]] = 1.0f;
      if (!fix_w) j = i;  // u changed: recheck its row from the start
    }
  }
  x.planted_i = std::int64_t(pi);
  x.planted_j = std::int64_t(pj);
  return x;
}

}  // namespace

GenerateOptions generate_options_from(const Options& o) {
  GenerateOptions g;
  g.n = static_cast<std::size_t>(o.integer("n", 1024, 2, 1 << 20));
  g.d = static_cast<std::size_t>(o.integer("d", 128, 1, 65536));
  g.rho = o.num("rho", 0.9);
  g.density = o.num("density", 0.1);
  g.seed = static_cast<std::uint64_t>(o.integer("seed", 1, 0, 1ll << 53));
  return g;
}

Instance generate(const std::string& gen, const GenerateOptions& o) {
  require(o.n >= 2 && o.n <= (1u << 20), "n", o.n, "in [2, 1048576]");
  require(o.d >= 1 && o.d <= 65536, "d", o.d, "in [1, 65536]");
  require(std::isfinite(o.rho) && o.rho >= -1 && o.rho <= 1, "rho", o.rho, "in [-1, 1]");
  require(std::isfinite(o.density) && o.density > 0 && o.density <= 1, "density", o.density, "in (0, 1]");
  require_memory("n, d", 4.0 * double(o.n) * double(o.d));
  const std::size_t n = o.n, d = o.d;
  Instance x{std::vector<float>(n * d), n, d, -1, -1};
  Rng rng(o.seed);
  if (gen == "gaussian" || gen == "planted") {
    for (auto& v : x.X) v = static_cast<float>(rng.gaussian());
    for (std::size_t i = 0; i < n; ++i) normalise(&x.X[i * d], d);
    if (gen == "planted") {
      const auto [i, j] = pick_pair(rng, n);
      const double s = std::sqrt(std::max(0.0, 1.0 - o.rho * o.rho));
      for (std::size_t k = 0; k < d; ++k)
        x.X[j * d + k] = static_cast<float>(o.rho * x.X[i * d + k] + s * rng.gaussian() / std::sqrt(double(d)));
      normalise(&x.X[j * d], d);
      x.planted_i = std::int64_t(i);
      x.planted_j = std::int64_t(j);
    }
    return x;
  }
  if (gen == "sparse" || gen == "planted_sparse") {
    for (auto& v : x.X) v = rng.uniform() < o.density ? 1.0f : 0.0f;
    if (gen == "planted_sparse") {
      require(o.rho >= 0, "rho", o.rho, "in [0, 1] for planted_sparse");
      const auto [i, j] = pick_pair(rng, n);
      for (std::size_t k = 0; k < d; ++k)
        x.X[j * d + k] = rng.uniform() < o.rho ? x.X[i * d + k] : (rng.uniform() < o.density ? 1.0f : 0.0f);
      x.planted_i = std::int64_t(i);
      x.planted_j = std::int64_t(j);
    }
    return x;
  }
  if (gen == "ovhard") return ovhard(o);
  throw Error("gen", "got '" + gen + "', must be gaussian, sparse, planted, planted_sparse or ovhard");
}

Reduced ov_to_msd(const float* A, std::size_t n, const float* B, std::size_t m, std::size_t l) {
  require(l >= 1, "l", l, ">= 1");
  require_memory("n, m, l", 12.0 * double(n + m) * double(l));
  Reduced r{std::vector<float>(n * 3 * l, 0.0f), std::vector<float>(m * 3 * l, 0.0f), n, m, 3 * l, 0};
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < l; ++k) {
      const float a = A[i * l + k] != 0 ? 1.0f : 0.0f;
      r.X[i * 3 * l + 2 * k] = 1 - a;
      r.X[i * 3 * l + 2 * k + 1] = a;
    }
  for (std::size_t j = 0; j < m; ++j) {
    std::size_t ones = 0;
    for (std::size_t k = 0; k < l; ++k) {
      const float b = B[j * l + k] != 0 ? 1.0f : 0.0f;
      r.Y[j * 3 * l + 2 * k] = 1;
      r.Y[j * 3 * l + 2 * k + 1] = 1 - b;
      ones += b != 0;
    }
    for (std::size_t k = 0; k < ones; ++k) r.Y[j * 3 * l + 2 * l + k] = 1;  // pad ‖b″‖² to 2ℓ
  }
  // The gap: 1/√2 with an orthogonal pair, ≤ (ℓ−1)/(ℓ√2) without; decide midway.
  r.threshold = (double(l) - 0.5) / (double(l) * std::sqrt(2.0));
  return r;
}

std::pair<std::int64_t, std::int64_t> ov_brute_force(const float* A, std::size_t n, const float* B, std::size_t m,
                                                     std::size_t l) {
  const bool bi = B != nullptr;
  if (!bi) B = A, m = n;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = bi ? 0 : i + 1; j < m; ++j) {
      double s = 0;
      for (std::size_t k = 0; k < l; ++k) s += double(A[i * l + k]) * B[j * l + k];
      if (s == 0) return {std::int64_t(i), std::int64_t(j)};
    }
  return {-1, -1};
}

}  // namespace subquad::pairs
