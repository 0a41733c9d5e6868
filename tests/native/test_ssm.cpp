// The SSM family against its double-precision references: every scan method
// over awkward shapes, a closed form, both blocks, bad inputs, cancellation.
#include <doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "ssm/ssm.hpp"

using namespace subquad;
using namespace subquad::ssm;

namespace {

struct Inputs {
  std::size_t L, D, N;
  std::vector<float> x, delta, A, B, C, Dskip;
  Problem problem() const {
    return {L, D, N, x.data(), delta.data(), A.data(), B.data(), C.data(), Dskip.data()};
  }
};

// Δ in [1e-3, 0.5], A in [−4, 0): long memories and fast decays in one input.
Inputs random_inputs(std::size_t L, std::size_t D, std::size_t N, std::uint64_t seed) {
  Inputs in{L, D, N, {}, {}, {}, {}, {}, {}};
  in.x = uniform_matrix(L, D, 1.0, seed);
  in.B = uniform_matrix(L, N, 1.0, seed + 1);
  in.C = uniform_matrix(L, N, 1.0, seed + 2);
  in.Dskip = uniform_matrix(1, D, 1.0, seed + 3);
  Rng rng(seed + 4);
  in.delta.resize(L * D);
  for (auto& d : in.delta) d = static_cast<float>(std::exp(rng.uniform(std::log(1e-3), std::log(0.5))));
  in.A.resize(D * N);
  for (auto& a : in.A) a = -static_cast<float>(rng.uniform(0.01, 4.0));
  return in;
}

double scan_error(const std::string& method, const Inputs& in, Params params) {
  std::vector<float> y(in.L * in.D, NAN);
  Stats stats;
  run_scan(method, in.problem(), params, y.data(), stats);
  std::vector<double> ref(in.L * in.D), col(in.L);
  for (std::size_t c = 0; c < in.D; ++c) {
    scan_reference_channel(in.problem(), c, col.data());
    for (std::size_t t = 0; t < in.L; ++t) ref[t * in.D + c] = col[t];
  }
  return relative_error(y.data(), ref.data(), y.size());
}

// Runs fn, which must throw an Error naming `param`.
void check_error(const std::function<void()>& fn, const std::string& param) {
  try {
    fn();
    FAIL("no error for " << param);
  } catch (const Error& e) {
    CHECK(e.param() == param);
  }
}

}  // namespace

TEST_CASE("the registry lists scans and blocks, each with a cost") {
  int scans = 0, blocks = 0;
  for (const auto& m : methods()) {
    (m.kind == Kind::scan ? scans : blocks)++;
    CHECK(m.cost(1024, 64, 16, Params{}).flops > 0);
  }
  CHECK(scans == 3);
  CHECK(blocks == 4);
  CHECK(find_method("mamba_block").kind == Kind::block);
}

TEST_CASE("constant inputs: every scan equals the closed form h_t = ΔBx(1 − a^t)/(1 − a)") {
  const std::size_t L = 300, D = 5, N = 3;
  Inputs in{L, D, N, {}, {}, {}, {}, {}, {}};
  in.x.assign(L * D, 0.7f);
  in.delta.assign(L * D, 0.05f);
  in.B.assign(L * N, 0.4f);
  in.C.assign(L * N, -1.3f);
  in.Dskip.assign(D, 0.25f);
  in.A.resize(D * N);
  for (std::size_t c = 0; c < D; ++c)
    for (std::size_t k = 0; k < N; ++k) in.A[c * N + k] = -0.5f * float(k + 1) - 0.1f * float(c);
  for (const auto& m : methods()) {
    if (m.kind != Kind::scan) continue;
    Params params;
    params.chunk = 64;
    std::vector<float> y(L * D);
    Stats stats;
    run_scan(m.name, in.problem(), params, y.data(), stats);
    double worst = 0;
    for (std::size_t t = 0; t < L; ++t)
      for (std::size_t c = 0; c < D; ++c) {
        double expect = 0.25 * 0.7;
        for (std::size_t k = 0; k < N; ++k) {
          const double a = std::exp(0.05 * double(in.A[c * N + k]));
          const double h = 0.05 * 0.4 * 0.7 * (1 - std::pow(a, double(t + 1))) / (1 - a);
          expect += -1.3 * h;
        }
        worst = std::max(worst, std::fabs(y[t * D + c] - expect) / std::fabs(expect));
      }
    CAPTURE(m.name);
    CHECK(worst <= 1e-5);
  }
}

TEST_CASE("scan and scan_chunked match scan_reference within 1e-4 (relative)") {
  struct Shape {
    std::size_t L, D, N, chunk;
  };
  const std::vector<Shape> shapes = {
      {1, 1, 1, 64},   {1, 17, 5, 1},   {7, 3, 1, 3},    {100, 16, 16, 64}, {257, 33, 7, 64},
      {64, 20, 4, 64}, {130, 5, 16, 1}, {999, 40, 16, 37}, {4096, 24, 16, 64}, {4096, 16, 16, 256},
  };
  for (const char* method : {"scan", "scan_chunked"}) {
    for (const auto& s : shapes) {
      for (int threads : {1, max_threads()}) {
        const Inputs in = random_inputs(s.L, s.D, s.N, 7 + s.L + s.D);
        Params params;
        params.chunk = s.chunk;
        params.threads = threads;
        CAPTURE(method);
        CAPTURE(s.L);
        CAPTURE(s.D);
        CAPTURE(s.N);
        CAPTURE(s.chunk);
        CAPTURE(threads);
        CHECK(scan_error(method, in, params) <= 1e-4);
      }
    }
  }
}

TEST_CASE("scan_chunked falls back to steps where the decay span is too wide, and stays accurate") {
  Inputs in = random_inputs(200, 8, 4, 3);
  for (auto& d : in.delta) d *= 40;  // Δ·|A| up to 80 per step
  Params params;
  params.chunk = 50;
  std::vector<float> y(200 * 8);
  Stats stats;
  run_scan("scan_chunked", in.problem(), params, y.data(), stats);
  double fallback = -1;
  for (const auto& [k, v] : stats)
    if (k == "fallback_fraction") fallback = v;
  CHECK(fallback > 0);
  CHECK(scan_error("scan_chunked", in, params) <= 1e-4);
}

TEST_CASE("mamba_block and attention_block match their double-precision references") {
  for (std::size_t D : {8, 64}) {
    for (const char* name : {"mamba_block", "attention_block"}) {
      for (bool causal : {true, false}) {
        if (std::string(name) == "mamba_block" && !causal) continue;
        Params params;
        params.N = 4;
        params.causal = causal;
        params.heads = D == 64 ? 2 : 1;
        params.seed = 5;
        const std::size_t L = 300;  // more than one mamba tile
        const Weights w = make_weights(name, D, params);
        const auto x = uniform_matrix(L, D, 1.0, 9);
        std::vector<float> y(L * D);
        std::vector<double> ref(L * D);
        run_block(name, w, x.data(), L, params, y.data());
        if (w.family == "mamba") mamba_block_reference(w, x.data(), L, L, ref.data());
        else attention_block_reference(w, x.data(), L, L, params, ref.data());
        CAPTURE(name);
        CAPTURE(D);
        CAPTURE(causal);
        CHECK(relative_error(y.data(), ref.data(), y.size()) <= 1e-4);
      }
    }
  }
}

TEST_CASE("Mamba initialisation: A = −(1…N), Δ = softplus(bias) in [1e-3, 1e-1]") {
  Params params;
  params.N = 6;
  const Weights w = make_weights("mamba_block", 32, params);
  CHECK(w.E == 64);
  CHECK(w.R == 2);
  for (std::size_t c = 0; c < w.E; ++c) {
    for (std::size_t k = 0; k < w.N; ++k) CHECK(w.A[c * w.N + k] == -float(k + 1));
    const double dt = std::log1p(std::exp(double(w.dt_bias[c])));
    CHECK(dt >= 0.999e-3);
    CHECK(dt <= 1.001e-1);
  }
}

TEST_CASE("bad inputs raise an Error naming the parameter; the family keeps working") {
  Inputs in = random_inputs(10, 4, 3, 1);
  std::vector<float> y(40);
  Stats stats;
  Params params;
  auto run = [&](const Inputs& i, const Params& p, const char* method = "scan") {
    return [&, method] { run_scan(method, i.problem(), p, y.data(), stats); };
  };
  {
    Inputs bad = in;
    bad.N = 0;
    check_error(run(bad, params), "N");
  }
  {
    Params p;
    p.chunk = 0;
    check_error(run(in, p, "scan_chunked"), "chunk");
  }
  for (float v : {NAN, INFINITY, -1.0f, 1e9f}) {
    Inputs bad = in;
    bad.delta[7] = v;
    check_error(run(bad, params), "delta");
  }
  {
    Inputs bad = in;
    bad.A[2] = 0.5f;
    check_error(run(bad, params), "A");
  }
  {
    Inputs bad = in;
    bad.B[0] = NAN;
    check_error(run(bad, params), "B");
  }
  check_error([&] { run_scan("mamba_block", in.problem(), params, y.data(), stats); }, "method");
  check_error([&] { run_scan("nope", in.problem(), params, y.data(), stats); }, "method");
  {
    Params p;
    p.heads = 3;
    check_error([&] { make_weights("attention_block", 8, p); }, "heads");
    p.heads = 1;
    p.attention = "nope";
    check_error([&] { make_weights("attention_block", 8, p); }, "attention");
    check_error([&] { make_weights("mamba_block", 0, Params{}); }, "D");
    const Weights m = make_weights("mamba_block", 8, Params{});
    std::vector<float> x(16, 0.5f), out(16);
    check_error([&] { run_block("attention_block", m, x.data(), 2, Params{}, out.data()); }, "weights");
    x[3] = NAN;
    check_error([&] { run_block("mamba_block", m, x.data(), 2, Params{}, out.data()); }, "x");
  }
  {
    Options o;
    o.set("chunk", "0");
    check_error([&] { params_from(o, "scan_chunked"); }, "chunk");
    Options n;
    n.set("N", "0");
    check_error([&] { params_from(n, "mamba_block"); }, "N");
  }
  set_memory_budget_bytes(64);
  CHECK_THROWS_WITH_AS(run(in, params)(), doctest::Contains("memory budget"), Error);
  set_memory_budget_bytes(0);
  CHECK(scan_error("scan", in, params) <= 1e-4);
}

TEST_CASE("a cancel request stops scans and blocks with 'cancelled'; the next call works") {
  const Inputs in = random_inputs(500, 32, 8, 2);
  std::vector<float> y(500 * 32);
  Stats stats;
  for (const char* method : {"scan", "scan_chunked"}) {
    cancel_flag().store(1);
    CHECK_THROWS_WITH_AS(run_scan(method, in.problem(), Params{}, y.data(), stats),
                         doctest::Contains("cancelled"), Error);
    cancel_flag().store(0);
    CHECK(scan_error(method, in, Params{}) <= 1e-4);
  }
  const Weights w = make_weights("mamba_block", 16, Params{});
  const auto x = uniform_matrix(300, 16, 1.0, 4);
  std::vector<float> out(300 * 16);
  cancel_flag().store(1);
  CHECK_THROWS_WITH_AS(run_block("mamba_block", w, x.data(), 300, Params{}, out.data()),
                       doctest::Contains("cancelled"), Error);
  cancel_flag().store(0);
  run_block("mamba_block", w, x.data(), 300, Params{}, out.data());
}
