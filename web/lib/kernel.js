// subquad's kernel family in JS: Gaussian kernel graphs (cpp/kernel/).
// The core (web/lib/subquad.js) installs it on the api; shapes are checked
// against the library's schema (sq.schema()), options by the C++ parser.
// Loaded by require() in Node and by importScripts / <script> in browsers.
(function (root, factory) {
  const install = factory();
  if (typeof module === 'object' && module.exports) module.exports = install;
  else (root.subquadFamilies = root.subquadFamilies || {}).kernel = install;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  return function install(api, core) {
    const { Module, check, unwrap, stringify, positiveInt, floatArray, withinBudget, withHeap } = core;
    const fail = core.fail;

    function shape(n, d) {
      const limits = api.schema().families.kernel.dims;
      positiveInt('n', n, limits.n.max);
      positiveInt('d', d, limits.d.max);
    }

    function call(method, X, v, n, d, options) {
      withinBudget('n, d', 'inputs and outputs', 4 * n * (d + 2));
      const { result, copies } = withHeap({ X, v }, { y: 4 * n }, (p) =>
        unwrap(Module.kernelRun(String(method), p.X, p.v, p.y, n, d, stringify(options))),
      );
      return { result, y: copies.y };
    }

    Object.assign(api, {
      /**
       * y = A w (op: 'adjacency') or L w = (A1)∘w − A w (op: 'laplacian') for
       * A_ij = exp(−‖x_i − x_j‖²/h²), X n×d row-major. Methods: reference,
       * exact, polynomial, fgt. Options: bandwidth (h), op, threads, error (δ),
       * degree, factor, order, radius, clusters. Returns { y, ms (the kernel
       * alone), validate_ms, threads, flops, stats: { B, rank, degree, delta, … } }.
       */
      kernelProduct(method, { X, n, d, w }, options = {}) {
        check();
        shape(n, d);
        X = floatArray('X', X, n * d, 'n·d');
        w = floatArray('w', w, n, 'n');
        const { result, y } = call(method, X, w, n, d, options);
        return { ...result, y };
      },

      /**
       * z with L z = b (b ⊥ 1; a mean is removed and reported) by conjugate
       * gradients over options.product ('exact' by default). Returns { z, ms,
       * stats: { iterations, converged (0/1), residual, checked_residual, B, … } }.
       */
      laplacianSolve(method, { X, n, d, b }, options = {}) {
        check();
        shape(n, d);
        X = floatArray('X', X, n * d, 'n·d');
        b = floatArray('b', b, n, 'n');
        const { result, y } = call(method, X, b, n, d, options);
        return { ...result, z: y };
      },

      /**
       * Semi-supervised labels on the kernel graph by Laplacian potentials: for
       * each class c, z_c solves L z_c = 1_{S_c}/|S_c| − 1/n (S_c: the points
       * seeded with class c; the right-hand side is ⊥ 1), and each point takes
       * the class of its largest potential. seeds: n integers, −1 = unlabelled.
       * Returns { labels (Int32Array), ms (all solves), solves: [{ iterations,
       * residual, converged }], classes }.
       */
      laplacianLabels(method, { X, n, d, seeds }, options = {}) {
        check();
        shape(n, d);
        X = floatArray('X', X, n * d, 'n·d');
        if (!seeds || seeds.length !== n) fail(`seeds: length ${seeds ? seeds.length : 0} does not match n = ${n}`);
        let classes = 0;
        for (let i = 0; i < n; i++) {
          if (!Number.isInteger(seeds[i]) || seeds[i] < -1 || seeds[i] > 255) fail(`seeds: entry ${i} is ${seeds[i]}, must be −1 or a class in [0, 255]`);
          classes = Math.max(classes, seeds[i] + 1);
        }
        if (classes < 2) fail('seeds: needs points of at least two classes');
        const best = new Float64Array(n).fill(-Infinity), labels = new Int32Array(n).fill(0), solves = [];
        let ms = 0;
        for (let c = 0; c < classes; c++) {
          let count = 0;
          for (let i = 0; i < n; i++) count += seeds[i] === c ? 1 : 0;
          if (!count) fail(`seeds: class ${c} has no seeded point`);
          const b = new Float32Array(n);
          for (let i = 0; i < n; i++) b[i] = (seeds[i] === c ? 1 / count : 0) - 1 / n;
          const { result, y } = call(method, X, b, n, d, options);
          ms += result.ms;
          solves.push({ iterations: result.stats.iterations, residual: result.stats.residual, converged: result.stats.converged });
          for (let i = 0; i < n; i++) {
            if (y[i] > best[i]) {
              best[i] = y[i];
              labels[i] = c;
            }
          }
        }
        return { labels, ms, solves, classes };
      },

      /**
       * Seeded points (the same generator as the bench): kind 'ball' (uniform in
       * a ball of squared diameter B·h²) or 'clusters' (k Gaussian clusters of
       * standard deviation sigma·h, centres in that ball). Returns { X, labels? }.
       */
      kernelPoints(kind, { n, d, B = 1, bandwidth = 1, clusters = 4, sigma = 0.3, seed = 1 } = {}) {
        check();
        shape(n, d);
        withinBudget('n, d', 'points', 4 * n * (d + 1));
        const outputs = { X: 4 * n * d };
        if (kind === 'clusters') outputs.labels = 4 * n;
        const { copies } = withHeap({}, outputs, (p) =>
          unwrap(Module.kernelPoints(String(kind), n, d, B, bandwidth, clusters, sigma, seed, p.X, p.labels || 0)),
        );
        const out = { X: copies.X };
        if (copies.labels) out.labels = new Int32Array(copies.labels.buffer, copies.labels.byteOffset, n);
        return out;
      },
    });
  };
});
