#include "common/error.hpp"

#include <cmath>
#include <cstdlib>
#include <cstdio>

#ifdef __EMSCRIPTEN__
#include <emscripten/heap.h>
#include <malloc.h>
#endif

namespace subquad {

namespace {
double g_budget_override = 0;  // 0: use the platform's budget
}

void set_memory_budget_bytes(double bytes) { g_budget_override = bytes > 0 ? bytes : 0; }

double memory_budget_bytes() {
  if (g_budget_override > 0) return g_budget_override;
#ifdef __EMSCRIPTEN__
  // What the heap can still hold: its ceiling minus what malloc has handed out.
  const double max = static_cast<double>(emscripten_get_heap_max());
  const double used = static_cast<double>(mallinfo().uordblks);
  return max - used;
#else
  static const double cap = [] {
    const char* env = std::getenv("SUBQUAD_MEMORY_BUDGET_MB");
    const double mb = env ? std::atof(env) : 8192.0;
    return (mb > 0 ? mb : 8192.0) * 1024.0 * 1024.0;
  }();
  return cap;
#endif
}

void require_memory(const char* what, double needed) {
  const double budget = memory_budget_bytes();
  if (needed > budget) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "needs %.1f MiB, memory budget is %.1f MiB", needed / 1048576.0,
                  budget / 1048576.0);
    throw Error(what, buf);
  }
}

void require_finite(const char* param, const float* x, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (!std::isfinite(x[i])) {
      throw Error(param, "entry " + std::to_string(i) + " is " + detail::to_text(x[i]) +
                             ", must be finite");
    }
  }
}

void require_bounded(const char* param, const float* x, std::size_t count, double bound,
                     const char* why) {
  require_finite(param, x, count);
  for (std::size_t i = 0; i < count; ++i) {
    if (std::fabs(x[i]) > bound) {
      throw Error(param, "entry " + std::to_string(i) + " is " + detail::to_text(x[i]) +
                             ", must satisfy |x| <= " + detail::to_text(bound) + " (" + why + ")");
    }
  }
}

void require_length(const char* param, std::size_t got, std::size_t expected, const char* shape) {
  if (got != expected) {
    throw Error(param, "length " + std::to_string(got) + " does not match " + shape + " = " +
                           std::to_string(expected));
  }
}

}  // namespace subquad
