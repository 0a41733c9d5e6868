// subquad's simulate family in JS: length-N attention from counted calls to
// a length-M exact attention (cpp/simulate/; Yu & Alman, arXiv 2506.12220).
// The core (web/lib/subquad.js) installs it on the api; shapes are checked
// against the library's schema (sq.schema()), options by the C++ parser.
// Loaded by require() in Node and by importScripts / <script> in browsers.
(function (root, factory) {
  const install = factory();
  if (typeof module === 'object' && module.exports) module.exports = install;
  else (root.subquadFamilies = root.subquadFamilies || {}).simulate = install;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  return function install(api, core) {
    const { Module, check, unwrap, stringify, positiveInt, floatArray, withinBudget, withHeap } = core;

    Object.assign(api, {
      /**
       * softmax(scale·QKᵀ)V over n tokens computed by `mode` (blocks,
       * blocks_lse, window, sinks, sampled, packed) from calls to an oracle
       * of length M. Q, K, V are n×d. Options: { M, causal, window, sinks,
       * seed, precision: 'float32'|'float64', B, scale, threads }.
       * Returns { O (Float32Array, or Float64Array with precision float64),
       * lnNorm (Float64Array: each row's simulated ln Σ_j e^{scale·q·k}),
       * calls, callsPredicted, flops, ms (the simulation alone), error (vs
       * direct attention: flash, or the double reference — `against`),
       * M, window, sinks, failures, leakBound, codeLength, threads, scale, precision }.
       */
      simulate(mode, { Q, K, V, n, d }, options = {}) {
        check();
        const limits = api.schema().families.simulate.dims;
        positiveInt('n', n, limits.n.max);
        positiveInt('d', d, limits.d.max);
        Q = floatArray('Q', Q, n * d, 'n·d');
        K = floatArray('K', K, n * d, 'n·d');
        V = floatArray('V', V, n * d, 'n·d');
        const f64 = options.precision === 'float64';
        withinBudget('n, d', 'inputs and outputs', 4 * n * d * 3 + (f64 ? 8 : 4) * n * d + 8 * n);
        const out = f64 ? { O64: 8 * n * d, ln: 8 * n } : { O: 4 * n * d, ln: 8 * n };
        const { result, copies } = withHeap({ Q, K, V }, out, (p) =>
          unwrap(Module.simulateRun(String(mode), p.Q, p.K, p.V, p.O || 0, p.O64 || 0, p.ln, n, d,
            stringify(options))),
        );
        const O = f64 ? new Float64Array(copies.O64.buffer) : copies.O;
        return { ...result, O, lnNorm: new Float64Array(copies.ln.buffer) };
      },
    });
  };
});
