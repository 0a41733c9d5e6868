// subquad's collapse family in JS: layer collapse in residual self-attention
// networks (cpp/collapse/). The core (web/lib/subquad.js) installs it on the
// api; shapes are checked against the library's schema, options and the
// weights' length by the C++ parser.
// Loaded by require() in Node and by importScripts / <script> in browsers.
(function (root, factory) {
  const install = factory();
  if (typeof module === 'object' && module.exports) module.exports = install;
  else (root.subquadFamilies = root.subquadFamilies || {}).collapse = install;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  // Per-layer stats arrive as res_norm_skip_0 … res_norm_skip_L; gathered into arrays.
  const PER_LAYER = /^(res_norm_skip|norm_skip|res_norm_noskip|norm_noskip)_(\d+)$/;

  return function install(api, core) {
    const { Module, check, fail, unwrap, stringify, positiveInt, floatArray, withinBudget, withHeap } = core;

    Object.assign(api, {
      /**
       * Runs a collapse method on X (n×d): san_forward (the L-layer, H-head
       * network; with compare, the default, also the merged one-layer
       * surrogate, the first layer and the other skip setting), san_merged,
       * first_layer, reference (san_forward in double) or res_norm (X − 1xᵀ).
       * W (layers·heads·3·d·d, layer-major, Q K V per head) replaces the
       * seeded weights η·U[−1, 1]. Returns { S, ms, validate_ms, threads,
       * scale, flops, stats, …every scalar stat (deviation, merged_error,
       * first_layer_error, merged_ratio, first_layer_ratio, entry_bound_q,
       * entry_bound_k, …), per_layer: { res_norm_skip, norm_skip,
       * res_norm_noskip, norm_noskip } (index ℓ = 0..L) }.
       */
      collapse(method, { X, n, d, W }, options = {}) {
        check();
        const limits = api.schema().families.collapse.dims;
        positiveInt('n', n, limits.n.max);
        positiveInt('d', d, limits.d.max);
        X = floatArray('X', X, n * d, 'n·d');
        const inputs = { X };
        if (W !== undefined && W !== null) {
          if (!(W instanceof Float32Array)) {
            if (Array.isArray(W) || ArrayBuffer.isView(W)) W = Float32Array.from(W);
            else fail('W: must be a Float32Array (or an array of numbers)');
          }
          inputs.W = W;
        }
        withinBudget('n, d', 'inputs and outputs', 4 * (2 * n * d + (inputs.W ? inputs.W.length : 0)));
        const { result, copies } = withHeap(inputs, { S: 4 * n * d }, (p) =>
          unwrap(Module.collapseRun(String(method), p.X, p.W || 0, inputs.W ? inputs.W.length : 0, p.S, n, d,
            stringify(options))),
        );
        const out = { ...result, S: copies.S };
        const perLayer = {};
        for (const [key, value] of Object.entries(result.stats)) {
          const m = PER_LAYER.exec(key);
          if (m) (perLayer[m[1]] = perLayer[m[1]] || [])[Number(m[2])] = value;
          else if (!(key in out)) out[key] = value;
        }
        out.per_layer = perLayer;
        return out;
      },
    });
  };
});
