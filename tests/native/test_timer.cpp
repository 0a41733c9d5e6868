// The bench timer (cpp/common/timer.hpp): enough repetitions for a stable
// median, and batches long enough for a coarse clock.
#include <doctest/doctest.h>
#include <thread>
#include "common/timer.hpp"

using namespace subquad;

namespace {
void spin(double ms) {
  const double t0 = now_ms();
  while (now_ms() - t0 < ms) {
  }
}
}  // namespace

TEST_CASE("timer: a run under 1 s gets at least 5 repetitions, even with no time budget") {
  int calls = 0;
  const Timing t = time_median([&] { spin(2.0); ++calls; }, 1, 0.0, 100);
  CHECK(t.reps >= kMinRepsUnderOneSecond);
  CHECK(calls >= t.reps);  // the warm-up call counts only when it alone is half the budget
  CHECK(calls <= t.reps + 1);
  CHECK(t.min_ms <= t.q1_ms);
  CHECK(t.q1_ms <= t.median_ms);
  CHECK(t.median_ms <= t.q3_ms);
  CHECK(t.q3_ms <= t.max_ms);
  CHECK(t.median_ms >= 2.0);
  // max_reps still caps, and a caller may lower the floor (pairs spreads it over its seeds).
  CHECK(time_median([] { spin(0.1); }, 1, 0.0, 3).reps == 3);
  CHECK(time_median([] { spin(0.1); }, 1, 0.0, 100, 2).reps >= 2);
}

TEST_CASE("timer: batches reach the batch length and report per call") {
  int per_batch = 0;
  const Timing t = time_batched([] { spin(0.05); }, 1.0, 3, 5.0, 100, &per_batch);
  CHECK(per_batch >= 2);  // 0.05 ms calls, ≥ 1 ms batches (16 calls unless one was preempted)
  CHECK(t.min_ms >= 0.05);
  CHECK(t.median_ms < 0.5);
}
