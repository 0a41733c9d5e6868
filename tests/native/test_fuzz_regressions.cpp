// Every input a fuzzer ever found a problem with stays a test: the files in
// tests/fuzz-regressions/<target>/ are replayed through the same harness.
#include <doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz/harness.hpp"

#ifndef SUBQUAD_SOURCE_DIR
#define SUBQUAD_SOURCE_DIR "."
#endif

TEST_CASE("saved fuzz findings replay cleanly") {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(SUBQUAD_SOURCE_DIR) / "tests" / "fuzz-regressions";
  int replayed = 0;
  for (const auto& t : subquad::fuzz::targets()) {
    const fs::path dir = root / t.name;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (!entry.is_regular_file() || entry.path().filename().string()[0] == '.') continue;
      std::ifstream f(entry.path(), std::ios::binary);
      const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(f)), {});
      CAPTURE(entry.path().string());
      CHECK(t.run(bytes.data(), bytes.size()) == 0);
      ++replayed;
    }
  }
  // The seeds below are always there: the harness itself must run.
  CHECK(replayed >= 1);
}
