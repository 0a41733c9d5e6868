// Tokeniser, stop-words, vocabulary and bag-of-words / TF-IDF vectors (documents.hpp).
#include "pairs/documents.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "common/error.hpp"
#include "common/threads.hpp"

namespace subquad::pairs {

namespace {

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when invalid
// (overlong forms, surrogates, > U+10FFFF and truncated sequences are invalid).
std::size_t decode(const std::string& s, std::size_t i, std::uint32_t& cp) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  std::size_t len;
  std::uint32_t min;
  if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Letters of other scripts, by block: no Unicode tables, so symbol and
// punctuation blocks are excluded wholesale (approximate, and documented so).
bool is_word_char(std::uint32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  if (cp < 0xC0) return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
  if (cp == 0xD7 || cp == 0xF7) return false;                 // × ÷
  if (cp < 0x2000) return !(cp >= 0x2B9 && cp <= 0x36F) &&      // modifiers, combining marks
                          cp != 0x37E && cp != 0x387 &&         // Greek punctuation
                          !(cp >= 0x55A && cp <= 0x55F) && cp != 0x589 &&
                          !(cp >= 0x5BE && cp <= 0x5C7 && cp != 0x5BF) &&
                          !(cp >= 0x600 && cp <= 0x60F) && cp != 0x61B && cp != 0x61F &&
                          !(cp >= 0x964 && cp <= 0x965) && !(cp >= 0x1680 && cp <= 0x1680);
  if (cp < 0x2C00) return false;                                // punctuation, symbols, arrows, …
  if (cp >= 0x2E00 && cp <= 0x2E7F) return false;               // supplemental punctuation
  if (cp >= 0x3000 && cp <= 0x303F) return cp == 0x3005;        // CJK punctuation (々 is a letter)
  if (cp >= 0xD800 && cp <= 0xF8FF) return false;               // surrogates, private use
  if (cp >= 0xFE00 && cp <= 0xFE6F) return false;               // variation selectors, small forms
  if (cp >= 0xFF00 && cp <= 0xFFEF)
    return (cp >= 0xFF10 && cp <= 0xFF19) || (cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A) ||
           (cp >= 0xFF66 && cp <= 0xFFDC);
  if (cp >= 0xFFF0 && cp <= 0xFFFF) return false;
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return false;             // emoji, pictographs
  if (cp >= 0xE0000) return false;                              // tags, private use
  return true;
}

std::uint32_t lower(std::uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;  // Latin-1
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 32;  // Greek
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;                // Cyrillic
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
  return cp;
}

void encode(std::uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Calls emit(token) for each token; returns how many over-long tokens were dropped.
template <class Emit>
std::size_t scan(const std::string& text, Emit&& emit) {
  std::string word;
  bool too_long = false;
  std::size_t dropped = 0;
  auto flush = [&] {
    if (too_long) ++dropped;
    else if (!word.empty()) emit(word);
    word.clear();
    too_long = false;
  };
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t cp = 0;
    const std::size_t len = decode(text, i, cp);
    if (len == 0) {  // an invalid byte separates words
      flush();
      ++i;
      continue;
    }
    i += len;
    if (!is_word_char(cp)) {
      flush();
      continue;
    }
    if (too_long) continue;
    encode(lower(cp), word);
    if (word.size() > kMaxTokenBytes) too_long = true, word.clear();
  }
  flush();
  return dropped;
}

const char* const kStopwords[] = {
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did",
    "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have",
    "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into",
    "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of",
    "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "s", "same",
    "she", "should", "so", "some", "such", "t", "than", "that", "the", "their", "theirs", "them",
    "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until",
    "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will",
    "with", "would", "you", "your", "yours", "yourself", "yourselves"};

std::size_t codepoints(const std::string& word) {
  std::size_t n = 0;
  for (const unsigned char b : word) n += (b & 0xC0) != 0x80;
  return n;
}

}  // namespace

bool is_stopword(const std::string& word) {
  static const std::unordered_set<std::string_view> set(std::begin(kStopwords), std::end(kStopwords));
  return set.count(word) != 0;
}

std::vector<std::string> tokenize(const std::string& text) {
  require(text.size() <= kMaxTextBytes, "text", text.size(), "at most 16777216 bytes");
  std::vector<std::string> out;
  scan(text, [&](const std::string& w) { out.push_back(w); });
  return out;
}

Corpus documents(const std::vector<std::string>& texts, const CorpusOptions& o) {
  require(texts.size() >= 1 && texts.size() <= kMaxDocuments, "texts", texts.size(),
          "between 1 and 20000 documents");
  require(o.vocab >= 1 && o.vocab <= kMaxVocab, "vocab", o.vocab, "in [1, 4096] words");
  std::size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();
  require(bytes <= kMaxTextBytes, "texts", bytes, "at most 16777216 bytes (16 MiB) in all");

  Corpus c;
  c.n = texts.size();
  // Word ids in order of first appearance; per document, its words with counts.
  std::unordered_map<std::string, std::size_t> ids;
  std::vector<std::string> words;
  std::vector<std::vector<std::pair<std::size_t, float>>> counts(c.n);
  std::size_t dropped = 0, empty = 0;
  std::unordered_map<std::size_t, float> local;
  for (std::size_t doc = 0; doc < c.n; ++doc) {
    throw_if_cancelled();
    local.clear();
    dropped += scan(texts[doc], [&](const std::string& w) {
      // One letter (N, Y, H in spam headers, a stray digit) says nothing about a document.
      if (o.stopwords && (is_stopword(w) || codepoints(w) == 1)) return;
      auto it = ids.find(w);
      if (it == ids.end()) {
        if (words.size() >= kMaxDistinctWords)
          throw Error("texts", "more than 1048576 distinct words; the limit keeps memory bounded");
        it = ids.emplace(w, words.size()).first;
        words.push_back(w);
      }
      local[it->second] += 1;
    });
    counts[doc].assign(local.begin(), local.end());
  }
  std::vector<std::size_t> df(words.size(), 0);
  for (const auto& doc : counts)
    for (const auto& [id, count] : doc) ++df[id];
  std::vector<std::size_t> order(words.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  const std::size_t d = std::min(o.vocab, words.size());
  std::partial_sort(order.begin(), order.begin() + d, order.end(), [&](std::size_t a, std::size_t b) {
    return df[a] != df[b] ? df[a] > df[b] : words[a] < words[b];
  });
  std::vector<std::size_t> column(words.size(), SIZE_MAX);
  for (std::size_t k = 0; k < d; ++k) {
    column[order[k]] = k;
    c.vocab.push_back(words[order[k]]);
  }
  c.d = d;
  c.X.assign(c.n * d, 0.0f);
  c.tokens.resize(c.n);
  for (std::size_t doc = 0; doc < c.n; ++doc) {
    float* row = c.X.data() + doc * d;
    double norm = 0;
    for (const auto& [id, count] : counts[doc]) {
      const std::size_t col = column[id];
      if (col == SIZE_MAX) continue;
      const double idf = std::log((1.0 + c.n) / (1.0 + df[id])) + 1.0;
      const double v = o.tfidf ? count * idf : 1.0;
      row[col] = static_cast<float>(v);
      norm += v * v;
      c.tokens[doc].push_back(col);
    }
    std::sort(c.tokens[doc].begin(), c.tokens[doc].end());
    if (o.tfidf && norm > 0)
      for (std::size_t k = 0; k < d; ++k) row[k] = static_cast<float>(row[k] / std::sqrt(norm));
    if (c.tokens[doc].empty()) ++empty;
  }
  if (words.empty()) c.notes.push_back("no words found in any document: the vocabulary is empty");
  if (words.size() > d)
    c.notes.push_back("vocabulary: kept the " + std::to_string(d) + " most frequent of " +
                      std::to_string(words.size()) + " distinct words");
  if (empty)
    c.notes.push_back(std::to_string(empty) +
                      " document(s) have no vocabulary word (zero vectors: excluded from cosine problems)");
  if (dropped)
    c.notes.push_back(std::to_string(dropped) + " token(s) longer than 64 bytes dropped");
  return c;
}

}  // namespace subquad::pairs
