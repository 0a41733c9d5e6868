// The network's data and the correlation trees every method shares.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "common/error.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "neurons/neurons.hpp"
#include "simd/gemm.hpp"

namespace subquad::neurons {

namespace {

std::size_t leaves_for(std::size_t m) {
  std::size_t P = 1;
  while (P < m) P <<= 1;
  return P;
}

// Rebuilds the internal nodes of one tree from its leaves.
void heapify(float* t, std::size_t P) {
  for (std::size_t k = P - 1; k >= 1; --k) t[k] = std::max(t[2 * k], t[2 * k + 1]);
}

constexpr std::size_t kTeacher = 8;  // the planted teacher's width

}  // namespace

double gaussian_tail(double b) { return 0.5 * std::erfc(b / std::sqrt(2.0)); }

double tree_bytes(std::size_t n, std::size_t m) { return 4.0 * double(n) * 2.0 * double(leaves_for(m)); }

Network make_network(const Config& c) {
  require(c.n >= 1 && c.n <= kMaxN, "n", c.n, "in [1, 65536]");
  require(c.m >= 1 && c.m <= kMaxM, "m", c.m, "in [1, 1048576]");
  require(c.d >= 1 && c.d <= kMaxD, "d", c.d, "in [1, 1024]");
  require(std::isfinite(c.b) && std::fabs(c.b) <= kMaxB, "b", c.b, "finite, in [-64, 64]");
  if (c.data != "gaussian" && c.data != "planted")
    throw Error("data", "got '" + c.data + "', must be gaussian or planted");
  const double data = 4.0 * (double(c.n) * c.d + double(c.m) * c.d + c.n + c.m);
  const double trees = tree_bytes(c.n, c.m), budget = memory_budget_bytes();
  if (data + trees > budget) {
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "got %zu: the n = %zu trees of 2·%zu floats need %.1f MiB (data and weights %.1f MiB more), "
                  "memory budget is %.1f MiB",
                  c.m, c.n, leaves_for(c.m), trees / 1048576.0, data / 1048576.0, budget / 1048576.0);
    throw Error("m", buf);
  }
  Network net;
  net.n = c.n;
  net.m = c.m;
  net.d = c.d;
  net.P = leaves_for(c.m);
  net.b = c.b;
  net.data = c.data;
  Rng rng(c.seed * 0x9E3779B97F4A7C15ull + 7);
  const std::size_t n = c.n, m = c.m, d = c.d;
  net.X.resize(n * d);
  net.W.resize(m * d);
  if (c.data == "gaussian") {
    for (std::size_t i = 0; i < n; ++i) {
      double norm = 0;
      std::vector<double> x(d);
      do {
        norm = 0;
        for (auto& v : x) {
          v = rng.gaussian();
          norm += v * v;
        }
      } while (norm == 0);
      norm = std::sqrt(norm);
      for (std::size_t k = 0; k < d; ++k) net.X[i * d + k] = static_cast<float>(x[k] / norm);
    }
    for (auto& w : net.W) w = static_cast<float>(rng.gaussian());
  } else {
    const float s = static_cast<float>(1.0 / std::sqrt(double(d)));
    for (auto& x : net.X) x = (rng.next_u64() >> 63) ? s : -s;
    for (auto& w : net.W) w = (rng.next_u64() >> 63) ? s : -s;
    net.planted_i = static_cast<long long>(rng.below(n));
    net.planted_r = static_cast<long long>(rng.below(m));
    std::copy_n(net.X.begin() + net.planted_i * d, d, net.W.begin() + net.planted_r * d);
  }
  net.a.resize(m);
  for (auto& a : net.a) a = (rng.next_u64() >> 63) ? 1.0f : -1.0f;
  // The teacher: y = 8^{−1/2} Σ_t a*_t max(⟨w*_t, x⟩, 0) with w*_t ~ N(0, I).
  std::vector<double> teacher(kTeacher * d), signs(kTeacher);
  for (auto& w : teacher) w = rng.gaussian() * (c.data == "planted" ? std::sqrt(double(d)) : 1.0);
  for (auto& s : signs) s = (rng.next_u64() >> 63) ? 1.0 : -1.0;
  net.y.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    double f = 0;
    for (std::size_t t = 0; t < kTeacher; ++t) {
      double z = 0;
      for (std::size_t k = 0; k < d; ++k) z += teacher[t * d + k] * net.X[i * d + k];
      f += signs[t] * std::max(z, 0.0);
    }
    net.y[i] = static_cast<float>(f / std::sqrt(double(kTeacher)));
  }
  return net;
}

std::vector<std::size_t> batch_points(const Network& net, std::size_t s) {
  std::vector<std::size_t> points(s);
  const std::size_t start = (net.steps % net.n) * (s % net.n) % net.n;
  for (std::size_t j = 0; j < s; ++j) points[j] = (start + j) % net.n;
  return points;
}

void pack_transposed(const Network& net, const std::uint32_t* rows, std::size_t cols, std::vector<float>& out) {
  const std::size_t d = net.d;
  out.resize(d * cols);
  for (std::size_t j = 0; j < cols; ++j) {
    const float* w = net.W.data() + (rows ? rows[j] : j) * d;
    for (std::size_t k = 0; k < d; ++k) out[k * cols + j] = w[k];
  }
}

void correlate(const Network& net, const std::size_t* points, std::size_t rows, const float* Wt, std::size_t cols,
               float* C, std::size_t ldc, std::vector<float>& gathered) {
  const std::size_t d = net.d;
  // Consecutive points are read in place; a wrapped batch is gathered first.
  bool contiguous = true;
  for (std::size_t r = 1; r < rows && contiguous; ++r) contiguous = points[r] == points[0] + r;
  const float* A = net.X.data() + points[0] * d;
  if (!contiguous) {
    gathered.resize(rows * d);
    for (std::size_t r = 0; r < rows; ++r) std::copy_n(net.X.data() + points[r] * d, d, gathered.data() + r * d);
    A = gathered.data();
  }
  simd::gemm(rows, cols, d, A, d, Wt, cols, C, ldc, false);
}

void build_trees(Network& net, int threads) {
  const std::size_t n = net.n, m = net.m, P = net.P, T = 2 * P;
  net.trees.assign(n * T, -std::numeric_limits<float>::infinity());
  std::vector<float> Wt;
  pack_transposed(net, nullptr, m, Wt);
  std::vector<std::size_t> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = i;
  parallel_for(n, kDenseRows, threads, [&](std::size_t begin, std::size_t end, int) {
    std::vector<float> unused;
    float* t = net.trees.data() + begin * T;
    correlate(net, all.data() + begin, end - begin, Wt.data(), m, t + P, T, unused);
    for (std::size_t i = begin; i < end; ++i) heapify(net.trees.data() + i * T, P);
  });
  net.trees_fresh = true;
}

std::size_t query(const Network& net, std::size_t i, double b, std::vector<std::uint32_t>& out) {
  const std::size_t P = net.P;
  const float* t = net.trees.data() + i * 2 * P;
  // Depth-first, left child on top: the set comes out in increasing r. Only
  // nodes above b enter the stack (pushed without a branch: the comparison is
  // a coin flip the predictor cannot learn); both children of an expanded
  // node count as visited, so the count is the plain DFS's. The stack holds
  // at most one pending right sibling per level.
  std::size_t stack[64];
  std::size_t top = 0, visits = 1;
  stack[top] = 1;
  top += static_cast<double>(t[1]) > b;
  while (top) {
    const std::size_t k = stack[--top];
    if (k >= P) {
      out.push_back(static_cast<std::uint32_t>(k - P));
      continue;
    }
    visits += 2;
    const std::size_t l = 2 * k;
    // The four grandchildren (4k..4k+3) share a cache line: ask for it now,
    // so the misses of the pending stack entries overlap (natively; WASM has
    // no prefetch and drops it).
    if (4 * k < 2 * P) __builtin_prefetch(t + 4 * k);
    if (8 * k < 2 * P) __builtin_prefetch(t + 8 * k);
    const bool right = static_cast<double>(t[l + 1]) > b, left = static_cast<double>(t[l]) > b;
    stack[top] = l + 1;
    top += right;
    stack[top] = l;
    top += left;
  }
  return visits;
}

void query_many(const Network& net, const std::size_t* points, std::size_t count, double b,
                std::vector<std::uint32_t>* out, std::size_t* visits) {
  // kLanes searches advance one expanded node each in turn, so the cache
  // misses of different points' trees overlap instead of queueing.
  constexpr std::size_t kLanes = 8;
  const std::size_t P = net.P;
  struct Lane {
    const float* t = nullptr;
    std::size_t stack[64];
    std::size_t top = 0, visits = 0, slot = 0;
  };
  Lane lanes[kLanes];
  std::size_t next = 0, active = 0;
  auto start = [&](Lane& L) {
    while (next < count) {
      L.slot = next++;
      L.t = net.trees.data() + points[L.slot] * 2 * P;
      L.visits = 1;
      L.top = 0;
      L.stack[L.top] = 1;
      L.top += static_cast<double>(L.t[1]) > b;
      if (L.top) return true;
      visits[L.slot] = 1;  // nothing fires: the root alone
    }
    return false;
  };
  for (Lane& L : lanes) active += start(L);
  while (active) {
    for (Lane& L : lanes) {
      if (!L.top) continue;
      const std::size_t k = L.stack[--L.top];
      if (k >= P) {
        out[L.slot].push_back(static_cast<std::uint32_t>(k - P));
      } else {
        L.visits += 2;
        const std::size_t l = 2 * k;
        if (4 * k < 2 * P) __builtin_prefetch(L.t + 4 * k);
        if (8 * k < 2 * P) __builtin_prefetch(L.t + 8 * k);
        const bool right = static_cast<double>(L.t[l + 1]) > b, left = static_cast<double>(L.t[l]) > b;
        L.stack[L.top] = l + 1;
        L.top += right;
        L.stack[L.top] = l;
        L.top += left;
      }
      if (!L.top) {
        visits[L.slot] = L.visits;
        if (!start(L)) --active;
      }
    }
  }
}

void update_trees(Network& net, const std::vector<std::uint32_t>& neurons, int threads) {
  const std::size_t k = neurons.size(), P = net.P, T = 2 * P;
  if (k == 0) return;
  std::vector<float> Wt;
  pack_transposed(net, neurons.data(), k, Wt);
  std::vector<std::size_t> all(net.n);
  for (std::size_t i = 0; i < net.n; ++i) all[i] = i;
  parallel_for(net.n, kDenseRows, threads, [&](std::size_t begin, std::size_t end, int) {
    std::vector<float> C((end - begin) * k), unused;
    correlate(net, all.data() + begin, end - begin, Wt.data(), k, C.data(), k, unused);
    for (std::size_t i = begin; i < end; ++i) {
      float* t = net.trees.data() + i * T;
      const float* c = C.data() + (i - begin) * k;
      for (std::size_t j = 0; j < k; ++j) {
        std::size_t node = P + neurons[j];
        t[node] = c[j];
        // Up the root path until a node's max does not change.
        for (node >>= 1; node >= 1; node >>= 1) {
          const float v = std::max(t[2 * node], t[2 * node + 1]);
          if (v == t[node]) break;
          t[node] = v;
        }
      }
    }
  });
}

std::vector<float> fresh_tree(const Network& net, std::size_t i) {
  const std::size_t P = net.P;
  std::vector<float> t(2 * P, -std::numeric_limits<float>::infinity()), Wt, unused;
  pack_transposed(net, nullptr, net.m, Wt);
  correlate(net, &i, 1, Wt.data(), net.m, t.data() + P, 2 * P, unused);
  heapify(t.data(), P);
  return t;
}

}  // namespace subquad::neurons
