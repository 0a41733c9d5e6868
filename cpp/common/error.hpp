// One error type for every bad input: it names the parameter, the value and
// the limit, so the JS side can show the message as it is.
#pragma once

#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>

namespace subquad {

class Error : public std::runtime_error {
 public:
  Error(std::string param, std::string message)
      : std::runtime_error(param + ": " + message), param_(std::move(param)) {}
  const std::string& param() const { return param_; }

 private:
  std::string param_;
};

namespace detail {
template <class T>
std::string to_text(const T& v) {
  std::ostringstream s;
  s << v;
  return s.str();
}
}  // namespace detail

// require(n >= 1, "n", n, ">= 1") → "n: got 0, must be >= 1".
template <class T>
inline void require(bool ok, const char* param, const T& value, const char* limit) {
  if (!ok) throw Error(param, "got " + detail::to_text(value) + ", must be " + limit);
}

// Throws when `needed` bytes exceed the budget; the message gives both in MiB.
void require_memory(const char* what, double needed_bytes);

// Every entry of a float array must be finite; names the first bad index.
void require_finite(const char* param, const float* x, std::size_t count);

// Every entry finite and |x| <= bound; names the first bad index and the reason.
void require_bounded(const char* param, const float* x, std::size_t count, double bound,
                     const char* why);

// Length of a user array must equal the shape it claims.
void require_length(const char* param, std::size_t got, std::size_t expected,
                    const char* shape);

// Bytes a single call may allocate: in WASM, what the heap can still grow to;
// natively a fixed cap (SUBQUAD_MEMORY_BUDGET_MB, default 8192).
double memory_budget_bytes();

// Tests and the page lower the budget to exercise the refusal path; 0 resets.
void set_memory_budget_bytes(double bytes);

}  // namespace subquad
