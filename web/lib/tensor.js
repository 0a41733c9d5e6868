// subquad's tensor family in JS: triple-wise attention (cpp/tensor/).
// The core (web/lib/subquad.js) installs it on the api; shapes are checked
// against the library's schema (sq.schema()), options by the C++ parser.
// Loaded by require() in Node and by importScripts / <script> in browsers.
(function (root, factory) {
  const install = factory();
  if (typeof module === 'object' && module.exports) module.exports = install;
  else (root.subquadFamilies = root.subquadFamilies || {}).tensor = install;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  return function install(api, core) {
    const { Module, check, fail, unwrap, stringify, positiveInt, floatArray, withinBudget, withHeap } = core;

    Object.assign(api, {
      /**
       * Tensor attention: for each query i, softmax over all key pairs (j, k)
       * of scale·Σ_l Q_il K1_jl K2_kl, output Σ P·(V1[j] ∘ V2[k]). Q, K1, K2,
       * V1, V2 are n×d. Methods: reference, exact, windowed (w1, w2),
       * polynomial (degree, poly, R). Returns { O, ms (the kernel alone),
       * validate_ms, threads, scale, flops, stats }.
       */
      tensorAttention(method, { Q, K1, K2, V1, V2, n, d }, options = {}) {
        check();
        const limits = api.schema().families.tensor.dims;
        positiveInt('n', n, limits.n.max);
        positiveInt('d', d, limits.d.max);
        const inputs = {};
        for (const [name, value] of Object.entries({ Q, K1, K2, V1, V2 })) inputs[name] = floatArray(name, value, n * d, 'n·d');
        withinBudget('n, d', 'inputs and outputs', 4 * n * d * 6);
        const { result, copies } = withHeap(inputs, { O: 4 * n * d }, (p) =>
          unwrap(Module.tensorRun(String(method), p.Q, p.K1, p.K2, p.V1, p.V2, p.O, n, d, stringify(options))),
        );
        return { ...result, O: copies.O };
      },

      /**
       * Seeded inputs for tensor attention: { Q, K1, K2, V1, V2, n, d } with
       * Q, K1, K2 uniform in [−B, B] (or [0, B] when nonnegative: aligned
       * inputs reach the worst-case score scale·d·B³) and V1, V2 in [−1, 1].
       */
      tensorGenerate({ n, d, B = 1, nonnegative = false, seed = 1 }) {
        check();
        const limits = api.schema().families.tensor.dims;
        positiveInt('n', n, limits.n.max);
        positiveInt('d', d, limits.d.max);
        withinBudget('n, d', 'inputs', 4 * n * d * 5);
        const out = { n, d };
        const names = ['Q', 'K1', 'K2', 'V1', 'V2'];
        names.forEach((name, t) => {
          const { copies } = withHeap({}, { X: 4 * n * d }, (p) =>
            unwrap(Module.tensorGenerate(p.X, n, d, t < 3 ? Number(B) : 1, t < 3 && !!nonnegative, Number(seed) + t)),
          );
          out[name] = copies.X;
        });
        return out;
      },

      /**
       * Match3 (Sanford, Hsu & Telgarsky): accuracy of one hand-set
       * tensor-attention layer and of a one-layer matrix-attention baseline
       * against brute force, on `instances` random token sequences of length n
       * in ℤ_M (M = 0: the modulus that makes about half the positions
       * positive). Returns { n, M, positions, positives, positive_rate,
       * tensor_accuracy, matrix_accuracy, …_false_negatives/positives, tensor_beta, matrix_beta, ms }.
       */
      tensorMatch3(options = {}) {
        check();
        return unwrap(Module.tensorMatch3(stringify(options)));
      },
    });
  };
});
