// subquad's attention family in JS: softmax attention: exact, fused, the polynomial method and the heuristics (cpp/attention/).
// The core (web/lib/subquad.js) installs it on the api; shapes are checked
// against the library's schema (sq.schema()), options by the C++ parser,
// which refuses what a method does not take. Loaded by require() in Node and
// by importScripts / <script> in browsers, beside subquad.js.
(function (root, factory) {
  const install = factory();
  if (typeof module === 'object' && module.exports) module.exports = install;
  else (root.subquadFamilies = root.subquadFamilies || {}).attention = install;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  return function install(api, core) {
    const { Module, check, fail, unwrap, stringify, positiveInt, floatArray, withinBudget, withHeap } = core;

    Object.assign(api, {

      /**
       * Runs an attention method: Q is n×d, K and V are n_k×d (n_k = n unless
       * given; the exact methods take n_k ≠ n). With options.return_lse the
       * result also holds lse, each row's natural-log log-sum-exp. Returns
       * { O, lse?, ms (the kernel alone), validate_ms, threads, scale, flops, stats }.
       * positional_reference and positional_fft also take W, (2n−1)×d: row Δ + n − 1
       * holds the diagonal w_Δ of the position matrix for Δ = i − j.
       */
      attention(method, { Q, K, V, W, n, n_k, d }, options = {}) {
        check();
        const limits = api.schema().families.attention.dims;
        positiveInt('n', n, limits.n.max);
        if (n_k === undefined || n_k === null) n_k = n;
        positiveInt('n_k', n_k, limits.n_k.max);
        positiveInt('d', d, limits.d.max);
        Q = floatArray('Q', Q, n * d, 'n·d');
        K = floatArray('K', K, n_k * d, 'n_k·d');
        V = floatArray('V', V, n_k * d, 'n_k·d');
        const inputs = { Q, K, V };
        if (W !== undefined && W !== null) inputs.W = floatArray('W', W, (2 * n - 1) * d, '(2n−1)·d');
        const lse = options && (options.return_lse === true || options.return_lse === 1 || options.return_lse === '1' ||
          options.return_lse === 'true');
        const outputs = { O: 4 * n * d };
        if (lse) outputs.lse = 4 * n;
        withinBudget('n, n_k, d', 'inputs and output',
          4 * (2 * n * d + 2 * n_k * d + (lse ? n : 0) + (inputs.W ? inputs.W.length : 0)));
        const { result, copies } = withHeap(inputs, outputs, (p) =>
          unwrap(Module.attentionRun(String(method), p.Q, p.K, p.V, p.W || 0, p.O, p.lse || 0, n, n_k, d,
            stringify(options))),
        );
        return lse ? { ...result, O: copies.O, lse: copies.lse } : { ...result, O: copies.O };
      },

      /** The method's cost model at a shape: { flops, bytes, memory_bytes }. */
      attentionCost(method, n, d, options = {}) {
        check();
        return unwrap(Module.attentionCost(String(method), n, d, stringify(options)));
      },
    });
  };
});
