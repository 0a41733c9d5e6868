// Wall-clock timing for benchmarks: repeat until a minimum time has passed
// (performance.now() steps 5 µs isolated, 100 µs not), report the median.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace subquad {

inline double now_ms() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double, std::milli>(clock::now().time_since_epoch()).count();
}

struct Timing {
  double median_ms = 0, min_ms = 0;
  int reps = 0;
  double max_ms = 0, q1_ms = 0, q3_ms = 0;  // the spread: extremes and quartiles
};

// Runs fn at least min_reps times and until min_total_ms has elapsed (at most
// max_reps), returning the median and the minimum of the individual runs.
template <class Fn>
Timing time_median(Fn&& fn, int min_reps = 3, double min_total_ms = 200.0, int max_reps = 1000) {
  std::vector<double> t;
  // The first run pays for page faults and cold caches: keep it only when it
  // alone is most of the time budget (slow methods are not run twice for it).
  const double w0 = now_ms();
  fn();
  const double first = now_ms() - w0;
  if (first >= min_total_ms / 2) t.push_back(first);
  const double start = now_ms();
  while (static_cast<int>(t.size()) < max_reps &&
         (static_cast<int>(t.size()) < min_reps || now_ms() - start < min_total_ms)) {
    const double t0 = now_ms();
    fn();
    t.push_back(now_ms() - t0);
  }
  std::sort(t.begin(), t.end());
  const std::size_t k = t.size();
  return {t[k / 2], t.front(), static_cast<int>(k), t.back(), t[k / 4], t[(3 * k) / 4 < k ? (3 * k) / 4 : k - 1]};
}

}  // namespace subquad
