// subquad's ssm family in JS: the Mamba-style selective scan and whole blocks (cpp/ssm/).
// The core (web/lib/subquad.js) installs it on the api; shapes are checked
// against the library's schema (sq.schema()), options by the C++ parser,
// which refuses what a method does not take. Loaded by require() in Node and
// by importScripts / <script> in browsers, beside subquad.js.
(function (root, factory) {
  const install = factory();
  if (typeof module === 'object' && module.exports) module.exports = install;
  else (root.subquadFamilies = root.subquadFamilies || {}).ssm = install;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  return function install(api, core) {
    const { Module, check, fail, unwrap, stringify, positiveInt, floatArray, withinBudget, withHeap } = core;

    const dims = () => api.schema().families.ssm.dims;

    Object.assign(api, {


      /**
       * Runs a selective scan: x, delta (L×D), A (D×N), B, C (L×N), Dskip (D).
       * Returns { y, ms, threads, stats }.
       */
      ssmScan(method, { x, delta, A, B, C, Dskip, L, D, N }, options = {}) {
        check();
        positiveInt('L', L, dims().L.max);
        positiveInt('D', D, dims().D.max);
        positiveInt('N', N, dims().N.max);
        x = floatArray('x', x, L * D, 'L·D');
        delta = floatArray('delta', delta, L * D, 'L·D');
        A = floatArray('A', A, D * N, 'D·N');
        B = floatArray('B', B, L * N, 'L·N');
        C = floatArray('C', C, L * N, 'L·N');
        Dskip = floatArray('Dskip', Dskip, D, 'D');
        withinBudget('L, D, N', 'inputs and output', 4 * (3 * L * D + 2 * L * N + D * N + D));
        const { result, copies } = withHeap({ x, delta, A, B, C, Dskip }, { y: 4 * L * D }, (p) =>
          unwrap(Module.ssmScan(String(method), p.x, p.delta, p.A, p.B, p.C, p.Dskip, p.y, L, D, N, stringify(options))),
        );
        return { ...result, y: copies.y };
      },

      /**
       * Runs a block (mamba_block, attention_block, …) of width D with seeded
       * weights (options.seed) on x (L×D); without x the module generates it
       * (options.input_seed). Returns { y, ms, threads, ... }.
       */
      ssmBlock(method, { x, L, D }, options = {}) {
        check();
        positiveInt('L', L, dims().L.max);
        positiveInt('D', D, dims().D.max);  // blocks take D ≤ 4096: C++ says so by name
        const bytes = 4 * L * D;
        withinBudget('L, D', 'input and output', 2 * bytes);
        const inputs = x === undefined || x === null ? {} : { x: floatArray('x', x, L * D, 'L·D') };
        const { result, copies } = withHeap(inputs, { y: bytes }, (p) =>
          unwrap(Module.ssmBlock(String(method), p.x || 0, p.y, L, D, stringify(options))),
        );
        return { ...result, y: copies.y };
      },

      /** The SSM method's cost model at a shape: { flops, bytes, memory_bytes }. */
      ssmCost(method, L, D, N, options = {}) {
        check();
        return unwrap(Module.ssmCost(String(method), L, D, N, stringify(options)));
      },
    });
  };
});
