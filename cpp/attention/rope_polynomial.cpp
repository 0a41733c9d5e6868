// RoPE attention by the Alman–Song polynomial method: rotate Q and K by
// position, then polynomial() on the rotated rows. A rotation keeps every row's
// norm, so the score range scale·max‖q‖·max‖k‖ — hence R, the degree needed and
// the error bound — is the unrotated problem's (an entry may grow by √2, a norm
// does not): the wave-1 method applies unchanged (THEORY-2.md §1).
#include <vector>

#include "attention/attention.hpp"
#include "attention/rope.hpp"
#include "common/threads.hpp"

namespace subquad::attention {

namespace {

struct Rotated {
  std::vector<float> Q, K;
  Problem problem;
};

Rotated rotated(const Problem& p, const Params& params) {
  const std::size_t n = p.n, d = p.d;
  const RopeRotation rotate(n, d, params);
  Rotated r{std::vector<float>(n * d), std::vector<float>(n * d), p};
  parallel_for(n, 256, resolve_threads(params.threads), [&](std::size_t i0, std::size_t end, int) {
    for (std::size_t i = i0; i < end; ++i) {
      rotate(p.Q + i * d, i, r.Q.data() + i * d);
      rotate(p.K + i * d, i, r.K.data() + i * d);
    }
  });
  r.problem.Q = r.Q.data();
  r.problem.K = r.K.data();
  return r;
}

}  // namespace

void rope_polynomial(const Problem& p, const Params& params, float* O, float* lse, Stats& stats) {
  const Rotated r = rotated(p, params);
  polynomial(r.problem, params, O, lse, stats);
}

void rope_polynomial_describe(const Problem& p, const Params& params, Stats& stats) {
  const Rotated r = rotated(p, params);
  polynomial_describe(r.problem, params, stats);
}

}  // namespace subquad::attention
