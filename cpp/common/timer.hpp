// Wall-clock timing for benchmarks: repeat until a minimum time has passed
// (performance.now() steps 5 µs isolated, 100 µs not), report the median.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
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

// Repetitions every point gets when one run takes under a second: fewer
// leave the median at the mercy of one slow run (a sweep point once read 20–60 %
// above the CLI on two repetitions).
constexpr int kMinRepsUnderOneSecond = 5;

// Runs fn until min_total_ms has passed and at least min_reps times — at
// least `fast_reps` (default kMinRepsUnderOneSecond) when one run takes under
// 1 s — then, within three times min_total_ms, on until the median is stable:
// within 2 % of the median of the runs without the last third. At most
// max_reps runs. Returns the median, the extremes and the quartiles.
template <class Fn>
Timing time_median(Fn&& fn, int min_reps = 3, double min_total_ms = 200.0, int max_reps = 1000,
                   int fast_reps = kMinRepsUnderOneSecond) {
  std::vector<double> t;
  // The first run pays for page faults and cold caches: keep it only when it
  // alone is most of the time budget (slow methods are not run twice for it).
  const double w0 = now_ms();
  fn();
  const double first = now_ms() - w0;
  if (first >= min_total_ms / 2) t.push_back(first);
  const int need = std::min(max_reps, std::max(min_reps, first < 1000.0 ? fast_reps : 1));
  const auto run = [&] {
    const double t0 = now_ms();
    fn();
    t.push_back(now_ms() - t0);
  };
  const double start = now_ms();
  while (static_cast<int>(t.size()) < max_reps && (static_cast<int>(t.size()) < need || now_ms() - start < min_total_ms)) run();
  const auto median_of = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  while (static_cast<int>(t.size()) < max_reps && now_ms() - start < 3 * min_total_ms) {
    const std::vector<double> head(t.begin(), t.begin() + static_cast<std::ptrdiff_t>((2 * t.size()) / 3));
    if (head.size() >= 3) {
      const double all = median_of(t);
      if (std::abs(all - median_of(head)) <= 0.02 * all) break;
    }
    run();
  }
  std::sort(t.begin(), t.end());
  // A reading of no time at all is the clock's step, not the run's: left out
  // while any real reading remains (a page's clock steps 100 µs or more).
  const auto real = std::upper_bound(t.begin(), t.end(), 0.0);
  if (real != t.end() && real != t.begin()) t.erase(t.begin(), real);
  const std::size_t k = t.size();
  return {t[k / 2], t.front(), static_cast<int>(k), t.back(), t[k / 4], t[(3 * k) / 4 < k ? (3 * k) / 4 : k - 1]};
}

// Runs fn in batches long enough for the clock (a batch ≥ batch_ms; the page's
// timer steps 100 µs when not cross-origin isolated) and times the batches as
// time_median does; the Timing is per call. Calls per batch in `calls`.
template <class Fn>
Timing time_batched(Fn&& fn, double batch_ms, int min_reps, double min_total_ms, int max_reps, int* calls = nullptr) {
  int n = 1;
  for (;;) {
    const double t0 = now_ms();
    for (int i = 0; i < n; ++i) fn();
    if (now_ms() - t0 >= batch_ms || n >= (1 << 20)) break;
    n *= 2;
  }
  Timing t = time_median([&] { for (int i = 0; i < n; ++i) fn(); }, min_reps, min_total_ms, max_reps);
  for (double* v : {&t.median_ms, &t.min_ms, &t.max_ms, &t.q1_ms, &t.q3_ms}) *v /= n;
  if (calls) *calls = n;
  return t;
}
}  // namespace subquad
