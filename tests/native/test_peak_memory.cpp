// The cost models' memory_bytes against what each method really allocates: the peak of
// bytes in use through operator new while it runs (peak_memory.hpp), inputs and outputs
// allocated before measuring.
#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/rng.hpp"
#include "common/threads.hpp"
#include "pairs/pairs.hpp"
#include "peak_memory.hpp"

using namespace subquad;

namespace {

// Runs `call` once to warm up (the thread pool, lazily made statics), then measures a second run.
template <class Call>
double peak_extra_bytes(Call&& call) {
  call();
  testing::PeakMemory measure;
  call();
  return measure.extra_bytes();
}

int two_threads() { return std::min(2, max_threads()); }

}  // namespace

namespace {

// 0/1 rows for the binary methods, uniform ±1 otherwise.
std::vector<float> pair_rows(bool binary, std::size_t rows, std::size_t d, std::uint64_t seed) {
  std::vector<float> M = uniform_matrix(rows, d, 1.0, seed);
  if (binary)
    for (auto& v : M) v = v > 0.6f ? 1.0f : 0.0f;
  return M;
}

}  // namespace

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
