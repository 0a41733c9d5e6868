// The tokeniser and documents() on arbitrary bytes: they must terminate, raise
// only subquad::Error, emit valid UTF-8 tokens of at most kMaxTokenBytes with
// no separators in them, and build vectors consistent with their token lists.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "fuzz/harness.hpp"
#include "pairs/documents.hpp"

namespace subquad::fuzz {

namespace {

bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

}  // namespace

int text(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const std::string all(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    for (const auto& t : subquad::pairs::tokenize(all)) {
      if (t.empty() || t.size() > subquad::pairs::kMaxTokenBytes || !valid_utf8(t)) {
        std::fprintf(stderr, "bad token of %zu bytes\n", t.size());
        std::abort();
      }
      for (char ch : t)
        if (ch == ' ' || ch == '\n' || ch == '.' || ch == ',' || (ch >= 'A' && ch <= 'Z')) {
          std::fprintf(stderr, "token '%s' holds a separator or a capital\n", t.c_str());
          std::abort();
        }
    }
    // Documents: split at 0x00 bytes.
    std::vector<std::string> texts(1);
    for (char ch : all) {
      if (ch == '\0') texts.emplace_back();
      else texts.back() += ch;
    }
    subquad::pairs::CorpusOptions o;
    o.vocab = 1 + control % 64;
    o.tfidf = control & 64;
    o.stopwords = control & 128;
    const subquad::pairs::Corpus c = subquad::pairs::documents(texts, o);
    if (c.n != texts.size() || c.X.size() != c.n * c.d || c.vocab.size() != c.d || c.tokens.size() != c.n) {
      std::fprintf(stderr, "documents: shapes disagree\n");
      std::abort();
    }
    for (std::size_t i = 0; i < c.n; ++i) {
      std::size_t nonzero = 0;
      for (std::size_t k = 0; k < c.d; ++k) {
        const float v = c.X[i * c.d + k];
        if (!std::isfinite(v) || v < 0) std::abort();
        nonzero += v != 0;
      }
      if (nonzero != c.tokens[i].size()) {
        std::fprintf(stderr, "documents: row %zu has %zu nonzeros, %zu tokens\n", i, nonzero, c.tokens[i].size());
        std::abort();
      }
    }
  } catch (const Error&) {
    return 0;
  }
  return 0;
}

}  // namespace subquad::fuzz
