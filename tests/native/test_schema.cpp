// The one registry shape (common/schema.hpp), checked over every method of
// every family, so a family added later is covered without a new test: its
// options parse strictly, its limits are enforced exactly at the edge, its
// cost model answers, and its example runs.
#include <doctest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "bench/measure.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "common/schema.hpp"
#include "common/threads.hpp"
#include "support.hpp"

using namespace subquad;

using subquad::testing::message_of;
using subquad::testing::stat;

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Options one(const std::string& key, const std::string& value) {
  Options o;
  o.set(key, value);
  return o;
}

std::string text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// The smallest valid dimensions of a family (the memory test and the page use
// larger ones); bichromatic dims only where the family lists them.
Dims small_dims(const Family& f) {
  Dims d;
  for (const auto& dim : f.dims) d[dim.name] = std::max(dim.min, 2.0);
  if (f.name == "attention") d["n_k"] = d["n"];
  if (f.name == "pairs") d.erase("m");
  return d;
}

}  // namespace

TEST_CASE("every family describes every method: options from its table, defaults within limits") {
  REQUIRE(families().size() >= 3);
  std::size_t methods = 0, options = 0;
  for (const Family* f : families()) {
    CAPTURE(f->name);
    CHECK(!f->summary.empty());
    CHECK(!f->paper.empty());
    CHECK(!f->dims.empty());
    CHECK(f->cost);
    CHECK(f->example);
    for (const auto& m : f->methods) {
      CAPTURE(m.name);
      ++methods;
      CHECK(!m.summary.empty());
      CHECK(!f->inputs_of(m).empty());
      for (const auto& name : m.options) {
        const OptionSpec& spec = f->option(name);  // throws when the table lacks it
        CHECK(!spec.doc.empty());
        CHECK_NOTHROW(check_option(spec, spec.fallback));
        ++options;
      }
    }
  }
  MESSAGE(families().size() << " families, " << methods << " methods, " << options << " method options");
  CHECK(schema_json().find("\"attention\"") != std::string::npos);
}

TEST_CASE("an unknown option is refused, naming it and listing exactly that method's options") {
  for (const Family* f : families()) {
    for (const auto& m : f->methods) {
      CAPTURE(m.name);
      const std::string want = "windw: unknown option for " + m.name + "; " +
                               (m.options.empty() ? "it takes none" : "options are " + join(m.options));
      CHECK(message_of([&] { OptionValues(*f, m.name, one("windw", "3")); }) == want);
      // The cost model reads options through the same schema.
      CHECK(message_of([&] { f->cost(m.name, small_dims(*f), one("windw", "3")); }) == want);
    }
  }
  // An option of another method of the family is unknown too (a typo of intent).
  CHECK(message_of([] { attention::params_from(one("window", "8"), 8, "flash"); }).rfind("window: unknown option for flash", 0) == 0);
}

TEST_CASE("every limit is accepted at the edge and refused one past it") {
  for (const Family* f : families()) {
    for (const auto& m : f->methods) {
      for (const auto& name : m.options) {
        const OptionSpec& s = f->option(name);
        CAPTURE(m.name);
        CAPTURE(name);
        auto accepted = [&](const std::string& v) { CHECK(message_of([&] { OptionValues(*f, m.name, one(name, v)); }) == ""); };
        auto refused = [&](const std::string& v) {
          const std::string msg = message_of([&] { OptionValues(*f, m.name, one(name, v)); });
          CAPTURE(v);
          CHECK(msg.rfind(name + ": got ", 0) == 0);
        };
        switch (s.type) {
          case OptionType::integer:
            accepted(text(s.min));
            accepted(text(s.max));
            refused(text(s.min - 1));
            refused(text(s.max + 1));
            refused(text(s.min + 0.5));
            refused("many");
            break;
          case OptionType::number:
            if (!s.min_exclusive) accepted(text(s.min));
            accepted(text(s.max));
            refused(text(s.min_exclusive ? s.min : s.min - std::fabs(s.min) * 1e-9 - 1e-9));
            refused(text(s.max + std::fabs(s.max) * 1e-9 + 1e-9));
            refused("nan");
            refused("inf");
            refused("lots");
            for (const auto& v : s.values) accepted(v);
            break;
          case OptionType::boolean:
            for (const char* v : {"true", "false", "1", "0"}) accepted(v);
            refused("yes");
            CHECK(message_of([&] { OptionValues(*f, m.name, one(name, "yes")); }) ==
                  name + ": got 'yes', must be true or false");
            break;
          case OptionType::choice:
            for (const auto& v : s.values) accepted(v);
            refused("nope");
            CHECK(message_of([&] { OptionValues(*f, m.name, one(name, "nope")); }).find(join(s.values)) !=
                  std::string::npos);
            break;
        }
      }
    }
  }
}

TEST_CASE("every method's cost model answers at its smallest shape, and dims are checked") {
  for (const Family* f : families()) {
    const Dims dims = small_dims(*f);
    for (const auto& m : f->methods) {
      CAPTURE(m.name);
      const Cost c = f->cost(m.name, dims, Options{});
      CHECK(std::isfinite(c.flops));
      CHECK(c.flops >= 0);
      CHECK(c.bytes > 0);
      CHECK(c.memory_bytes >= 0);
    }
    for (const auto& dim : f->dims) {
      Dims bad = dims;
      bad[dim.name] = dim.max + 1;
      CAPTURE(dim.name);
      CHECK(message_of([&] { f->cost(f->methods.front().name, bad, Options{}); }).rfind(dim.name + ": got ", 0) == 0);
    }
  }
  CHECK(message_of([] { family("nope"); }).rfind("family: unknown family 'nope'", 0) == 0);
}

TEST_CASE("every method runs through the family's generic example runner") {
  for (const Family* f : families()) {
    for (const auto& m : f->methods) {
      CAPTURE(m.name);
      Dims dims = small_dims(*f);
      if (f->name == "attention") dims = {{"n", 70}, {"d", 5}};
      if (takes_option(*f, m.name, "rope_base") && !takes_option(*f, m.name, "support")) {  // RoPE: odd d refused
        CHECK(message_of([&] { f->example(m.name, dims, Options{}, {}); }).rfind("d: got 5, must be even for " + m.name, 0) == 0);
        CHECK(message_of([&] { f->cost(m.name, dims, Options{}); }).rfind("d: got 5, must be even", 0) == 0);
        dims["d"] = 6;
      }
      if (f->name == "ssm") dims = {{"L", 20}, {"D", 8}, {"N", 4}};
      if (f->name == "pairs") dims = {{"n", 40}, {"d", 12}};
      if (f->name == "construction") dims = {{"n", 20}, {"l", 8}};
      Options o;
      if (m.name.find("mamba") == 0) o.set("N", "4");
      CHECK_NOTHROW(f->example(m.name, dims, o, {}));
    }
  }
}

TEST_CASE("attention: separate key counts, log-sum-exp and causal offsets agree with the reference") {
  using namespace attention;
  const std::size_t n = 37, nk = 101, d = 9;
  const auto Q = uniform_matrix(n, d, 1.5, 3), K = uniform_matrix(nk, d, 1.5, 4), V = uniform_matrix(nk, d, 1.0, 5);
  for (bool causal : {false, true}) {
    Params p;
    p.causal = causal;
    p.return_lse = true;
    const Problem prob{n, d, Q.data(), K.data(), V.data(), nk};
    std::vector<float> ref(n * d), ref_lse(n);
    Stats stats;
    run("exact_reference", prob, p, ref.data(), stats, ref_lse.data());
    // The closed form of the log-sum-exp, in double, from the definition.
    const double s = resolved_scale(p, d);
    for (std::size_t i = 0; i < n; ++i) {
      double sum = 0;
      const std::size_t keys = causal ? i + (nk - n) + 1 : nk;
      for (std::size_t j = 0; j < keys; ++j) {
        double dot = 0;
        for (std::size_t k = 0; k < d; ++k) dot += double(Q[i * d + k]) * K[j * d + k];
        sum += std::exp(s * dot);
      }
      CHECK(ref_lse[i] == doctest::Approx(std::log(sum)).epsilon(1e-6));
    }
    for (const char* method : {"exact", "flash"}) {
      CAPTURE(method);
      CAPTURE(causal);
      std::vector<float> out(n * d), lse(n, NAN);
      run(method, prob, p, out.data(), stats, lse.data());
      CHECK(relative_error(out.data(), ref.data(), n * d) < 1e-5);
      for (std::size_t i = 0; i < n; ++i) CHECK(lse[i] == doctest::Approx(ref_lse[i]).epsilon(1e-5));
    }
  }
  // n_k = n causal is the usual mask (query i sees keys 0..i).
  Params p;
  p.causal = true;
  std::vector<float> a(n * d), b(n * d);
  Stats stats;
  run("flash", {n, d, Q.data(), K.data(), V.data(), n}, p, a.data(), stats);
  run("exact_reference", {n, d, Q.data(), K.data(), V.data()}, p, b.data(), stats);
  CHECK(relative_error(a.data(), b.data(), n * d) < 1e-5);
}

TEST_CASE("attention: what n_k and return_lse cannot do is refused by name") {
  using namespace attention;
  const std::size_t n = 8, d = 4;
  const auto X = uniform_matrix(16, d, 1.0, 1);
  std::vector<float> out(16 * d), lse(16);
  Stats stats;
  Params p;
  CHECK(message_of([&] { run("polynomial", {n, d, X.data(), X.data(), X.data(), 16}, p, out.data(), stats); })
            .rfind("n_k: got 16 ≠ n = 8; method 'polynomial' needs n_k = n", 0) == 0);
  p.causal = true;
  CHECK(message_of([&] { run("flash", {16, d, X.data(), X.data(), X.data(), 8}, p, out.data(), stats); })
            .rfind("n_k: got 8, must be >= n when causal", 0) == 0);
  Params l;
  l.return_lse = true;
  CHECK(message_of([&] { run("flash", {n, d, X.data(), X.data(), X.data()}, l, out.data(), stats); })
            .rfind("return_lse: set, but no buffer", 0) == 0);
  CHECK(message_of([&] { run("window", {n, d, X.data(), X.data(), X.data()}, l, out.data(), stats, lse.data()); })
            .rfind("return_lse: method 'window' computes no log-sum-exp", 0) == 0);
  CHECK(message_of([] { params_from(one("return_lse", "1"), 4, "linear"); })
            .rfind("return_lse: unknown option for linear; options are causal, threads", 0) == 0);
}

TEST_CASE("attention: exact and exact_reference stop at a block boundary when cancelled") {
  using namespace attention;
  const std::size_t n = 256, d = 8;
  const auto X = uniform_matrix(n, d, 1.0, 1);
  std::vector<float> out(n * d);
  Stats stats;
  for (const char* method : {"exact_reference", "exact", "flash"}) {
    CAPTURE(method);
    cancel_flag().store(1);
    CHECK(message_of([&] { run(method, {n, d, X.data(), X.data(), X.data()}, Params{}, out.data(), stats); }) ==
          "cancelled: the run was cancelled");
    cancel_flag().store(0);
    CHECK_NOTHROW(run(method, {n, d, X.data(), X.data(), X.data()}, Params{}, out.data(), stats));
  }
}

TEST_CASE("attention: execute is the kernel alone — validation happens once, in prepare") {
  using namespace attention;
  const std::size_t n = 64, d = 8;
  auto X = uniform_matrix(n, d, 1.0, 1);
  std::vector<float> out(n * d);
  Stats stats;
  const Problem prob{n, d, X.data(), X.data(), X.data()};
  const Method& m = prepare("exact", prob, Params{});
  // A value planted after prepare is not looked at again: execute does no
  // O(n·d) input pass (and no memory query) inside a timed region.
  X[5] = NAN;
  CHECK_NOTHROW(execute(m, prob, Params{}, out.data(), stats));
  CHECK(message_of([&] { prepare("exact", prob, Params{}); }) == "Q: entry 5 is nan, must be finite");
  // The bench record says what it timed and reports validation separately.
  Options o;
  o.set("suite", "attention");
  o.set("method", "flash");
  o.set("n", "256");
  o.set("d", "16");
  o.set("min_ms", "1");
  const std::string json = bench::measure(o);
  CAPTURE(json);
  CHECK(json.find("\"timed\":\"kernel\"") != std::string::npos);
  CHECK(json.find("\"validate_ms\":") != std::string::npos);
  CHECK(json.find("\"q1_ms\":") != std::string::npos);
  CHECK(json.find("\"max_ms\":") != std::string::npos);
}

TEST_CASE("attention: the polynomial's 20,001-point error grid is computed outside the kernel") {
  using namespace attention;
  const std::size_t n = 64, d = 4;
  const auto X = uniform_matrix(n, d, 1.0, 2);
  std::vector<float> out(n * d);
  const Problem prob{n, d, X.data(), X.data(), X.data()};
  const Method& m = prepare("polynomial", prob, Params{});
  auto has = [](const Stats& s, const char* key) {
    for (const auto& [k, v] : s)
      if (k == key) return true;
    return false;
  };
  Stats timed;
  execute(m, prob, Params{}, out.data(), timed);
  CHECK(has(timed, "negative_denominators"));  // what the run itself found
  CHECK_FALSE(has(timed, "poly_max_rel_error"));
  Stats all;
  run("polynomial", prob, Params{}, out.data(), all);
  CHECK(has(all, "poly_max_rel_error"));
  CHECK(has(all, "error_bound"));
  CHECK(has(all, "rank"));
}

TEST_CASE("every bench suite reads its own keys through specs: limits at the edge, unknown keys refused") {
  REQUIRE(suites().size() >= 7);
  for (const Suite& s : suites()) {
    CAPTURE(s.name);
    if (!s.family.empty()) CHECK_NOTHROW(family(s.family));
    for (const auto& spec : s.options) {
      CAPTURE(spec.name);
      CHECK(!spec.doc.empty());
      CHECK_NOTHROW(check_option(spec, spec.fallback));
      if (spec.type == OptionType::integer || spec.type == OptionType::number) {
        CHECK_NOTHROW(check_option(spec, text(spec.max)));
        CHECK(message_of([&] { check_option(spec, text(spec.max + 1)); }).rfind(spec.name + ": got ", 0) == 0);
      }
    }
    // A typo: refused by the suite (no family) or by the method it names.
    Options o;
    o.set("suite", s.name);
    o.set("min_ms", "0");
    o.set("nn", "64");
    CHECK(message_of([&] { bench::measure(o); }).rfind("nn: unknown option for ", 0) == 0);
  }
  CHECK(message_of([] { suite("nope"); }).rfind("suite: got 'nope', must be one of attention", 0) == 0);
  Options big;
  big.set("suite", "attention");
  big.set("n", "16777217");
  CHECK(message_of([&] { bench::measure(big); }) == "n: got 16777217, must be an integer in [1, 16777216]");
  CHECK(!limits().empty());
  CHECK(schema_json().find("\"suites\":{\"attention\"") != std::string::npos);
}
