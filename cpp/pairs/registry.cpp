// The pair-search registry: schema, cost models, option parsing and validation
// at the API boundary (pairs.hpp). The double-precision reference and the
// γ-approximation checker are in reference.cpp.
#include <cmath>
#include <string>

#include "common/error.hpp"
#include "common/registry.hpp"
#include "common/rng.hpp"
#include "common/threads.hpp"
#include "pairs/objective.hpp"
#include "pairs/pairs.hpp"

namespace subquad::pairs {

using namespace detail;

namespace {

const std::vector<Method> kMethods = {
    {"reference", "double precision, all pairs, obvious loops: the yardstick", true, false,
     pairs_reference, "problem threshold threads"},
    {"gram", "blocked Gram matrix with the SIMD micro-kernel, i < j only, running best per thread",
     true, false, pairs_gram, "problem threshold threads"},
    {"bitset", "0/1 data: AND + popcount over 64-bit words, 4×4 register blocking", true, true,
     pairs_bitset, "problem threshold threads"},
    {"simhash", "random-hyperplane LSH (L tables × k bits), bucket mates verified exactly", false,
     false, pairs_simhash, "problem threshold threads seed tables bits"},
    {"minhash", "MinHash with banding over the nonzero coordinates (Jaccard), verified by cosine",
     false, false, pairs_minhash, "problem threshold threads seed bands rows"},
};

// Largest |entry|: keeps float32 inner products finite for d ≤ 65536 (1e15²·65536 < 3.4e38).
constexpr double kMaxEntry = 1e15;

double memory_estimate(const Method& m, const Data& x, const Params& p) {
  const double rows = double(x.n) + (x.bichromatic() ? double(x.m) : double(x.n));
  const std::string name = m.name;
  if (name == "gram") {
    // What pairs_gram allocates: Yᵀ (Y = X when monochromatic) packed in whole panels of C
    // columns with a weight per column; for cosine, the scaled copies of X and (bichromatic) Y;
    // norms (double) and weights (float) of both sides, the monochromatic ones as copies; one
    // kGramRows × C tile per thread.
    const double C = double(gram_panel_width(x.d));
    const double packed = std::ceil((x.bichromatic() ? double(x.m) : double(x.n)) / C) * C;
    const double scaled = uses_cosine(p.kind) ? double(x.n) + (x.bichromatic() ? double(x.m) : 0.0) : 0.0;
    return 4.0 * (packed + scaled) * x.d + 4.0 * packed + 12.0 * rows +
           4.0 * kGramRows * C * resolve_threads(p.threads);
  }
  if (name == "bitset") {
    // X (and Y, when bichromatic: a monochromatic search packs X once) as 64-bit words plus a
    // popcount per row in double; a float weight per row of both sides.
    const double packed = double(x.n) + (x.bichromatic() ? double(x.m) : 0.0);
    return 8.0 * packed * ((x.d + 63) / 64 + 1) + 4.0 * rows;
  }
  if (name == "simhash" || name == "minhash") {
    const bool simhash = name == "simhash";
    const double tables = simhash ? (p.tables > 0 ? p.tables : 40) : (p.bands > 0 ? p.bands : 32);
    // One 64-bit key per row and table for X, and a second set only for Y or for the
    // complemented keys of lsd/minip (msd/maxip join X's keys with themselves).
    const bool flip = p.kind == Kind::lsd || p.kind == Kind::minip;
    const double keyed = double(x.n) + (x.bichromatic() ? double(x.m) : (flip ? double(x.n) : 0.0));
    // The bucket join: norms of both sides (double) and the sorted (key, row) entries of one
    // table, 16 bytes each, half as much again while the vector grows.
    const double join = 8.0 * rows + 24.0 * rows;
    double hashing = 0;
    if (simhash) {
      // k bits per table as pairs_simhash picks them (about log2 of the larger side, in [4, 32]),
      // the d × (L·k) hyperplanes and a 48-row projection block per thread.
      double bits = p.bits;
      if (bits == 0) {
        const double largest = std::max(double(x.n), x.bichromatic() ? double(x.m) : 0.0);
        bits = std::min(32.0, std::max(4.0, std::ceil(std::log2(std::max(largest, 2.0)))));
      }
      hashing = 4.0 * tables * bits * (x.d + 48.0 * resolve_threads(p.threads));
    }
    return 8.0 * tables * keyed + join + hashing;
  }
  return 8.0 * rows;
}

}  // namespace

double memory_bytes(const std::string& method, const Data& data, const Params& params) {
  return memory_estimate(find_method(method), data, params);
}

Kind kind_from(const std::string& name) {
  if (name == "msd") return Kind::msd;
  if (name == "lsd") return Kind::lsd;
  if (name == "maxip") return Kind::maxip;
  if (name == "minip") return Kind::minip;
  if (name == "ov") return Kind::ov;
  throw Error("problem", "got '" + name + "', must be msd, lsd, maxip, minip or ov");
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::msd: return "msd";
    case Kind::lsd: return "lsd";
    case Kind::maxip: return "maxip";
    case Kind::minip: return "minip";
    case Kind::ov: return "ov";
  }
  return "?";
}

bool uses_cosine(Kind k) { return k == Kind::msd || k == Kind::lsd; }
bool maximises(Kind k) { return k == Kind::msd || k == Kind::maxip; }

const std::vector<Method>& methods() { return kMethods; }

const Method& find_method(const std::string& name) {
  return find_by_name(kMethods, name, "pair-search");
}

namespace {

Family make_family() {
  Family f;
  f.name = "pairs";
  f.summary = "most / least similar pair, max / min inner product and orthogonal vectors: exact and by hashing";
  f.paper = "Alman & Yu, Fundamental Limitations on Subquadratic Alternatives to Transformers (arXiv 2410.04271)";
  f.dims = {{"n", 1, 1 << 24, "rows of X"}, {"m", 1, 1 << 24, "rows of Y (bichromatic problems)"},
            {"d", 1, 65536, "vector width"}};
  f.inputs = {{"X", "n×d"}, {"Y", "m×d"}};
  using T = OptionType;
  f.options = {
      {"problem", T::choice, "msd", 0, 0, {"msd", "lsd", "maxip", "minip", "ov"},
       "msd/lsd: most/least similar by cosine; maxip/minip: inner product; ov: orthogonal vectors"},
      {"threshold", T::number, "none", -1e300, 1e300, {"none"},
       "maxip/minip decision threshold t: found = (value ≥ t) / (value ≤ t)"},
      {"threads", T::integer, "0", 0, 1024, {}, "threads to use; 0 = all the pool has"},
      {"seed", T::integer, "1", 0, 9007199254740991.0, {}, "seed of the hash functions"},
      {"tables", T::integer, "0", 0, 512, {}, "simhash tables L; 0 = 40"},
      {"bits", T::integer, "0", 0, 64, {}, "simhash bits per table k; 0 = 32"},
      {"bands", T::integer, "0", 0, 512, {}, "minhash bands; 0 = 32"},
      {"rows", T::integer, "0", 0, 64, {}, "minhash rows per band; 0 = default"},
  };
  for (const Method& m : kMethods) {
    MethodSpec spec{m.name, m.summary, m.exact, option_list(m.options), {}, ""};
    if (spec.name == "simhash") spec.paper = "Charikar, Similarity Estimation Techniques from Rounding Algorithms (STOC 2002)";
    if (spec.name == "minhash") spec.paper = "Broder, On the Resemblance and Containment of Documents (1997)";
    f.methods.push_back(spec);
  }
  f.cost = [](const std::string& method, const Dims& given, const Options& o) {
    const Dims dims = check_dims(family(), given);
    Data shape;
    shape.n = dim_of(dims, "n");
    shape.d = dim_of(dims, "d");
    static const float kBichromatic = 0;
    if (dims.count("m")) {
      shape.m = dim_of(dims, "m");
      shape.Y = &kBichromatic;  // marks the shape bichromatic; never read
    }
    return cost(find_method(method), shape, params_from(o, method));
  };
  f.example = [](const std::string& method, const Dims& given, const Options& o, const Family::Ready& ready) {
    const Dims dims = check_dims(family(), given);
    const Params p = params_from(o, method);
    const std::size_t n = dim_of(dims, "n"), d = dim_of(dims, "d");
    const std::size_t m = dims.count("m") ? dim_of(dims, "m") : 0;
    // 0/1 entries (every method accepts them), about a quarter ones.
    auto bits = [](std::size_t count, std::uint64_t seed) {
      Rng rng(seed);
      std::vector<float> v(count);
      for (auto& e : v) e = rng.uniform() < 0.25 ? 1.0f : 0.0f;
      return v;
    };
    const auto X = bits(n * d, 31), Y = bits(m * d, 32);
    const Data data{X.data(), n, d, m ? Y.data() : nullptr, m};
    if (ready) ready();
    run(method, data, p);
  };
  return f;
}

}  // namespace

const Family& family() {
  static const Family f = make_family();
  return f;
}

Cost cost(const Method& m, const Data& x, const Params& p) {
  const double rows = double(x.n) + (x.bichromatic() ? double(x.m) : double(x.n));
  const double pairs = x.bichromatic() ? double(x.n) * x.m : double(x.n) * (x.n - 1) / 2;
  const std::string name = m.name;
  double flops = 2.0 * pairs * x.d;  // every pair's inner product
  if (name == "bitset") flops = 2.0 * pairs * std::ceil(x.d / 64.0);  // AND + popcount per word
  if (name == "simhash") flops = 2.0 * rows * x.d * (p.tables > 0 ? p.tables : 40) * (p.bits > 0 ? p.bits : 32);
  if (name == "minhash") flops = 2.0 * rows * x.d * (p.bands > 0 ? p.bands : 32);
  return {flops, 4.0 * rows * x.d, memory_estimate(m, x, p)};
}

Params params_from(const Options& o, const std::string& method) {
  const OptionValues v(family(), method, o);
  Params p;
  p.kind = kind_from(v.text("problem"));
  if (v.text("threshold") != "none") {
    p.has_threshold = true;
    p.threshold = v.number("threshold");
  }
  p.threads = static_cast<int>(v.integer("threads"));
  if (v.takes("seed")) p.seed = static_cast<std::uint64_t>(v.integer("seed"));
  if (v.takes("tables")) p.tables = static_cast<int>(v.integer("tables"));
  if (v.takes("bits")) p.bits = static_cast<int>(v.integer("bits"));
  if (v.takes("bands")) p.bands = static_cast<int>(v.integer("bands"));
  if (v.takes("rows")) p.rows = static_cast<int>(v.integer("rows"));
  return p;
}

const Method& prepare(const std::string& name, const Data& x, const Params& p) {
  const Method& m = find_method(name);
  require(x.X != nullptr || x.n == 0, "X", "null", "an array");
  require(x.n >= 1 && x.n <= (1u << 24), "n", x.n, "in [1, 16777216]");
  require(x.d >= 1 && x.d <= 65536, "d", x.d, "in [1, 65536]");
  if (x.bichromatic()) require(x.m >= 1 && x.m <= (1u << 24), "m", x.m, "in [1, 16777216]");
  resolve_threads(p.threads);
  const char* why = "larger entries overflow float32 inner products";
  require_bounded("X", x.X, x.n * x.d, kMaxEntry, why);
  if (x.bichromatic()) require_bounded("Y", x.Y, x.m * x.d, kMaxEntry, why);
  if (m.binary) {
    auto binary = [&](const char* param, const float* v, std::size_t count) {
      for (std::size_t t = 0; t < count; ++t)
        if (v[t] != 0.0f && v[t] != 1.0f)
          throw Error(param, "entry " + std::to_string(t) + " is " + subquad::detail::to_text(v[t]) + "; method '" +
                                 m.name + "' needs 0/1 data");
    };
    binary("X", x.X, x.n * x.d);
    if (x.bichromatic()) binary("Y", x.Y, x.m * x.d);
  }
  const std::string method = m.name;
  if (method == "simhash" && p.kind == Kind::ov)
    throw Error("problem", "simhash does not search for orthogonal pairs (use an exact method)");
  if (method == "minhash" && !maximises(p.kind))
    throw Error("problem", std::string("minhash finds similar pairs only (msd, maxip), got ") + kind_name(p.kind));
  require_memory(m.name, cost(m, x, p).memory_bytes);
  return m;
}

Result run(const std::string& name, const Data& x, const Params& p) { return execute(prepare(name, x, p), x, p); }

Result execute(const Method& m, const Data& x, const Params& p) {
  Result r;
  r.total_pairs = x.bichromatic() ? double(x.n) * x.m : double(x.n) * (x.n - 1) / 2;
  m.run(x, p, r);
  if (r.i < 0) {
    r.found = false;
  } else if (p.kind == Kind::ov) {
    r.found = r.value == 0;
  } else if (p.has_threshold && (p.kind == Kind::maxip || p.kind == Kind::minip)) {
    r.found = p.kind == Kind::maxip ? r.value >= p.threshold : r.value <= p.threshold;
  } else {
    r.found = true;
  }
  return r;
}

}  // namespace subquad::pairs
