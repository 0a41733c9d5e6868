// Real documents as pair-search vectors (THEORY.md §3: documents are
// bag-of-words vectors over ℓ key words).
//
// Tokeniser: UTF-8 aware and total (any bytes in, never hangs, linear time).
// Word characters are ASCII letters and digits (lowercased) and letters of
// other scripts (Latin-1/Latin Extended, Greek, Cyrillic, …, CJK, Hangul; simple
// case folding for Latin-1, Greek and Cyrillic capitals). Everything else —
// punctuation, spaces, symbols, emoji, invalid UTF-8 bytes — separates words.
// Tokens longer than kMaxTokenBytes are dropped (counted in the notes).
//
// documents(): English stop-words removed (optional), the vocabulary is the
// `vocab` words with the highest document frequency (ties: alphabetical), and
// each document becomes a 0/1 vector (word present) or an L2-normalised TF-IDF
// vector (tf · (ln((1+n)/(1+df)) + 1), as scikit-learn's smooth idf).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace subquad::pairs {

constexpr std::size_t kMaxTextBytes = 16u << 20;  // all documents together
constexpr std::size_t kMaxDocuments = 20000;
constexpr std::size_t kMaxTokenBytes = 64;
constexpr std::size_t kMaxVocab = 4096;
constexpr std::size_t kMaxDistinctWords = 1u << 20;

std::vector<std::string> tokenize(const std::string& text);

struct Corpus {
  std::vector<float> X;  // n × d
  std::size_t n = 0, d = 0;
  std::vector<std::string> vocab;                // d words, most frequent first
  std::vector<std::vector<std::size_t>> tokens;  // per document: vocab ids present, ascending
  std::vector<std::string> notes;                // caps hit, empty documents, …
};

struct CorpusOptions {
  std::size_t vocab = 256;
  bool tfidf = false;
  bool stopwords = true;  // remove English stop-words and one-letter words
};

// Throws Error naming the limit when the texts exceed kMaxTextBytes,
// kMaxDocuments or kMaxDistinctWords, or vocab is outside [1, kMaxVocab].
Corpus documents(const std::vector<std::string>& texts, const CorpusOptions& o);

bool is_stopword(const std::string& word);

}  // namespace subquad::pairs
