#include <doctest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "common/error.hpp"
#include "common/threads.hpp"

using namespace subquad;

TEST_CASE("parallel_for visits every index exactly once, for every thread count") {
  for (int threads = 1; threads <= max_threads(); ++threads) {
    for (std::size_t count : {1, 7, 1000}) {
      std::vector<std::atomic<int>> hits(count);
      parallel_for(count, 3, threads, [&](std::size_t b, std::size_t e, int worker) {
        CHECK(worker < threads);
        for (std::size_t i = b; i < e; ++i) hits[i]++;
      });
      for (auto& h : hits) CHECK(h.load() == 1);
    }
  }
}

TEST_CASE("parallel_for rethrows a block's exception and the pool still works") {
  const int threads = max_threads();
  CHECK_THROWS_WITH_AS(parallel_for(100, 1, threads,
                                    [](std::size_t b, std::size_t, int) {
                                      if (b == 42) throw Error("x", "boom");
                                    }),
                       "x: boom", Error);
  std::atomic<int> sum{0};
  parallel_for(100, 1, threads, [&](std::size_t b, std::size_t e, int) { sum += int(e - b); });
  CHECK(sum == 100);
}

TEST_CASE("resolve_threads rejects counts above the pool, with the limit in the message") {
  CHECK(resolve_threads(0) == max_threads());
  CHECK_THROWS_AS(resolve_threads(max_threads() + 1), Error);
  CHECK_THROWS_AS(resolve_threads(-1), Error);
  try {
    resolve_threads(max_threads() + 1);
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("threads") == 0);
  }
}

TEST_CASE("a cancel request stops parallel_for with a 'cancelled' error") {
  std::atomic<int> blocks{0};
  CHECK_THROWS_AS(parallel_for(1000, 1, 1,
                               [&](std::size_t b, std::size_t, int) {
                                 ++blocks;
                                 if (b == 10) cancel_flag().store(1);
                               }),
                  Error);
  cancel_flag().store(0);
  CHECK(blocks.load() == 11);
}
