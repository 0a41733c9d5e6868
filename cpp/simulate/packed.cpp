// packed (Thm 4.2 / Thm C.2, the converse): the ⌈N/M⌉ runs of M rows are
// independent instances; one length-N call computes all of them. Instance c
// gets a code u_c ∈ {0, −b}^r with exactly r/2 entries −b (r even, C(r, r/2)
// ≥ instances) and w_c = b·1 + u_c; queries carry u, keys carry w. Same
// instance: ⟨u_c, w_c⟩ = 0 (scores unchanged); different: ≤ −b². With
// b = B/√scale the scores between instances drop by ≥ B², and (our
// derivation) each output moves by at most
//   (L/S)·2·max|V| ≤ 2·max|V|·e^{−B²}·e^{2R}·(N − m)/m_seen,
// R = scale·max‖q‖·max‖k‖, m the shortest instance, m_seen its keys a row
// sees for sure (1 when causal).
#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention.hpp"
#include "simulate/common.hpp"
#include "simulate/simulate.hpp"

namespace subquad::simulate {

std::size_t code_length(std::size_t instances) {
  if (instances <= 1) return 0;
  for (std::size_t r = 2;; r += 2) {
    double c = 1;  // C(r, r/2)
    for (std::size_t k = 1; k <= r / 2; ++k) c = c * double(r / 2 + k) / double(k);
    if (c >= double(instances)) return r;
  }
}

namespace {

template <class T>
void packed_t(const Problem& p, const Params& params, const Output& out, Report& report) {
  const std::size_t n = p.n, d = p.d, M = params.M, count = (n + M - 1) / M;
  const std::size_t r = code_length(count), w = d + r;
  const double scale = resolved_scale(params, d), b = params.B / std::sqrt(scale);
  std::vector<T> Qp(n * w, T(0)), Kp(n * w, T(0)), Vp(n * w, T(0)), Op(n * w);
  std::vector<char> code(r, 0);  // 1 where u = −b: the lexicographically next r/2-subset per instance
  for (std::size_t k = 0; k < r / 2; ++k) code[k] = 1;
  for (std::size_t c = 0; c < count; ++c) {
    if (c > 0) std::prev_permutation(code.begin(), code.end());
    for (std::size_t i = c * M; i < std::min(n, c * M + M); ++i) {
      for (std::size_t k = 0; k < d; ++k) {
        Qp[i * w + k] = p.Q.data[i * d + k];
        Kp[i * w + k] = p.K.data[i * d + k];
        Vp[i * w + k] = p.V.data[i * d + k];
      }
      for (std::size_t k = 0; k < r; ++k) {
        Qp[i * w + d + k] = code[k] ? T(-b) : T(0);
        Kp[i * w + d + k] = code[k] ? T(0) : T(b);
      }
    }
  }
  Oracle<T> oracle(n, n, scale, params.threads);  // the large transformer: length N
  oracle.trace_into(&report.trace);
  oracle.call(Qp.data(), n, Kp.data(), Vp.data(), n, w, params.causal, Op.data(), nullptr);
  for (std::size_t i = 0; i < n; ++i) detail::write_row(out, i, d, &Op[i * w], NAN);
  report.calls = oracle.calls();
  report.flops = oracle.flops();
  report.code_length = r;
  if (count > 1) {
    const double R = scale * attention::max_row_norm(p.Q.data, n, d) * attention::max_row_norm(p.K.data, n, d);
    double vmax = 0;
    for (std::size_t k = 0; k < n * d; ++k) vmax = std::max(vmax, double(std::fabs(p.V.data[k])));
    const double shortest = double(n - (count - 1) * M), seen = params.causal ? 1.0 : shortest;
    report.leak_bound = 2 * vmax * std::exp(2 * R - params.B * params.B) * (double(n) - shortest) / seen;
  }
}

}  // namespace

void packed(const Problem& p, const Params& params, const Output& out, Report& report) {
  params.float64 ? packed_t<double>(p, params, out, report) : packed_t<float>(p, params, out, report);
}

}  // namespace subquad::simulate
