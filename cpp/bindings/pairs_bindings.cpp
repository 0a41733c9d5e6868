// Embind surface of the pair-search family (cpp/pairs/): methods, a run, the
// γ-checker, instance generators, and documents → vectors. No algorithms here.
#include <emscripten/bind.h>

#include <cmath>
#include <cstdint>

#include "bindings/support.hpp"
#include "common/schema.hpp"
#include "common/threads.hpp"
#include "common/timer.hpp"
#include "experiments/construction.hpp"
#include "pairs/documents.hpp"
#include "pairs/generate.hpp"
#include "pairs/pairs.hpp"

namespace subquad {
namespace {

using namespace bindings;

val pairs_methods() {
  return method_list(pairs::methods(), [](val& item, const auto& m) { item.set("binary", m.binary); });
}

std::size_t count(const char* name, double v) {
  require(v >= 0 && v <= (1 << 24) && v == std::floor(v), name, v, "an integer in [0, 16777216]");
  return static_cast<std::size_t>(v);
}

pairs::Data data_from(std::uintptr_t x, double n, double d, std::uintptr_t y, double m) {
  pairs::Data data{reinterpret_cast<const float*>(x), count("n", n), count("d", d), nullptr, 0};
  if (y != 0) {
    data.Y = reinterpret_cast<const float*>(y);
    data.m = count("m", m);
  }
  return data;
}

val float_array(const std::vector<float>& v) {
  // new Float32Array(view) copies out of the heap.
  return val::global("Float32Array").new_(emscripten::typed_memory_view(v.size(), v.data()));
}

val pairs_run(const std::string& method, std::uintptr_t x, double n, double d, std::uintptr_t y, double m,
              const val& opts) {
  return guarded([&] {
    const pairs::Data data = data_from(x, n, d, y, m);
    const pairs::Params params = pairs::params_from(options_from(opts), method);
    const double t0 = now_ms();
    const pairs::Method& pm = pairs::prepare(method, data, params);
    const double t1 = now_ms();
    const pairs::Result r = pairs::execute(pm, data, params);
    const double ms = now_ms() - t1;
    const double validate_ms = t1 - t0;
    val out = val::object();
    out.set("i", static_cast<double>(r.i));
    out.set("j", static_cast<double>(r.j));
    out.set("value", r.value);
    out.set("found", r.found);
    out.set("candidates", r.candidates);
    out.set("totalPairs", r.total_pairs);
    out.set("ms", ms);
    out.set("validate_ms", validate_ms);
    out.set("threads", resolve_threads(params.threads));
    val s = val::object();
    for (const auto& [key, value] : r.stats) s.set(key, value);
    out.set("stats", s);
    return out;
  });
}

val pairs_check(const std::string& problem, std::uintptr_t x, double n, double d, std::uintptr_t y, double m,
                double i, double j, double gamma) {
  return guarded([&] {
    const pairs::Data data = data_from(x, n, d, y, m);
    const pairs::Kind kind = pairs::kind_from(problem);
    require(i == std::floor(i) && j == std::floor(j), "i, j", i, "integers");
    const pairs::Check c = pairs::check(kind, data, static_cast<std::int64_t>(i), static_cast<std::int64_t>(j), gamma);
    val out = val::object();
    out.set("ok", c.ok);
    out.set("optimum", c.optimum);
    out.set("value", c.value);
    out.set("ratio", c.ratio);
    return out;
  });
}

val pairs_generate(const std::string& gen, const val& opts) {
  return guarded([&] {
    const Options o = options_from(opts);
    o.allow({"n", "d", "rho", "density", "seed"}, "pairsGenerate");
    const pairs::GenerateOptions g = pairs::generate_options_from(o);
    const pairs::Instance x = pairs::generate(gen, g);
    val out = val::object();
    out.set("X", float_array(x.X));
    out.set("n", static_cast<double>(x.n));
    out.set("d", static_cast<double>(x.d));
    if (x.planted_i >= 0) {
      val planted = val::array();
      planted.call<void>("push", static_cast<double>(x.planted_i));
      planted.call<void>("push", static_cast<double>(x.planted_j));
      out.set("planted", planted);
    } else {
      out.set("planted", val::null());
    }
    return out;
  });
}

// The most / least similar pair by one attention layer with a masked diagonal
// (experiments/construction.hpp). opts: problem (msd | lsd), method (an
// attention method with a diagonal mask), beta (β = beta·ln n), threads.
val pairs_by_attention(std::uintptr_t x, double n, double d, const val& opts) {
  return guarded([&] {
    const Options o = options_from(opts);
    o.allow({"problem", "method", "beta", "threads"}, "pairsByAttention");
    // beta's limits are the construction family's (the page offers the same).
    if (o.has("beta")) check_option(experiments::family().option("beta"), o.str("beta", ""));
    const std::string problem = o.str("problem", "msd");
    if (problem != "msd" && problem != "lsd")
      throw Error("problem", "got '" + problem + "', must be msd or lsd (attention compares cosines)");
    const experiments::SimilarOutcome r = experiments::similar_by_attention(
        reinterpret_cast<const float*>(x), count("n", n), count("d", d), problem == "lsd",
        o.str("method", "flash"), o.num("beta", 100), static_cast<int>(o.integer("threads", 0, 0, 1024)));
    val out = val::object();
    out.set("found", r.found);
    out.set("i", static_cast<double>(r.i));
    out.set("j", static_cast<double>(r.j));
    out.set("value", r.value);
    out.set("estimate", r.estimate);
    out.set("decoded", r.decoded);
    out.set("beta", r.beta);
    out.set("zeroRows", static_cast<double>(r.zero_rows));
    out.set("ms", r.ms);
    return out;
  });
}

val string_list(const std::vector<std::string>& v) {
  val list = val::array();
  for (const auto& s : v) list.call<void>("push", s);
  return list;
}

val pairs_documents(const val& texts, const val& opts) {
  return guarded([&] {
    const int count = texts["length"].as<int>();
    require(count >= 1 && std::size_t(count) <= pairs::kMaxDocuments, "texts", count,
            "between 1 and 20000 documents");
    std::vector<std::string> docs;
    docs.reserve(count);
    std::size_t bytes = 0;
    for (int i = 0; i < count; ++i) {
      docs.push_back(texts[i].as<std::string>());
      bytes += docs.back().size();
      require(bytes <= pairs::kMaxTextBytes, "texts", bytes, "at most 16777216 bytes (16 MiB) in all");
    }
    const Options o = options_from(opts);
    o.allow({"vocab", "weighting", "stopwords"}, "documents");
    pairs::CorpusOptions co;
    co.vocab = static_cast<std::size_t>(o.integer("vocab", 256, 1, pairs::kMaxVocab));
    const std::string weighting = o.str("weighting", "binary");
    if (weighting != "binary" && weighting != "tfidf")
      throw Error("weighting", "got '" + weighting + "', must be binary or tfidf");
    co.tfidf = weighting == "tfidf";
    co.stopwords = o.flag("stopwords", true);
    const pairs::Corpus c = pairs::documents(docs, co);
    val out = val::object();
    out.set("X", float_array(c.X));
    out.set("n", static_cast<double>(c.n));
    out.set("d", static_cast<double>(c.d));
    out.set("vocab", string_list(c.vocab));
    val tokens = val::array();
    for (const auto& t : c.tokens) {
      val ids = val::array();
      for (std::size_t id : t) ids.call<void>("push", static_cast<double>(id));
      tokens.call<void>("push", ids);
    }
    out.set("tokens", tokens);
    out.set("notes", string_list(c.notes));
    return out;
  });
}

val pairs_tokenize(const std::string& text) {
  return guarded([&] {
    val out = val::object();
    out.set("tokens", string_list(pairs::tokenize(text)));
    return out;
  });
}

}  // namespace
}  // namespace subquad

EMSCRIPTEN_BINDINGS(subquad_pairs) {
  emscripten::function("pairsMethods", &subquad::pairs_methods);
  emscripten::function("pairsRun", &subquad::pairs_run);
  emscripten::function("pairsCheck", &subquad::pairs_check);
  emscripten::function("pairsGenerate", &subquad::pairs_generate);
  emscripten::function("pairsDocuments", &subquad::pairs_documents);
  emscripten::function("pairsByAttention", &subquad::pairs_by_attention);
  emscripten::function("pairsTokenize", &subquad::pairs_tokenize);
}
