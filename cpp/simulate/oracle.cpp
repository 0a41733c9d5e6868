// The oracle of Yu & Alman's model: a small exact attention that refuses
// anything longer than its length, counted. float32 is the attention
// family's public flash kernel (separate query and key counts, return_lse);
// float64 is attention_f64 (reference.cpp).
#include <string>

#include "attention/attention.hpp"
#include "common/error.hpp"
#include "simulate/simulate.hpp"

namespace subquad::simulate {

namespace {

void check_shape(std::size_t n, std::size_t nk, std::size_t max_rows, std::size_t max_keys, bool causal) {
  // A construction that asks for more than M (+1) tokens is a bug here, not bad input.
  if (n == 0 || nk == 0 || n > max_rows || nk > max_keys || (causal && nk < n))
    throw Error("oracle", "internal: a call of " + std::to_string(n) + " queries and " + std::to_string(nk) +
                              " keys exceeds the oracle's " + std::to_string(max_rows) + " × " +
                              std::to_string(max_keys));
}

double pairs(std::size_t n, std::size_t nk, bool causal) {
  return causal ? double(n) * nk - double(n) * (n - 1) / 2 : double(n) * nk;
}

}  // namespace

template <>
void Oracle<float>::call(const float* Q, std::size_t n, const float* K, const float* V, std::size_t nk, std::size_t w,
                         bool causal, float* O, float* lse, std::size_t q0, std::size_t k0) {
  check_shape(n, nk, max_rows_, max_keys_, causal);
  attention::Params p;
  p.scale = scale_;
  p.causal = causal;
  p.return_lse = lse != nullptr;
  p.threads = threads_;
  const attention::Problem prob{n, w, Q, K, V, nk};
  static const attention::Method& flash = attention::find_method("flash");
  attention::Stats stats;
  attention::execute(flash, prob, p, O, stats, lse);
  ++calls_;
  flops_ += 4.0 * pairs(n, nk, causal) * w;
  if (trace_ && trace_->size() < kMaxTrace) trace_->push_back({q0, n, k0, nk});
}

template <>
void Oracle<double>::call(const double* Q, std::size_t n, const double* K, const double* V, std::size_t nk,
                          std::size_t w, bool causal, double* O, double* lse, std::size_t q0,
                          std::size_t k0) {
  check_shape(n, nk, max_rows_, max_keys_, causal);
  Mask mask;
  mask.causal = causal;
  attention_f64(Q, n, K, V, nk, w, scale_, mask, O, lse);
  ++calls_;
  flops_ += 4.0 * pairs(n, nk, causal) * w;
  if (trace_ && trace_->size() < kMaxTrace) trace_->push_back({q0, n, k0, nk});
}

}  // namespace subquad::simulate
