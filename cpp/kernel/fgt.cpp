// The improved fast Gauss transform (Yang, Duraiswami, Gumerov & Davis 2003;
// THEORY-2.md §6 background). In units of h, with Δx = x − c, Δy = y − c for a
// cluster centre c:
//   e^{−‖y−x‖²} = e^{−‖Δy‖²} e^{−‖Δx‖²} Σ_α (2^|α|/α!) Δx^α Δy^α   (|α| ≤ p, truncated),
// so each cluster k keeps C_k[α] = (2^|α|/α!) Σ_{x∈k} w_x e^{−‖Δx‖²} Δx^α —
// T = C(p+d, d) numbers — and a target sums e^{−‖Δy‖²} Σ_α C_k[α] Δy^α over
// the clusters within ry of it. Clusters: Gonzalez's farthest-point k-centre
// until every point is within the radius rx of its centre. Cost
// n·T (sources) + n·neighbours·T (targets): exponential in d.
//
// Error (ours, per target, relative to ‖w‖₁): a source in a neighbouring
// cluster errs by at most the Taylor remainder, with a = ‖Δx‖ ≤ rx, b = ‖Δy‖ ≤ ry,
//   e^{−a²−b²}·(2ab)^{p+1}/(p+1)!·min(e^{2ab}, 1/(1 − 2ab/(p+2)));
// a source in a cluster cut off (‖Δy‖ > ry) contributes ≤ e^{−(ry − rx)²}.
// With ry = rx + √ln(1/δ) the cut-off term is δ; p is the least order whose
// remainder bound (maximised over a, b) is ≤ δ. The stated error is the larger of the two.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.hpp"
#include "common/threads.hpp"
#include "kernel/columns.hpp"
#include "kernel/kernel.hpp"

namespace subquad::kernel {

double fgt_cutoff(double rx, double error) { return rx + std::sqrt(std::log(1 / error)); }

double fgt_truncation(int p, double rx, double ry) {
  // The remainder of Σ_{k≤p} z^k/k! for |z| ≤ 2ab is at most
  //   (2ab)^{p+1}/(p+1)! · min(e^{2ab}, 1/(1 − 2ab/(p+2)))   (the second when 2ab < p+2:
  // the tail against a geometric series), times e^{−a²−b²}; maximised over a grid of
  // a ∈ [0, rx] (its end included) and b ∈ [0, ry].
  const double lf = std::lgamma(p + 2.0);
  double best = 0;
  const int na = 16, nb = 256;
  for (int i = 1; i <= na; ++i) {
    const double a = rx * i / na;
    for (int j = 1; j <= nb; ++j) {
      const double b = ry * j / nb, z = 2 * a * b;
      const double tail = z < p + 2 ? std::min(z, -std::log1p(-z / (p + 2))) : z;  // log of the smaller factor
      best = std::max(best, std::exp((p + 1) * std::log(z) - lf + tail - a * a - b * b));
    }
  }
  return best;
}

namespace {

constexpr std::size_t kBlock = 64;

template <int C>
void evaluate(const Points& pts, const Params& params, const Monomials& M, const std::vector<double>& centres,
              std::size_t K, const std::vector<double>& coeffs, double ry, const double* W, double* Y,
              double* neighbours) {
  const std::size_t n = pts.n, d = pts.d, T = M.r;
  const int threads = resolve_threads(params.threads);
  std::vector<double> mono(std::size_t(threads) * T);
  std::vector<double> counted(threads, 0.0);
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  parallel_for(blocks, 1, threads, [&](std::size_t b0, std::size_t b1, int worker) {
    double* m = mono.data() + std::size_t(worker) * T;
    double delta[kMaxD];
    for (std::size_t b = b0; b < b1; ++b) {
      throw_if_cancelled();
      for (std::size_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) {
        const double* x = pts.x.data() + i * d;
        double acc[C] = {};
        for (std::size_t k = 0; k < K; ++k) {
          double d2 = 0;
          for (std::size_t t = 0; t < d; ++t) {
            delta[t] = x[t] - centres[k * d + t];
            d2 += delta[t] * delta[t];
          }
          if (d2 > ry * ry) continue;
          counted[worker] += 1;
          M.eval(delta, m);
          double out[C];
          dot_columns<C>(m, coeffs.data() + k * T * C, T, out);
          const double e = std::exp(-d2);
          for (int c = 0; c < C; ++c) acc[c] += e * out[c];
        }
        for (int c = 0; c < C; ++c) Y[c * n + i] = acc[c];
      }
    }
  });
  double total = 0;
  for (double v : counted) total += v;
  *neighbours = total / double(n);
}

}  // namespace

void fgt_core(const Points& pts, const Params& params, const double* W, std::size_t c, double* Y, Stats& stats) {
  if (c < 1 || c > 2) throw Error("columns", "the fgt core takes 1 or 2 weight columns");
  const std::size_t n = pts.n, d = pts.d;
  const double* x = pts.x.data();
  // k-centre by farthest points: centre 0 is point 0.
  const bool fixed = params.clusters > 0;
  const std::size_t cap = fixed ? std::min<std::size_t>(params.clusters, n) : std::min<std::size_t>(kMaxClusters, n);
  const double rx_target = params.radius;
  std::vector<int> assign(n, 0);
  std::vector<double> dist2(n);
  std::vector<std::size_t> chosen = {0};
  auto sq = [&](std::size_t i, std::size_t j) {
    double s = 0;
    for (std::size_t t = 0; t < d; ++t) {
      const double e = x[i * d + t] - x[j * d + t];
      s += e * e;
    }
    return s;
  };
  for (std::size_t i = 0; i < n; ++i) dist2[i] = sq(i, 0);
  for (;;) {
    throw_if_cancelled();
    const std::size_t far = std::max_element(dist2.begin(), dist2.end()) - dist2.begin();
    if (!fixed && dist2[far] <= rx_target * rx_target) break;
    if (dist2[far] == 0 || chosen.size() == cap) {
      if (fixed || dist2[far] <= rx_target * rx_target) break;
      throw Error("radius", "got " + detail::to_text(rx_target) + ": k-centre clustering at this radius needs more than " +
                                std::to_string(cap) + " clusters (B = " + detail::to_text(pts.B) +
                                "); raise radius or bandwidth, or give clusters");
    }
    const int k = int(chosen.size());
    chosen.push_back(far);
    for (std::size_t i = 0; i < n; ++i) {
      const double s = sq(i, far);
      if (s < dist2[i]) {
        dist2[i] = s;
        assign[i] = k;
      }
    }
  }
  const std::size_t K = chosen.size();
  std::vector<double> centres(K * d);
  for (std::size_t k = 0; k < K; ++k)
    for (std::size_t t = 0; t < d; ++t) centres[k * d + t] = x[chosen[k] * d + t];
  double rx = 0;
  for (double v : dist2) rx = std::max(rx, v);
  rx = std::sqrt(rx);
  const double ry = fgt_cutoff(rx, params.error);
  int p = params.order;
  if (p == 0) {
    p = -1;
    for (int q = 0; q <= kMaxOrder && p < 0; ++q)
      if (fgt_truncation(q, rx, ry) <= params.error) p = q;
    if (p < 0)
      throw Error("error", "got " + detail::to_text(params.error) + ": no order ≤ 40 reaches it with clusters of radius " +
                               detail::to_text(rx) + " h; lower radius or give more clusters");
  }
  const double bound = std::max(fgt_truncation(p, rx, ry), std::exp(-(ry - rx) * (ry - rx)));
  const double T = rank_of(d, p);
  const int threads = resolve_threads(params.threads);
  const double memory = 16.0 * n * c + 8.0 * n * d + 20.0 * n + 8.0 * K * d + 8.0 * K * T * c + 20.0 * T +
                        threads * 8.0 * (2 * T + d);
  if (K * T > kMaxRank || memory > memory_budget_bytes()) {
    const char* which = params.order > 0 ? "order" : params.clusters > 0 ? "clusters" : "error";
    throw Error(which, "got " + (params.order > 0 ? std::to_string(p) : params.clusters > 0 ? std::to_string(K) : detail::to_text(params.error)) +
                           ": " + std::to_string(K) + " clusters × C(p+d, d) = " + detail::to_text(T) +
                           " terms (p = " + std::to_string(p) + ") need " +
                           detail::to_text(std::round(memory / 1048576.0)) + " MiB; the limits are 16000000 terms and the memory budget " +
                           detail::to_text(std::round(memory_budget_bytes() / 1048576.0)) + " MiB");
  }
  const Monomials M(d, p);
  std::vector<double> coef(M.r);
  for (std::size_t q = 0; q < M.r; ++q) coef[q] = std::exp(M.degree[q] * std::log(2.0) - std::lgamma(M.degree[q] + 1.0)) * M.multinomial[q];
  // Sources, cluster by cluster (threads over clusters).
  std::vector<std::size_t> start(K + 1, 0), order(n);
  for (int a : assign) ++start[a + 1];
  for (std::size_t k = 0; k < K; ++k) start[k + 1] += start[k];
  {
    std::vector<std::size_t> next(start.begin(), start.end() - 1);
    for (std::size_t i = 0; i < n; ++i) order[next[assign[i]]++] = i;
  }
  std::vector<double> coeffs(K * M.r * c, 0.0);
  std::vector<double> mono(std::size_t(threads) * M.r);
  parallel_for(K, 1, threads, [&](std::size_t k0, std::size_t k1, int worker) {
    double* m = mono.data() + std::size_t(worker) * M.r;
    double delta[kMaxD];
    for (std::size_t k = k0; k < k1; ++k) {
      throw_if_cancelled();
      double* Ck = coeffs.data() + k * M.r * c;
      for (std::size_t s = start[k]; s < start[k + 1]; ++s) {
        const std::size_t i = order[s];
        double d2 = 0;
        for (std::size_t t = 0; t < d; ++t) {
          delta[t] = x[i * d + t] - centres[k * d + t];
          d2 += delta[t] * delta[t];
        }
        const double e = std::exp(-d2);
        M.eval(delta, m);
        for (std::size_t col = 0; col < c; ++col) {
          const double ew = e * W[col * n + i];
          for (std::size_t q = 0; q < M.r; ++q) Ck[q * c + col] += m[q] * ew;
        }
      }
      for (std::size_t q = 0; q < M.r; ++q)
        for (std::size_t col = 0; col < c; ++col) Ck[q * c + col] *= coef[q];
    }
  });
  double neighbours = 0;
  if (c == 1)
    evaluate<1>(pts, params, M, centres, K, coeffs, ry, W, Y, &neighbours);
  else
    evaluate<2>(pts, params, M, centres, K, coeffs, ry, W, Y, &neighbours);
  stats.emplace_back("clusters", double(K));
  stats.emplace_back("order", p);
  stats.emplace_back("terms", T);
  stats.emplace_back("radius", rx);
  stats.emplace_back("cutoff", ry);
  stats.emplace_back("neighbours", neighbours);
  stats.emplace_back("error_bound", bound);
  stats.emplace_back("threads", threads);
}

}  // namespace subquad::kernel
