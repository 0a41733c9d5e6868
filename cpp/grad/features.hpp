// The polynomial method's feature maps as the grad family's two polynomial
// methods use them (polynomial.cpp, loss_polynomial.cpp): φ(q) = wq ∘ m(q·root_q),
// ψ(k) = wk ∘ m(k·root_k), ⟨φ(q), ψ(k)⟩ = P(s·q·k), from the attention
// family's monomial tree. Internal to cpp/grad/.
#pragma once

#include <cstddef>
#include <vector>

#include "attention/attention.hpp"
#include "grad/grad.hpp"

namespace subquad::grad {

// Rows per block of every feature sweep (the leading dimension of Ft).
constexpr std::size_t kFeatureBlock = 64;

struct Maps {
  attention::PolyMonomials m;
  std::size_t r = 0;
  float root_q = 1, root_k = 1;
  double R = 0, score_range = 0;
};

// P fitted on [−R, R] (params.R, or 0 → the score range s·max‖q‖·max‖k‖ of
// Q: n×d, K: n_k×d); Error("R") beyond attention::kMaxR.
Maps maps(const float* Q, std::size_t n, const float* K, std::size_t n_k, std::size_t d, double s,
          const Params& params);

// Raw monomials m (rows × r) of rows X·root, the weighted features F = w ∘ m
// (rows × r) and Fᵀ (r × kFeatureBlock); rows ≤ kFeatureBlock.
void features(const Maps& f, const std::vector<float>& w, float root, const float* X, std::size_t rows,
              std::size_t d, float* m, float* F, float* Ft);

}  // namespace subquad::grad
