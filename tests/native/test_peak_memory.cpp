// The cost models' memory_bytes against what each method really allocates: the peak of
// bytes in use through operator new while it runs (peak_memory.hpp), inputs and outputs
// allocated before measuring. Every method of every registry must land within [0.5, 2]× its
// model; methods whose true extra memory is tiny (references holding a few rows) may instead
// be within kSlack bytes of it, since the stats strings and std::function copies the call
// makes are of that order.
#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "common/rng.hpp"
#include "common/schema.hpp"
#include "common/threads.hpp"
#include "pairs/pairs.hpp"
#include "peak_memory.hpp"
#include "ssm/ssm.hpp"

using namespace subquad;

namespace {

constexpr double kSlack = 8 * 1024;

// Runs `call` once to warm up (the thread pool, lazily made statics), then measures a second run.
template <class Call>
double peak_extra_bytes(Call&& call) {
  call();
  testing::PeakMemory measure;
  call();
  return measure.extra_bytes();
}

bool within_model(double measured, double model) {
  return (measured >= 0.5 * model && measured <= 2 * model) || std::fabs(measured - model) <= kSlack;
}

int two_threads() { return std::min(2, max_threads()); }

}  // namespace

TEST_CASE("peak memory: attention methods within [0.5, 2]x of Method::cost(n, n, d).memory_bytes") {
  if (!testing::peak_memory_available()) {
    MESSAGE("skipped: AddressSanitizer keeps its own operator new, nothing is counted");
    return;
  }
  const std::size_t n = 2048, d = 64;
  const auto Q = uniform_matrix(n, d, 1.0, 1), K = uniform_matrix(n, d, 1.0, 2), V = uniform_matrix(n, d, 1.0, 3);
  const auto W = uniform_matrix(2 * n - 1, d, 1.0, 4);  // positional_* only
  std::vector<float> O(n * d);
  for (const auto& m : attention::methods()) {
    for (bool causal : {false, true}) {
      attention::Params params;
      params.threads = two_threads();
      params.causal = causal;
      params.degree = 2;  // polynomial: rank C(66, 2) = 2,145 keeps it quick at d = 64
      if (std::string(m.name) == "positional_fft") params.degree = 1;  // 65 FFT pieces
      const float* w = attention::takes_positions(m) ? W.data() : nullptr;
      attention::Stats stats;
      const double measured = peak_extra_bytes([&] {
        stats.clear();
        attention::run(m.name, {n, d, Q.data(), K.data(), V.data(), 0, w}, params, O.data(), stats);
      });
      const double model = m.cost(n, n, d, params).memory_bytes;
      CAPTURE(std::string(m.name));
      CAPTURE(causal);
      CAPTURE(measured);
      CAPTURE(model);
      CHECK(within_model(measured, model));
    }
  }
}

TEST_CASE("peak memory: ssm scans and blocks within [0.5, 2]x of Method::cost(L, D, N).memory_bytes") {
  if (!testing::peak_memory_available()) {
    MESSAGE("skipped: AddressSanitizer keeps its own operator new, nothing is counted");
    return;
  }
  const std::size_t L = 4096, D = 64, N = 16;
  const auto x = uniform_matrix(L, D, 1.0, 1), B = uniform_matrix(L, N, 1.0, 2), C = uniform_matrix(L, N, 1.0, 3),
             Dskip = uniform_matrix(1, D, 1.0, 4);
  std::vector<float> delta = uniform_matrix(L, D, 1.0, 5), A = uniform_matrix(D, N, 1.0, 6);
  for (auto& v : delta) v = 0.05f * (v + 1.001f);  // Δ > 0
  for (auto& v : A) v = -1.0f - std::fabs(v);        // A < 0: the state decays
  std::vector<float> y(L * D);
  for (const auto& m : ssm::methods()) {
    ssm::Params params;
    params.threads = two_threads();
    CAPTURE(std::string(m.name));
    double measured = 0, model = 0;
    if (m.kind == ssm::Kind::scan) {
      ssm::Stats stats;
      measured = peak_extra_bytes([&] {
        stats.clear();
        ssm::run_scan(m.name, {L, D, N, x.data(), delta.data(), A.data(), B.data(), C.data(), Dskip.data()}, params,
                      y.data(), stats);
      });
      model = m.cost(L, D, N, params).memory_bytes;
    } else {
      // Blocks: the weights are made before measuring; the model counts them, so they are added.
      const std::size_t Lb = 1024;  // the double-precision attention reference is O(L²·D)
      const ssm::Weights w = ssm::make_weights(m.name, D, params);
      measured = peak_extra_bytes([&] { ssm::run_block(m.name, w, x.data(), Lb, params, y.data()); });
      double weights = 0;
      for (const auto* v : {&w.in_proj, &w.conv_w, &w.conv_b, &w.x_proj, &w.dt_proj, &w.dt_bias, &w.A, &w.Dskip,
                            &w.out_proj, &w.Wq, &w.Wk, &w.Wv, &w.Wo})
        weights += 4.0 * v->size();
      measured += weights;
      ssm::Params resolved = params;  // as run_block resolves them from the weights
      resolved.N = w.N ? w.N : params.N;
      resolved.E = w.E;
      resolved.dt_rank = w.R;
      resolved.heads = w.heads;
      resolved.attention = w.attention;
      model = m.cost(Lb, D, resolved.N, resolved).memory_bytes;
    }
    CAPTURE(measured);
    CAPTURE(model);
    CHECK(within_model(measured, model));
  }
}

namespace {

// 0/1 rows for the binary methods, uniform ±1 otherwise.
std::vector<float> pair_rows(bool binary, std::size_t rows, std::size_t d, std::uint64_t seed) {
  std::vector<float> M = uniform_matrix(rows, d, 1.0, seed);
  if (binary)
    for (auto& v : M) v = v > 0.6f ? 1.0f : 0.0f;
  return M;
}

}  // namespace

TEST_CASE("peak memory: pair-search methods within [0.5, 2]x of pairs::memory_bytes") {
  if (!testing::peak_memory_available()) {
    MESSAGE("skipped: AddressSanitizer keeps its own operator new, nothing is counted");
    return;
  }
  const std::size_t n = 4096, m = 2048, d = 64;
  for (const auto& method : pairs::methods()) {
    for (bool bi : {false, true}) {
      for (pairs::Kind kind : {pairs::Kind::msd, pairs::Kind::maxip}) {
        if (std::string(method.name) == "minhash" && kind != pairs::Kind::msd) continue;
        const std::vector<float> X = pair_rows(method.binary, n, d, 1), Y = pair_rows(method.binary, m, d, 2);
        const pairs::Data data{X.data(), n, d, bi ? Y.data() : nullptr, bi ? m : 0};
        pairs::Params params;
        params.kind = kind;
        params.threads = two_threads();
        const double measured = peak_extra_bytes([&] { pairs::run(method.name, data, params); });
        const double model = pairs::memory_bytes(method.name, data, params);
        CAPTURE(std::string(method.name));
        CAPTURE(bi);
        CAPTURE(std::string(pairs::kind_name(kind)));
        CAPTURE(measured);
        CAPTURE(model);
        CHECK(within_model(measured, model));
      }
    }
  }
}

TEST_CASE("peak memory: gram's memory_bytes is what it allocates (±10%), mono and bichromatic, cosine and raw") {
  if (!testing::peak_memory_available()) {
    MESSAGE("skipped: AddressSanitizer keeps its own operator new, nothing is counted");
    return;
  }
  // m ≠ n, so an estimate that counts Y's rows once where gram holds them twice shows.
  const std::size_t n = 4096, m = 8192, d = 64;  // large enough that the per-thread tiles (48 KiB) are < 10%
  const std::vector<float> X = pair_rows(false, n, d, 1), Y = pair_rows(false, m, d, 2);
  for (bool bi : {false, true}) {
    for (pairs::Kind kind : {pairs::Kind::msd, pairs::Kind::maxip}) {
      const pairs::Data data{X.data(), n, d, bi ? Y.data() : nullptr, bi ? m : 0};
      pairs::Params params;
      params.kind = kind;
      params.threads = two_threads();
      const double measured = peak_extra_bytes([&] { pairs::run("gram", data, params); });
      const double model = pairs::memory_bytes("gram", data, params);
      CAPTURE(bi);
      CAPTURE(std::string(pairs::kind_name(kind)));
      CAPTURE(measured);
      CAPTURE(model);
      CHECK(measured >= 0.9 * model);
      CHECK(measured <= 1.1 * model);
    }
  }
}

// Every method of every family through the registry's generic example runner,
// so a family added later is measured without a new test: inputs and outputs
// are allocated before `ready`, and the peak after it is compared with the
// cost model at the same dimensions and options.
TEST_CASE("peak memory: every method of every family, through the generic example runner") {
  if (!testing::peak_memory_available()) {
    MESSAGE("skipped: AddressSanitizer keeps its own operator new, nothing is counted");
    return;
  }
  for (const Family* f : families()) {
    // Shapes large enough that the models' terms dominate the few-KiB slack;
    // a family not listed here gets 256 in every dimension.
    Dims dims;
    for (const auto& dim : f->dims) dims[dim.name] = std::min(dim.max, std::max(dim.min, 256.0));
    if (f->name == "attention") dims = {{"n", 1024}, {"d", 64}};
    if (f->name == "ssm") dims = {{"L", 2048}, {"D", 64}, {"N", 16}};
    if (f->name == "pairs") dims = {{"n", 2048}, {"d", 64}};
    if (f->name == "construction") dims = {{"n", 512}, {"l", 64}};
    if (f->name == "tensor") dims = {{"n", 192}, {"d", 32}};  // the per-pair methods are O(n³d)
    if (f->name == "kernel") dims = {{"n", 2048}, {"d", 4}};
    for (const auto& m : f->methods) {
      Options o;
      if (takes_option(*f, m.name, "threads")) o.set("threads", std::to_string(two_threads()));
      if (m.name.find("polynomial") != std::string::npos) o.set("degree", "2");
      if (m.name == "positional_fft") o.set("degree", "1");
      if (m.name == "fit_one_layer") o.set("steps", "1");  // collapse: one Adam step holds all it allocates
      if (f->name == "kernel" && takes_option(*f, m.name, "clusters")) {  // fgt's memory depends on the data otherwise
        o.set("clusters", "8");
        o.set("order", "6");
      }
      if (m.name.find("reference") != std::string::npos && f->name == "ssm" && m.name != "scan_reference")
        continue;  // the O(L²·D) double block references: measured at L = 1024 above
      Dims at = dims;
      if (m.name == "loss_polynomial") at = {{"n", 1024}, {"d", 8}};  // r·d² at d = 256 is past any budget
      const Cost c = f->cost(m.name, at, o);
      double measured = 0;
      auto run = [&] {
        std::unique_ptr<testing::PeakMemory> measure;
        f->example(m.name, at, o, [&] { measure = std::make_unique<testing::PeakMemory>(); });
        measured = measure->extra_bytes();
      };
      run();  // warm-up: the thread pool, lazily made statics
      run();
      CAPTURE(f->name);
      CAPTURE(m.name);
      CAPTURE(measured);
      CAPTURE(c.memory_bytes);
      CHECK(within_model(measured, c.memory_bytes));
    }
  }
}

// The grad family's causal polynomial gradient (prefix states, one thread, g kept for every
// row): the generic test above runs it non-causal.
TEST_CASE("peak memory: the causal polynomial gradient within [0.5, 2]x of its cost model") {
  if (!testing::peak_memory_available()) {
    MESSAGE("skipped: AddressSanitizer keeps its own operator new, nothing is counted");
    return;
  }
  const Family& f = family("grad");
  for (const Dims& dims : {Dims{{"n", 4096}, {"d", 8}}, Dims{{"n", 1000}, {"d", 16}}}) {
    Options o;
    o.set("causal", "true");
    o.set("degree", "2");
    const Cost c = f.cost("polynomial", dims, o);
    double measured = 0;
    auto run = [&] {
      std::unique_ptr<testing::PeakMemory> measure;
      f.example("polynomial", dims, o, [&] { measure = std::make_unique<testing::PeakMemory>(); });
      measured = measure->extra_bytes();
    };
    run();
    run();
    CAPTURE(measured);
    CAPTURE(c.memory_bytes);
    CHECK(within_model(measured, c.memory_bytes));
  }
}
