// subquad's grad family in JS: the attention backward pass (cpp/grad/).
// The core (web/lib/subquad.js) installs it on the api; shapes are checked
// against the library's schema (sq.schema()), options by the C++ parser.
// Loaded by require() in Node and by importScripts / <script> in browsers.
(function (root, factory) {
  const install = factory();
  if (typeof module === 'object' && module.exports) module.exports = install;
  else (root.subquadFamilies = root.subquadFamilies || {}).grad = install;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  return function install(api, core) {
    const { Module, check, fail, unwrap, stringify, positiveInt, floatArray, withinBudget, withHeap } = core;

    Object.assign(api, {
      /**
       * The gradients of O = softmax(scale·QKᵀ)V: given Q, K, V and dO (n×d
       * each) and optionally the forward's O (n×d) and lse (n, as
       * sq.attention(…, { return_lse: true }) gives them; without them flash
       * computes them inside its kernel time, forward_included: true).
       * Returns { dQ, dK, dV, ms (the kernel alone), validate_ms, threads, scale, flops, stats }.
       */
      attentionGrad(method, { Q, K, V, dO, n, d, O, lse }, options = {}) {
        check();
        const limits = api.schema().families.grad.dims;
        positiveInt('n', n, limits.n.max);
        positiveInt('d', d, limits.d.max);
        Q = floatArray('Q', Q, n * d, 'n·d');
        K = floatArray('K', K, n * d, 'n·d');
        V = floatArray('V', V, n * d, 'n·d');
        dO = floatArray('dO', dO, n * d, 'n·d');
        const hasO = O !== undefined && O !== null, hasLse = lse !== undefined && lse !== null;
        if (hasO !== hasLse) fail(`${hasO ? 'lse' : 'O'}: missing: give both O and lse (the forward's output and log-sum-exps) or neither`);
        const inputs = { Q, K, V, dO };
        if (hasO) {
          inputs.O = floatArray('O', O, n * d, 'n·d');
          inputs.lse = floatArray('lse', lse, n, 'n');
        }
        withinBudget('n, d', 'inputs and outputs', 4 * (n * d * (hasO ? 8 : 7) + (hasO ? n : 0)));
        const bytes = 4 * n * d;
        const { result, copies } = withHeap(inputs, { dQ: bytes, dK: bytes, dV: bytes }, (p) =>
          unwrap(Module.gradRun(String(method), p.Q, p.K, p.V, p.dO, p.O || 0, p.lse || 0, p.dQ, p.dK, p.dV, n, d,
            stringify(options))),
        );
        return { ...result, dQ: copies.dQ, dK: copies.dK, dV: copies.dV };
      },
    });
  };
});
