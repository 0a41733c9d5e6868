// The construction experiments as one family of the registry (Alman–Yu,
// arXiv 2410.04271; THEORY.md §3): one attention layer answers max inner
// product, orthogonal vectors and most/least similar pair exactly, and a
// fixed-state reader does not. Their schema and cost models, so the page
// estimates a construction sweep as it does every other.
#include <cmath>
#include <string>
#include <vector>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "experiments/construction.hpp"

namespace subquad::experiments {

namespace {

std::size_t code_bits(std::size_t n) {
  std::size_t bits = 1;
  while ((std::size_t{1} << bits) < n) ++bits;
  return bits;
}

// The attention layer's cost at N rows of width d, with the options the
// construction passes it.
Cost layer_cost(const std::string& method, std::size_t N, std::size_t d, const OptionValues& v, bool diagonal) {
  Options o;
  const auto& f = attention::family();
  if (takes_option(f, method, "threads")) o.set("threads", v.text("threads"));
  if (takes_option(f, method, "degree") && v.given("degree")) o.set("degree", v.text("degree"));
  if (diagonal) o.set("diagonal", "true");
  return f.cost(method, {{"n", double(N)}, {"d", double(d)}}, o);
}

Family make_family() {
  Family f;
  f.name = "construction";
  f.summary = "one attention layer solves max inner product, orthogonal vectors and the most similar pair exactly";
  f.paper = "Alman & Yu, Fundamental Limitations on Subquadratic Alternatives to Transformers (arXiv 2410.04271)";
  f.dims = {{"n", 2, 65535, "vectors per set (documents)"}, {"l", 1, 4096, "words per document (vector width)"}};
  f.inputs = {{"A", "n×l"}, {"B", "n×l"}};
  std::vector<std::string> layers;
  for (const auto& m : attention::methods())  // positional_* need position weights the layer has not
    if (!attention::takes_positions(m)) layers.push_back(m.name);
  std::vector<std::string> masked;  // the methods with a diagonal mask
  for (const auto& m : attention::methods())
    if (takes_option(attention::family(), m.name, "diagonal")) masked.push_back(m.name);
  using T = OptionType;
  f.options = {
      {"attention", T::choice, "flash", 0, 0, layers, "the attention method of the layer"},
      {"masked", T::choice, "flash", 0, 0, masked, "the attention method of the layer (one with a diagonal mask)"},
      {"beta", T::number, "2", 0, 1e4, {}, "β = beta·ln n: the softmax temperature the construction needs", true},
      {"density", T::number, "0.25", 0, 1, {}, "fraction of ones in the random 0/1 documents", true},
      {"state", T::integer, "1024", 1, 1 << 24, {}, "floats of state the reader keeps"},
      {"degree", T::integer, "2", 0, attention::kMaxDegree, {}, "degree g when the layer is the polynomial method"},
      {"seed", T::integer, "1", 0, 9007199254740991.0, {}, "seed of the instance"},
      {"threads", T::integer, "0", 0, 1024, {}, "threads to use; 0 = all the pool has"},
  };
  f.methods = {
      {"maxip", "bichromatic max inner product: Q = β·A, K = B, V = position codes; each row names its best partner",
       false, {"attention", "beta", "density", "degree", "seed", "threads"}, {}, ""},
      {"ov", "orthogonal vectors: Q = −3 ln n·A, K = B, an extra zero token; a row's output tells whether it has a partner",
       true, {"attention", "density", "seed", "threads"}, {}, ""},
      {"similar", "most similar pair of one set (diagonal masked): Q = β·U, K = U, V = [U | position codes]", true,
       {"masked", "beta", "seed", "threads"}, {{"X", "n×l"}}, ""},
      {"sketch_reader", "a recurrent reader with a fixed state: hyperplane sketches of what it has read", false,
       {"state", "density", "seed"}, {}, ""},
  };
  f.cost = [](const std::string& method, const Dims& given, const Options& o) {
    const Dims dims = check_dims(family(), given);
    const OptionValues v(family(), method, o);
    const std::size_t n = dim_of(dims, "n"), l = dim_of(dims, "l");
    // Each construction builds the layer's Q, K, V and output (4 floats a
    // cell) beside what the layer itself allocates.
    if (method == "maxip") {
      const std::size_t d = std::max(l, code_bits(n));
      Cost c = layer_cost(v.text("attention"), n, d, v, false);
      c.bytes += 8.0 * n * l;
      c.memory_bytes += 16.0 * n * d + 2 * 8.0 * n * std::ceil(l / 64.0);  // + A, B as bitsets for the output step
      return c;
    }
    if (method == "ov") {
      Cost c = layer_cost(v.text("attention"), n + 1, l, v, false);
      c.memory_bytes += 16.0 * (n + 1) * l;
      return c;
    }
    if (method == "similar") {
      const std::size_t D = l + code_bits(n);
      Cost c = layer_cost(v.text("masked"), n, D, v, true);
      c.flops += 2.0 * n * l;  // each row's estimate and the best row's decode
      c.memory_bytes += 16.0 * n * D;
      return c;
    }
    // sketch_reader: k hyperplanes per document, then every (i, j) by popcount.
    const double k = std::min<double>(1024, std::floor(32.0 * double(v.integer("state")) / n));
    const double words = std::ceil(k / 64);
    return Cost{4.0 * n * k * l + 2.0 * double(n) * n * words, 8.0 * n * l, 8.0 * n * words + 4.0 * k * l};
  };
  f.example = [](const std::string& method, const Dims& given, const Options& o, const Family::Ready& ready) {
    const Dims dims = check_dims(family(), given);
    const OptionValues v(family(), method, o);
    const std::size_t n = dim_of(dims, "n"), l = dim_of(dims, "l");
    const auto seed = static_cast<std::uint64_t>(v.integer("seed"));
    const int threads = method == "sketch_reader" ? 1 : static_cast<int>(v.integer("threads"));
    if (method == "similar") {
      const auto X = uniform_matrix(n, l, 1.0, seed);
      if (ready) ready();
      similar_by_attention(X.data(), n, l, false, v.text("masked"), v.number("beta"), threads);
      return;
    }
    const Bichromatic x = planted_maxip(n, l, v.number("density"), seed);
    if (ready) ready();
    if (method == "sketch_reader") {
      maxip_by_sketch_reader(x, static_cast<std::size_t>(v.integer("state")), seed + 7);
    } else if (method == "ov") {
      ov_by_attention(x.A.data(), x.B.data(), n, l, v.text("attention"), threads);
    } else {
      std::vector<std::pair<std::string, std::string>> extra;
      if (v.given("degree") && takes_option(attention::family(), v.text("attention"), "degree"))
        extra.emplace_back("degree", v.text("degree"));
      maxip_by_attention(x, v.text("attention"), v.number("beta"), threads, extra);
    }
  };
  return f;
}

}  // namespace

const Family& family() {
  static const Family f = make_family();
  return f;
}

}  // namespace subquad::experiments
