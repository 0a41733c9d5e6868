#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "common/error.hpp"
#include "common/registry.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "kernel/kernel.hpp"

namespace subquad::kernel {

namespace {

double columns(const Params& p) { return p.op == "laplacian" ? 2.0 : 1.0; }

// The degree the cost model assumes when it is chosen from the data (B is not
// known before the points are): the degree for B = 1 at the error target.
int model_degree(const Params& p) {
  if (p.degree > 0) return p.degree;
  const int g = degree_for(p.factor, 1.0, p.error);
  return g < 0 ? kMaxDegree : g;
}

// fgt's cost model at a given cluster count and order (auto: 16 clusters, the
// order that meets the error at radius rx).
void fgt_shape(const Params& p, std::size_t n, double* K, int* order) {
  *K = p.clusters > 0 ? std::min<double>(p.clusters, n) : std::min<double>(16, n);
  int q = p.order;
  if (q == 0) {
    const double ry = fgt_cutoff(p.radius, p.error);
    q = kMaxOrder;
    for (int t = 0; t <= kMaxOrder; ++t)
      if (fgt_truncation(t, p.radius, ry) <= p.error) {
        q = t;
        break;
      }
  }
  *order = q;
}

Cost cost_reference(std::size_t n, std::size_t d, const Params& p) {
  const double c = columns(p);
  return {double(n) * n * (3.0 * d + 1 + 2 * c), 4.0 * n * (d + 2), method_memory("reference", n, d, p)};
}

Cost cost_exact(std::size_t n, std::size_t d, const Params& p) {
  const double c = columns(p);
  // Per pair: the 2d-flop inner product, two adds, one exp, c multiply-adds.
  return {double(n) * n * (2.0 * d + 3 + 2 * c), 4.0 * n * (d + 2), method_memory("exact", n, d, p)};
}

Cost cost_polynomial(std::size_t n, std::size_t d, const Params& p) {
  const double c = columns(p), r = polynomial_rank(p.factor, d, model_degree(p));
  // Each side: one multiply per monomial to make it, 2c per monomial to use it.
  return {2.0 * n * r * (1 + 2 * c), 4.0 * n * (d + 2), method_memory("polynomial", n, d, p)};
}

Cost cost_fgt(std::size_t n, std::size_t d, const Params& p) {
  const double c = columns(p);
  double K = 0;
  int q = 0;
  fgt_shape(p, n, &K, &q);
  const double T = rank_of(d, q);
  // Sources: T monomials each; targets: T per neighbouring cluster (all, at most).
  return {n * T * (1 + 2 * c) * (1 + K) + 3.0 * n * d * K, 4.0 * n * (d + 2), method_memory("fgt", n, d, p)};
}

Cost cost_laplacian_solve(std::size_t n, std::size_t d, const Params& p) {
  Params q = p;
  q.op = "adjacency";
  const Method& m = find_method(p.product);
  const double its = std::min(p.iterations, 100) + 2.0;  // the model assumes ≤ 100 iterations
  return {its * (m.cost(n, d, q).flops + 10.0 * n), 4.0 * n * (d + 2), method_memory("laplacian_solve", n, d, p)};
}

const std::vector<Method> kMethods = {
    {"reference", "double-precision obvious loops: the yardstick", true, reference, cost_reference, "bandwidth op"},
    {"exact",
     "blocked ‖x‖² + ‖y‖² − 2⟨x, y⟩ through the SIMD micro-kernel, vectorised exp, threads over row blocks: O(n²d), "
     "never n² memory",
     true, exact, cost_exact, "bandwidth op threads"},
    {"polynomial",
     "Chebyshev interpolation of e^{−t} on [0, B], expanded over the features (‖x‖², 1, −2x)·(1, ‖y‖², y): "
     "y ≈ U(Vᵀw) in O(n·r), r = C(d+2+g, g), accumulated in double",
     false, polynomial, cost_polynomial, "bandwidth op threads error degree factor"},
    {"fgt",
     "improved fast Gauss transform: k-centre clusters of radius ~h, Taylor order p per cluster, nearby clusters "
     "only: O(n·neighbours·C(p+d, d)), exponential in d",
     false, fgt, cost_fgt, "bandwidth op threads error order radius clusters"},
    {"laplacian_solve",
     "conjugate gradients on L z = b (b ⊥ 1) with any of the products; iterations and residual reported", false,
     laplacian_solve, cost_laplacian_solve,
     "bandwidth product tolerance iterations threads error degree factor order radius clusters"},
};

Family make_family() {
  Family f;
  f.name = "kernel";
  f.summary = "Gaussian kernel graphs: y = A w (A_ij = exp(−‖x_i − x_j‖²/h²)), L w = (A1)∘w − A w, and L z = b";
  f.paper = "Alman, Chu, Schild & Song, Algorithms and Hardness for Linear Algebra on Geometric Graphs "
            "(FOCS 2020, arXiv 2011.02466)";
  f.dims = {{"n", 1, 1 << 24, "points"}, {"d", 1, double(kMaxD), "dimension"}};
  f.inputs = {{"X", "n×d"}, {"w", "n"}};
  using T = OptionType;
  f.options = {
      {"bandwidth", T::number, "1", 0, 1e12, {}, "h in exp(−‖x − y‖²/h²); B = diam²/h²", true},
      {"op", T::choice, "adjacency", 0, 0, {"adjacency", "laplacian"}, "y = A w, or y = L w = (A1)∘w − A w"},
      {"threads", T::integer, "0", 0, 1024, {}, "threads to use; 0 = all the pool has"},
      {"error", T::number, "1e-6", 0, 0.5, {}, "δ: the method meets |Aw − ỹ|∞ ≤ δ‖w‖₁", true},
      {"degree", T::integer, "0", 0, kMaxDegree, {},
       "degree g of the polynomial; 0 = the least whose measured sup-error on [0, B] is ≤ error"},
      {"factor", T::choice, "distance", 0, 0, {"distance", "product"},
       "distance: e^{−t}, t = ‖x−y‖² (degree ~√(B ln 1/δ), rank C(d+2+g, g)); product: e^{−‖x‖²}e^{−‖y‖²}e^{2⟨x,y⟩} "
       "(degree ~B, rank C(d+g, g))"},
      {"order", T::integer, "0", 0, kMaxOrder, {}, "Taylor order p per cluster; 0 = the least meeting error"},
      {"radius", T::number, "0.5", 0, 100, {}, "k-centre cluster radius in units of h", true},
      {"clusters", T::integer, "0", 0, kMaxClusters, {}, "0 = as many as the radius needs; else exactly this many"},
      {"product", T::choice, "exact", 0, 0, {"reference", "exact", "polynomial", "fgt"}, "the product CG uses"},
      {"tolerance", T::number, "1e-6", 0, 0.5, {}, "stop at relative residual ‖b − Lz‖/‖b‖ ≤ tolerance", true},
      {"iterations", T::integer, "500", 1, 100000, {}, "CG iteration cap (non-convergence is reported)"},
  };
  const std::map<std::string, std::string> papers = {
      {"reference", "the definition (THEORY-2.md §6)"},
      {"exact", "blocked Gram matrix, as FAISS's brute force"},
      {"polynomial", "Aggarwal & Alman, CCC 2022 (arXiv 2205.06249): degree Θ(√(B log 1/δ)); ACSS 2020"},
      {"fgt", "Yang, Duraiswami, Gumerov & Davis, Improved Fast Gauss Transform (2003); Greengard & Strain (1991)"},
      {"laplacian_solve", "Hestenes & Stiefel (1952); ACSS 2020 for the kernel Laplacian"},
  };
  for (const Method& m : kMethods) {
    MethodSpec spec{m.name, m.summary, m.exact, option_list(m.options), {}, papers.at(m.name)};
    if (std::string(m.name) == "laplacian_solve") spec.inputs = {{"X", "n×d"}, {"b", "n"}};
    f.methods.push_back(spec);
  }
  f.cost = [](const std::string& method, const Dims& given, const Options& o) {
    const Dims dims = check_dims(family(), given);
    const std::size_t n = dim_of(dims, "n"), d = dim_of(dims, "d");
    const Params params = params_from(o, method);
    return find_method(method).cost(n, d, params);
  };
  f.example = [](const std::string& method, const Dims& given, const Options& o, const Family::Ready& ready) {
    const Dims dims = check_dims(family(), given);
    const std::size_t n = dim_of(dims, "n"), d = dim_of(dims, "d");
    const Params params = params_from(o, method);
    const auto X = ball_points(n, d, 1.0, params.bandwidth, 21);
    std::vector<float> w = uniform_matrix(n, 1, 1.0, 22), y(n);
    if (method == "laplacian_solve") {
      double mean = 0;
      for (float v : w) mean += v;
      mean /= double(n);
      for (float& v : w) v = float(v - mean);
    }
    Stats stats;
    stats.reserve(16);
    if (ready) ready();
    run(method, {n, d, X.data(), X.size(), w.data(), w.size()}, params, y.data(), stats);
  };
  return f;
}

}  // namespace

const std::vector<Method>& methods() { return kMethods; }

const Method& find_method(const std::string& name) { return find_by_name(kMethods, name, "kernel"); }

const Family& family() {
  static const Family f = make_family();
  return f;
}

Params params_from(const Options& o, const std::string& method) {
  const OptionValues v(family(), method, o);
  Params p;
  if (v.takes("bandwidth")) p.bandwidth = v.number("bandwidth");
  if (v.takes("op")) p.op = v.text("op");
  if (v.takes("threads")) p.threads = static_cast<int>(v.integer("threads"));
  if (v.takes("error")) p.error = v.number("error");
  if (v.takes("degree")) p.degree = static_cast<int>(v.integer("degree"));
  if (v.takes("factor")) p.factor = v.text("factor");
  if (v.takes("order")) p.order = static_cast<int>(v.integer("order"));
  if (v.takes("radius")) p.radius = v.number("radius");
  if (v.takes("clusters")) p.clusters = static_cast<int>(v.integer("clusters"));
  if (v.takes("product")) p.product = v.text("product");
  if (v.takes("tolerance")) p.tolerance = v.number("tolerance");
  if (v.takes("iterations")) p.iterations = static_cast<int>(v.integer("iterations"));
  return p;
}

double method_memory(const std::string& method, std::size_t n, std::size_t d, const Params& p) {
  const double c = columns(p), threads = resolve_threads(p.threads);
  const double wy = 16.0 * n * c;  // W and Y in double
  const double points = 8.0 * n * d;
  if (method == "reference") return wy + points;
  if (method == "exact") {
    const double npad = std::ceil(n / 128.0) * 128;
    // float points and packed 2x̃ᵀ strips (padded), norms, float W.
    return wy + points + 4.0 * npad * (2 * d + 1 + c);
  }
  if (method == "polynomial") {
    const double r = polynomial_rank(p.factor, d, model_degree(p));
    // The monomial table (multinomial, degree), the summed Vᵀw (r×c), per thread:
    // one row's monomials and its share of Vᵀw.
    return wy + points + 20.0 * r + 8.0 * r * c + threads * 8.0 * r * (1 + c);
  }
  if (method == "fgt") {
    double K = 0;
    int q = 0;
    fgt_shape(p, n, &K, &q);
    const double T = rank_of(d, q);
    // Cluster ids, order, distances; centres; K·T·c coefficients; table; per-thread buffers.
    return wy + points + 20.0 * n + 8.0 * K * d + 8.0 * K * T * c + 20.0 * T + threads * 8.0 * (2 * T + d);
  }
  if (method == "laplacian_solve") {
    Params q = p;
    q.op = "adjacency";
    // b, z, r, p, q, degrees (double) besides the product's own.
    return 48.0 * n + method_memory(p.product, n, d, q);
  }
  throw Error("method", "unknown kernel method '" + method + "'");
}

const Method& prepare(const std::string& name, const Problem& p, const Params& params) {
  const Method& m = find_method(name);
  require(p.n >= 1 && p.n <= (1u << 24), "n", p.n, "in [1, 16777216]");
  require(p.d >= 1 && p.d <= kMaxD, "d", p.d, "in [1, 64]");
  require(std::isfinite(params.bandwidth) && params.bandwidth > 0 && params.bandwidth <= 1e12, "bandwidth",
          params.bandwidth, "finite and in (0, 1e12]");
  require(std::isfinite(params.error) && params.error > 0 && params.error <= 0.5, "error", params.error,
          "in (0, 0.5]");
  if (params.op != "adjacency" && params.op != "laplacian")
    throw Error("op", "got '" + params.op + "', must be adjacency or laplacian");
  if (params.factor != "distance" && params.factor != "product")
    throw Error("factor", "got '" + params.factor + "', must be distance or product");
  require(params.degree >= 0 && params.degree <= kMaxDegree, "degree", params.degree, "in [0, 64]");
  require(params.order >= 0 && params.order <= kMaxOrder, "order", params.order, "in [0, 40]");
  require(std::isfinite(params.radius) && params.radius > 0 && params.radius <= 100, "radius", params.radius,
          "in (0, 100]");
  require(params.clusters >= 0 && params.clusters <= kMaxClusters, "clusters", params.clusters, "in [0, 4096]");
  require(std::isfinite(params.tolerance) && params.tolerance > 0 && params.tolerance <= 0.5, "tolerance",
          params.tolerance, "in (0, 0.5]");
  require(params.iterations >= 1 && params.iterations <= 100000, "iterations", params.iterations, "in [1, 100000]");
  if (m.run == laplacian_solve) {
    find_method(params.product);
    if (params.product == "laplacian_solve") throw Error("product", "must be reference, exact, polynomial or fgt");
  }
  resolve_threads(params.threads);
  if (!p.X) throw Error("X", "missing (an n×d array is required)");
  require_length("X", p.X_size, p.n * p.d, "n·d");
  require_bounded("X", p.X, p.n * p.d, 1e15, "larger coordinates overflow float32 squared distances");
  const char* wname = m.run == laplacian_solve ? "b" : "w";
  if (!p.w) throw Error(wname, "missing (an array of n weights is required)");
  require_length(wname, p.w_size, p.n, "n");
  require_bounded(wname, p.w, p.n, 1e30, "larger weights overflow float32 sums");
  const std::string product = m.run == laplacian_solve ? params.product : std::string(m.name);
  const double memory = m.cost(p.n, p.d, params).memory_bytes;
  if (product == "polynomial" && params.degree > 0) {
    const double r = polynomial_rank(params.factor, p.d, params.degree);
    if (r > kMaxRank || memory > memory_budget_bytes())
      throw Error("degree", "got " + std::to_string(params.degree) + ": rank " + detail::to_text(r) + " at d = " +
                                std::to_string(p.d) + " needs " + detail::to_text(std::round(memory / 1048576.0)) +
                                " MiB; the limits are rank 16000000 and the memory budget " +
                                detail::to_text(std::round(memory_budget_bytes() / 1048576.0)) + " MiB");
  }
  if (product == "fgt" && params.order > 0 && rank_of(p.d, params.order) > kMaxRank)
    throw Error("order", "got " + std::to_string(params.order) + ": C(p+d, d) = " +
                             detail::to_text(rank_of(p.d, params.order)) + " terms per cluster, the limit is 16000000");
  require_memory(m.name, memory);
  return m;
}

void execute(const Method& m, const Problem& p, const Params& params, float* y, Stats& stats) {
  m.run(p, params, y, stats);
}

void run(const std::string& name, const Problem& p, const Params& params, float* y, Stats& stats) {
  execute(prepare(name, p, params), p, params, y, stats);
}

// ---- generators ----

std::vector<float> ball_points(std::size_t n, std::size_t d, double B, double h, std::uint64_t seed) {
  // Uniform in the ball of radius ρ = h√B/2: a Gaussian direction, radius ρ·u^{1/d}.
  Rng rng(seed);
  const double rho = h * std::sqrt(B) / 2;
  std::vector<float> X(n * d);
  std::vector<double> g(d);
  for (std::size_t i = 0; i < n; ++i) {
    double norm = 0;
    do {
      norm = 0;
      for (auto& v : g) {
        v = rng.gaussian();
        norm += v * v;
      }
    } while (norm == 0);
    const double scale = rho * std::pow(rng.uniform(), 1.0 / double(d)) / std::sqrt(norm);
    for (std::size_t k = 0; k < d; ++k) X[i * d + k] = static_cast<float>(g[k] * scale);
  }
  return X;
}

std::vector<float> cluster_points(std::size_t n, std::size_t d, std::size_t k, double B, double sigma, double h,
                                  std::uint64_t seed, std::vector<int>* labels) {
  k = std::max<std::size_t>(1, k);
  const std::vector<float> centres = ball_points(k, d, B, h, seed);
  Rng rng(seed ^ 0x5bd1e995u);
  std::vector<float> X(n * d);
  if (labels) labels->assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = i % k;
    if (labels) (*labels)[i] = int(c);
    for (std::size_t t = 0; t < d; ++t)
      X[i * d + t] = static_cast<float>(centres[c * d + t] + sigma * h * rng.gaussian());
  }
  return X;
}

double measured_B(const float* X, std::size_t n, std::size_t d, double h) {
  double best = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      double s = 0;
      for (std::size_t t = 0; t < d; ++t) {
        const double e = double(X[i * d + t]) - double(X[j * d + t]);
        s += e * e;
      }
      best = std::max(best, s);
    }
  return best / (h * h);
}

}  // namespace subquad::kernel
