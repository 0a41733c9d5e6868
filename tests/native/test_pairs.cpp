// Pair search (cpp/pairs/) against an independent brute force written here in
// double precision, on random, planted, OV-hard and awkward instances; the OV
// reduction and the OV attention construction against OV brute force; the
// heuristics' recall; the γ-checker; the tokeniser and documents().
#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/rng.hpp"
#include "experiments/construction.hpp"
#include "pairs/documents.hpp"
#include "pairs/generate.hpp"
#include "pairs/pairs.hpp"

using namespace subquad;
using namespace subquad::pairs;

namespace {

const Kind kKinds[] = {Kind::msd, Kind::lsd, Kind::maxip, Kind::minip, Kind::ov};

struct Brute {
  std::int64_t i = -1, j = -1;
  double value = 0;
};

// Independent brute force: the objective compared as a value in long double,
// ties (|Δ| ≤ tol) to the smallest (i, j).
Brute brute(Kind kind, const std::vector<float>& X, std::size_t n, std::size_t d, const std::vector<float>* Y = nullptr,
            std::size_t m = 0, double tol = 0) {
  const bool bi = Y != nullptr;
  const std::vector<float>& B = bi ? *Y : X;
  if (!bi) m = n;
  Brute b;
  long double best = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = bi ? 0 : i + 1; j < m; ++j) {
      long double ip = 0, na = 0, nb = 0;
      for (std::size_t k = 0; k < d; ++k) {
        ip += (long double)X[i * d + k] * B[j * d + k];
        na += (long double)X[i * d + k] * X[i * d + k];
        nb += (long double)B[j * d + k] * B[j * d + k];
      }
      long double v = ip, score;
      if (kind == Kind::msd || kind == Kind::lsd) {
        if (na == 0 || nb == 0) continue;
        v = ip / std::sqrt(na * nb);
      }
      switch (kind) {
        case Kind::msd: case Kind::maxip: score = v; break;
        case Kind::lsd: case Kind::minip: score = -v; break;
        default: score = -std::fabs(v);
      }
      if (b.i < 0 || score > best + tol) {
        best = score;
        b = {std::int64_t(i), std::int64_t(j), double(v)};
      }
    }
  return b;
}

std::vector<std::string> exact_methods(bool binary_data) {
  std::vector<std::string> out;
  for (const auto& m : methods())
    if (m.exact && (binary_data || !m.binary)) out.push_back(m.name);
  return out;
}

Result solve(const std::string& method, Kind kind, const std::vector<float>& X, std::size_t n, std::size_t d,
             const std::vector<float>* Y = nullptr, std::size_t m = 0, int threads = 1) {
  Params p;
  p.kind = kind;
  p.threads = threads;
  Data data{X.data(), n, d, Y ? Y->data() : nullptr, Y ? m : 0};
  return run(method, data, p);
}

void expect_same(const std::string& method, Kind kind, const std::vector<float>& X, std::size_t n, std::size_t d,
                 const std::vector<float>* Y = nullptr, std::size_t m = 0, double tol = 0) {
  const Brute b = brute(kind, X, n, d, Y, m, tol);
  for (int threads : {1, 2}) {
    const Result r = solve(method, kind, X, n, d, Y, m, threads);
    CAPTURE(method);
    CAPTURE(kind_name(kind));
    CAPTURE(threads);
    CHECK(r.i == b.i);
    CHECK(r.j == b.j);
    CHECK(r.value == doctest::Approx(b.value).epsilon(1e-5));
  }
}

}  // namespace

TEST_CASE("exact methods return the brute-force pair on 0/1 data (every problem, mono and bichromatic)") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const std::size_t n = 3 + seed * 17 % 90, m = 5 + seed * 29 % 70, d = 1 + seed * 37 % 150;
    GenerateOptions o{n, d, 0.9, 0.2 + 0.05 * seed, seed};
    const Instance x = generate("sparse", o);
    o.n = m;
    o.seed = seed + 100;
    const Instance y = generate("sparse", o);
    for (const auto& method : exact_methods(true))
      for (Kind k : kKinds) {
        expect_same(method, k, x.X, n, d);
        expect_same(method, k, x.X, n, d, &y.X, m);
      }
  }
}

TEST_CASE("exact methods return the brute-force pair on planted Gaussian data") {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const std::size_t n = 50 + seed * 31, d = 3 + seed * 21;
    const Instance x = generate("planted", {n, d, 0.95, 0.1, seed});
    for (const auto& method : exact_methods(false))
      for (Kind k : kKinds) expect_same(method, k, x.X, n, d);
    const Result r = solve("gram", Kind::msd, x.X, n, d);
    CHECK(r.i == x.planted_i);
    CHECK(r.j == x.planted_j);
  }
}

TEST_CASE("exact methods agree on random Gaussian data up to float rounding") {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const std::size_t n = 100 + seed * 13, d = 7 + seed * 9;
    const std::vector<float> X = gaussian_matrix(n, d, 1.0, seed);
    for (Kind k : kKinds) {
      const Brute b = brute(k, X, n, d);
      const Result r = solve("gram", k, X, n, d, nullptr, 0, 2);
      // Random data: the best two pairs differ by far more than float rounding.
      CHECK(r.i == b.i);
      CHECK(r.j == b.j);
      CHECK(r.value == doctest::Approx(b.value).epsilon(1e-4));
    }
  }
}

TEST_CASE("n = 2, duplicates (ties to the smallest pair) and zero vectors") {
  const std::vector<float> two = {1, 0, 1, 1, 1, 0};
  for (const auto& method : exact_methods(true))
    for (Kind k : kKinds) expect_same(method, k, two, 2, 3);
  // Rows 1, 3, 4 are identical: msd ties at cosine 1 → (1, 3).
  const std::vector<float> dup = {1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1, 1};
  for (const auto& method : exact_methods(true)) {
    const Result r = solve(method, Kind::msd, dup, 6, 3);
    CAPTURE(method);
    CHECK(r.i == 1);
    CHECK(r.j == 3);
    CHECK(r.value == doctest::Approx(1.0));
    for (Kind k : kKinds) expect_same(method, k, dup, 6, 3);
  }
  // Zero rows: excluded from cosine problems (noted in stats); inner-product problems keep them.
  const std::vector<float> zeros = {0, 0, 1, 1, 0, 0, 1, 0};
  for (const auto& method : exact_methods(true)) {
    Result r = solve(method, Kind::lsd, zeros, 4, 2);
    CAPTURE(method);
    CHECK(r.i == 1);
    CHECK(r.j == 3);
    CHECK(r.value == doctest::Approx(1 / std::sqrt(2.0)));
    bool noted = false;
    for (const auto& [key, v] : r.stats) noted |= key == "zero_rows_excluded" && v == 2;
    CHECK(noted);
    r = solve(method, Kind::ov, zeros, 4, 2);
    CHECK(r.found);
    CHECK(r.i == 0);
    CHECK(r.j == 1);
    const std::vector<float> all_zero(6, 0.0f);
    r = solve(method, Kind::msd, all_zero, 3, 2);
    CHECK(!r.found);
    CHECK(r.i == -1);
    for (Kind k : kKinds) expect_same(method, k, zeros, 4, 2);
  }
  // n = 1: no pair at all.
  const Result one = solve("gram", Kind::maxip, two, 1, 3);
  CHECK(!one.found);
  CHECK(one.i == -1);
}

TEST_CASE("bitset equals gram on 0/1 data, and refuses other data") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const std::size_t n = 200 + 37 * seed, d = 64 * seed + seed;
    const Instance x = generate("sparse", {n, d, 0.9, 0.15, seed});
    for (Kind k : kKinds) {
      const Result a = solve("bitset", k, x.X, n, d, nullptr, 0, 2), b = solve("gram", k, x.X, n, d, nullptr, 0, 2);
      CHECK(a.i == b.i);
      CHECK(a.j == b.j);
      CHECK(a.value == doctest::Approx(b.value).epsilon(1e-6));
    }
  }
  const std::vector<float> bad = {1, 0.5f, 0, 1};
  CHECK_THROWS_WITH_AS(solve("bitset", Kind::msd, bad, 2, 2), doctest::Contains("needs 0/1 data"), Error);
}

TEST_CASE("thresholds decide Max-IP and Min-IP") {
  const std::vector<float> X = {1, 1, 0, 1, 1, 1, 0, 0, 1};
  Params p;
  p.kind = Kind::maxip;
  p.has_threshold = true;
  p.threshold = 2;
  Data data{X.data(), 3, 3};
  CHECK(run("gram", data, p).found);
  p.threshold = 2.5;
  CHECK(!run("gram", data, p).found);
  p.kind = Kind::minip;
  p.threshold = -0.5;
  CHECK(!run("bitset", data, p).found);
  p.threshold = 0;
  CHECK(run("bitset", data, p).found);
}

TEST_CASE("OV-hard instances have exactly the planted orthogonal pair, and every exact method finds it") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const std::size_t n = 300, l = 2 * 9;  // ℓ = 2·log2 n
    const Instance x = generate("ovhard", {n, l, 0, 0.1, seed});
    const auto bf = ov_brute_force(x.X.data(), n, nullptr, 0, l);
    CHECK(bf.first == x.planted_i);
    CHECK(bf.second == x.planted_j);
    std::size_t orthogonal = 0;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j) {
        double s = 0;
        for (std::size_t k = 0; k < l; ++k) s += x.X[i * l + k] * x.X[j * l + k];
        orthogonal += s == 0;
      }
    CHECK(orthogonal == 1);
    for (const auto& method : exact_methods(true)) {
      const Result r = solve(method, Kind::ov, x.X, n, l, nullptr, 0, 2);
      CHECK(r.found);
      CHECK(r.i == x.planted_i);
      CHECK(r.j == x.planted_j);
      // LSD decides OV directly on 0/1 vectors: cosine 0 ⇔ orthogonal.
      const Result lsd = solve(method, Kind::lsd, x.X, n, l, nullptr, 0, 2);
      CHECK(lsd.value == 0);
      CHECK(lsd.i == x.planted_i);
    }
  }
}

TEST_CASE("the OV → MSD reduction answers OV exactly as brute force does") {
  int yes = 0, no = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const std::size_t n = 20 + seed % 7, m = 15 + seed % 5, l = 6 + seed % 4;
    Rng rng(seed);
    const double p = 0.45 + 0.05 * (seed % 10);
    std::vector<float> A(n * l), B(m * l);
    for (auto& v : A) v = rng.uniform() < p ? 1.0f : 0.0f;
    for (auto& v : B) v = rng.uniform() < p ? 1.0f : 0.0f;
    const auto bf = ov_brute_force(A.data(), n, B.data(), m, l);
    const Reduced red = ov_to_msd(A.data(), n, B.data(), m, l);
    for (const auto& method : exact_methods(true)) {
      const Result r = solve(method, Kind::msd, red.X, n, red.d, &red.Y, m, 1);
      CAPTURE(seed);
      CHECK((r.value >= red.threshold) == (bf.first >= 0));
      if (bf.first >= 0) {
        CHECK(r.value == doctest::Approx(1 / std::sqrt(2.0)));
        CHECK(r.i == bf.first);  // the smallest orthogonal pair is the smallest optimum
        CHECK(r.j == bf.second);
      } else {
        CHECK(r.value <= (l - 1.0) / (l * std::sqrt(2.0)) + 1e-6);
      }
    }
    (bf.first >= 0 ? yes : no)++;
  }
  CHECK(yes >= 5);
  CHECK(no >= 5);
}

TEST_CASE("the OV attention construction (QKᵀ = −3 ln n ⟨a,b⟩, V = 1, extra zero token) equals OV brute force") {
  int yes = 0, no = 0;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    const std::size_t n = 2 + seed % 50, l = 4 + seed % 9;
    Rng rng(seed * 7);
    const double p = 0.4 + 0.04 * (seed % 13);
    std::vector<float> A(n * l), B(n * l);
    for (auto& v : A) v = rng.uniform() < p ? 1.0f : 0.0f;
    for (auto& v : B) v = rng.uniform() < p ? 1.0f : 0.0f;
    const auto bf = ov_brute_force(A.data(), n, B.data(), n, l);
    const experiments::OvOutcome o = experiments::ov_by_attention(A.data(), B.data(), n, l, "exact", 1);
    CAPTURE(seed);
    CHECK(o.exists == (bf.first >= 0));
    if (o.exists) {
      double s = 0;
      for (std::size_t k = 0; k < l; ++k) s += A[o.i * l + k] * B[o.j * l + k];
      CHECK(s == 0);
      CHECK(o.yes_min >= 1.0 / (n + 1) - 1e-6);
    }
    if (!std::isnan(o.no_max)) CHECK(o.no_max <= std::pow(double(n + 1), -1.5));
    (bf.first >= 0 ? yes : no)++;
  }
  CHECK(yes >= 10);
  CHECK(no >= 10);
}

TEST_CASE("simhash recall >= 0.9 on planted rho = 0.9 with default parameters") {
  int found = 0;
  const int seeds = 20;
  for (int s = 1; s <= seeds; ++s) {
    const Instance x = generate("planted", {1000, 64, 0.9, 0.1, std::uint64_t(s)});
    Params p;
    p.seed = 1000 + s;
    p.threads = 1;
    const Result r = run("simhash", {x.X.data(), x.n, x.d}, p);
    found += r.i == x.planted_i && r.j == x.planted_j;
    CHECK(r.candidates < r.total_pairs / 10);  // subquadratic work on easy instances
  }
  CHECK(found >= 0.9 * seeds);
}

TEST_CASE("heuristics verify exactly: the pair they return has the value they report") {
  const Instance x = generate("planted_sparse", {400, 200, 0.9, 0.1, 3});
  for (const char* method : {"simhash", "minhash"}) {
    Params p;
    p.threads = 2;
    const Result r = run(method, {x.X.data(), x.n, x.d}, p);
    CAPTURE(method);
    REQUIRE(r.i >= 0);
    CHECK(r.value == doctest::Approx(pair_value(Kind::msd, {x.X.data(), x.n, x.d}, r.i, r.j)));
    CHECK(r.candidates <= r.total_pairs);
    CHECK(r.i == x.planted_i);
  }
  // LSD by simhash probes with complemented keys; minhash refuses minimisation and ov.
  Params p;
  p.kind = Kind::lsd;
  const Instance g = generate("gaussian", {300, 16, 0, 0.1, 5});
  const Result lsd = run("simhash", {g.X.data(), g.n, g.d}, p);
  CHECK(lsd.value < -0.5);
  CHECK_THROWS_WITH_AS(run("minhash", {g.X.data(), g.n, g.d}, p), doctest::Contains("minhash finds similar"), Error);
  p.kind = Kind::ov;
  CHECK_THROWS_AS(run("simhash", {g.X.data(), g.n, g.d}, p), Error);
}

TEST_CASE("the gamma-checker accepts pairs within the factor and rejects the rest") {
  // Values: ⟨x0,x1⟩ = 4, ⟨x0,x2⟩ = 2, ⟨x1,x2⟩ = 3.
  const std::vector<float> X = {2, 0, 2, 1, 1, 1};
  const Data data{X.data(), 3, 2};
  Check c = check(Kind::maxip, data, 0, 1, 1.0);
  CHECK(c.ok);
  CHECK(c.optimum == 4);
  c = check(Kind::maxip, data, 0, 2, 1.5);
  CHECK(!c.ok);  // 2 < 4/1.5
  CHECK(c.ratio == 0.5);
  CHECK(check(Kind::maxip, data, 0, 2, 2.0).ok);
  CHECK(check(Kind::minip, data, 0, 2, 1.0).ok);
  CHECK(!check(Kind::minip, data, 1, 2, 1.4).ok);  // 3 > 2·1.4
  CHECK(check(Kind::minip, data, 1, 2, 1.5).ok);
  CHECK_THROWS_AS(check(Kind::maxip, data, 1, 1, 1.0), Error);
  CHECK_THROWS_AS(check(Kind::maxip, data, 0, 3, 1.0), Error);
  CHECK_THROWS_AS(check(Kind::maxip, data, 0, 1, 0.5), Error);
  // OV: an orthogonal optimum needs an orthogonal answer, whatever γ.
  const std::vector<float> O = {1, 0, 0, 1, 1, 1};
  CHECK(check(Kind::ov, {O.data(), 3, 2}, 0, 1, 1.0).ok);
  CHECK(!check(Kind::ov, {O.data(), 3, 2}, 0, 2, 100.0).ok);
}

TEST_CASE("bad input is a named Error") {
  const std::vector<float> X = {1, 2, 3, 4};
  Params p;
  CHECK_THROWS_WITH_AS(run("nope", {X.data(), 2, 2}, p), doctest::Contains("method: unknown pair-search method"),
                       Error);
  std::vector<float> nan = X;
  nan[1] = NAN;
  CHECK_THROWS_WITH_AS(run("gram", {nan.data(), 2, 2}, p), doctest::Contains("X: entry 1"), Error);
  CHECK_THROWS_WITH_AS(run("gram", {X.data(), 2, 0}, p), doctest::Contains("d: got 0"), Error);
  CHECK_THROWS_WITH_AS(kind_from("max"), doctest::Contains("problem: got 'max'"), Error);
  CHECK_THROWS_WITH_AS(generate("nope", {}), doctest::Contains("gen: got 'nope'"), Error);
  CHECK_THROWS_WITH_AS(generate("planted", {10, 4, 2.0, 0.1, 1}), doctest::Contains("rho: got 2"), Error);
}

TEST_CASE("generators are deterministic and plant what they say") {
  const Instance a = generate("planted", {64, 32, 0.8, 0.1, 9}), b = generate("planted", {64, 32, 0.8, 0.1, 9});
  CHECK(a.X == b.X);
  const double c = pair_value(Kind::msd, {a.X.data(), a.n, a.d}, a.planted_i, a.planted_j);
  CHECK(c == doctest::Approx(0.8).epsilon(0.25));
  const Instance s = generate("planted_sparse", {64, 400, 1.0, 0.2, 3});
  CHECK(pair_value(Kind::msd, {s.X.data(), s.n, s.d}, s.planted_i, s.planted_j) == doctest::Approx(1.0));
}

TEST_CASE("tokeniser: edge cases and junk") {
  CHECK(tokenize("").empty());
  CHECK(tokenize("Word") == std::vector<std::string>{"word"});
  CHECK(tokenize("Hello, WORLD! it's 2024") == std::vector<std::string>{"hello", "world", "it", "s", "2024"});
  // Other scripts are words (Greek and Cyrillic capitals fold), emoji and symbols separate.
  CHECK(tokenize("Ελλάδα МОСКВА 東京タワー 서울 naïve😀café") ==
        std::vector<std::string>{"ελλάδα", "москва", "東京タワー", "서울", "naïve", "café"});
  CHECK(tokenize("a→b…c") == std::vector<std::string>{"a", "b", "c"});
  // Invalid UTF-8 (stray continuation, truncated lead, overlong, surrogate) separates safely.
  CHECK(tokenize(std::string("ab\x80" "cd\xC3") + "ef\xE0\x80\x80gh\xED\xA0\x80ij") ==
        std::vector<std::string>{"ab", "cd", "ef", "gh", "ij"});
  // Over-long tokens are dropped.
  CHECK(tokenize(std::string(100, 'x') + " ok") == std::vector<std::string>{"ok"});
  // Megabytes of binary junk: terminates, every token valid UTF-8 and ≤ 64 bytes.
  Rng rng(1);
  std::string junk(4 << 20, '\0');
  for (auto& ch : junk) ch = static_cast<char>(rng.next_u64());
  const auto tokens = tokenize(junk);
  std::size_t longest = 0;
  for (const auto& t : tokens) longest = std::max(longest, t.size());
  CHECK(longest <= kMaxTokenBytes);
  CHECK(tokens.size() > 1000);
  CHECK_THROWS_WITH_AS(tokenize(std::string(kMaxTextBytes + 1, 'a')), doctest::Contains("16777216"), Error);
}

TEST_CASE("documents: vocabulary by document frequency, binary and TF-IDF vectors, caps") {
  const std::vector<std::string> texts = {"The cat sat on the mat.", "A cat and a dog.", "The dog barked, the dog ran.",
                                          "!!! 😀 ..."};
  CorpusOptions o;
  o.vocab = 3;
  Corpus c = documents(texts, o);
  REQUIRE(c.d == 3);
  CHECK(c.vocab == std::vector<std::string>{"cat", "dog", "barked"});  // df 2, 2, then 1s alphabetically
  CHECK(c.n == 4);
  CHECK(c.tokens[0] == std::vector<std::size_t>{0});
  CHECK(c.tokens[2] == std::vector<std::size_t>{1, 2});
  CHECK(c.X[1 * 3 + 0] == 1);
  CHECK(c.X[1 * 3 + 1] == 1);
  CHECK(c.tokens[3].empty());
  CHECK(c.notes.size() >= 2);  // vocabulary cut, one empty document
  o.tfidf = true;
  o.vocab = 100;
  c = documents(texts, o);
  for (std::size_t i = 0; i < 3; ++i) {
    double s = 0;
    for (std::size_t k = 0; k < c.d; ++k) s += c.X[i * c.d + k] * c.X[i * c.d + k];
    CHECK(s == doctest::Approx(1.0));
  }
  o.stopwords = false;
  c = documents(texts, o);
  CHECK(std::find(c.vocab.begin(), c.vocab.end(), "the") != c.vocab.end());
  CHECK_THROWS_WITH_AS(documents({}, o), doctest::Contains("texts: got 0"), Error);
  CHECK_THROWS_WITH_AS(documents(std::vector<std::string>(kMaxDocuments + 1, "a"), o), doctest::Contains("20000"),
                       Error);
  o.vocab = 0;
  CHECK_THROWS_WITH_AS(documents(texts, o), doctest::Contains("vocab: got 0"), Error);
  // One-letter words (any script) are not vocabulary; with stop-words off they are.
  o = CorpusOptions{};
  c = documents({"N Y H x 7 é 中 ab", "N Y ab cd"}, o);
  CHECK(c.vocab == std::vector<std::string>{"ab", "cd"});
  o.stopwords = false;
  c = documents({"N Y ab"}, o);
  CHECK(std::find(c.vocab.begin(), c.vocab.end(), "n") != c.vocab.end());
  // Near-duplicate documents are the most similar pair.
  o = CorpusOptions{};
  c = documents({"apples oranges pears", "stock market crash", "apples oranges pears plums", "rain today"}, o);
  Params p;
  const Result r = run("bitset", {c.X.data(), c.n, c.d}, p);
  CHECK(r.i == 0);
  CHECK(r.j == 2);
}
