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
       * The gradients of O = softmax(scale·QKᵀ)V: given Q, dO (n×d), K, V
       * (n_k×d; n_k defaults to n; causal: query i is key position
       * i + n_k − n) and optionally the forward's O (n×d) and lse (n, as
       * sq.attention(…, { return_lse: true }) gives them; without them flash
       * computes them inside its kernel time, forward_included: true).
       * Returns { dQ, dK, dV, ms (the kernel alone), validate_ms, threads, scale, flops, stats }.
       */
      attentionGrad(method, { Q, K, V, dO, n, n_k, d, O, lse }, options = {}) {
        check();
        const limits = api.schema().families.grad.dims;
        positiveInt('n', n, limits.n.max);
        const keysGiven = n_k !== undefined && n_k !== null;
        const nk = keysGiven ? positiveInt('n_k', n_k, limits.n_k.max) : n;
        positiveInt('d', d, limits.d.max);
        Q = floatArray('Q', Q, n * d, 'n·d');
        K = floatArray('K', K, nk * d, keysGiven ? 'n_k·d' : 'n·d');
        V = floatArray('V', V, nk * d, keysGiven ? 'n_k·d' : 'n·d');
        dO = floatArray('dO', dO, n * d, 'n·d');
        const hasO = O !== undefined && O !== null, hasLse = lse !== undefined && lse !== null;
        if (hasO !== hasLse) fail(`${hasO ? 'lse' : 'O'}: missing: give both O and lse (the forward's output and log-sum-exps) or neither`);
        const inputs = { Q, K, V, dO };
        if (hasO) {
          inputs.O = floatArray('O', O, n * d, 'n·d');
          inputs.lse = floatArray('lse', lse, n, 'n');
        }
        withinBudget('n, n_k, d', 'inputs and outputs', 4 * (n * d * (hasO ? 4 : 3) + 4 * nk * d + (hasO ? n : 0)));
        const bytes = 4 * n * d, kbytes = 4 * nk * d;
        const { result, copies } = withHeap(inputs, { dQ: bytes, dK: kbytes, dV: kbytes }, (p) =>
          unwrap(Module.gradRun(String(method), p.Q, p.K, p.V, p.dO, p.O || 0, p.lse || 0, p.dQ, p.dK, p.dV, n, nk, d,
            stringify(options))),
        );
        return { ...result, dQ: copies.dQ, dK: copies.dK, dV: copies.dV };
      },

      /**
       * The paper's problem (Alman & Song, arXiv 2402.04497, Def. 1.4):
       * L(X) = ½‖softmax(scale·A₁XA₂ᵀ)A₃Y − E‖²_F and dL/dX, for A1, A2, A3, E
       * (n×d each) and X, Y (d×d). method: loss_reference | loss_exact | loss_polynomial.
       * Returns { loss, dX (d×d), ms (the kernel alone), validate_ms, threads, scale, flops,
       * stats: { entry_bound (‖A₁X‖∞), … } }.
       */
      attentionLossGrad(method, { A1, A2, A3, X, Y, E, n, d } = {}, options = {}) {
        check();
        const limits = api.schema().families.grad.dims;
        positiveInt('n', n, limits.n.max);
        positiveInt('d', d, limits.d.max);
        const inputs = {
          A1: floatArray('A1', A1, n * d, 'n·d'),
          A2: floatArray('A2', A2, n * d, 'n·d'),
          A3: floatArray('A3', A3, n * d, 'n·d'),
          X: floatArray('X', X, d * d, 'd·d'),
          Y: floatArray('Y', Y, d * d, 'd·d'),
          E: floatArray('E', E, n * d, 'n·d'),
        };
        withinBudget('n, d', 'inputs and outputs', 4 * (4 * n * d + 3 * d * d));
        const { result, copies } = withHeap(inputs, { dX: 4 * d * d }, (p) =>
          unwrap(Module.gradLossRun(String(method), p.A1, p.A2, p.A3, p.X, p.Y, p.E, p.dX, n, d, stringify(options))),
        );
        return { ...result, dX: copies.dX };
      },

      /**
       * A live training run (THEORY-2.md §2, experiment (c)): gradient descent
       * on X for a planted teacher, E = softmax(scale·A₁X*A₂ᵀ)A₃ (Y = I) with
       * ‖A₁X*‖∞ = teacher·√ln n, from X = 0, twice side by side — once with
       * loss_exact's gradient, once with loss_polynomial's. Step:
       * X ← X − lr·dL/dX, L the paper's loss (a sum over the n rows). Both
       * trajectories' losses are measured exactly (loss_exact); loss_poly_estimate is
       * what loss_polynomial itself reports.
       * Returns a session: next() → one record per step (step 0 = the start)
       * or null when done: { step, loss_exact, loss_poly, loss_poly_estimate,
       * bound_exact, bound_poly (‖A₁X‖∞), threshold (√ln n), ms_exact, ms_poly,
       * left_regime (this step is the polynomial trajectory's first with
       * bound > √ln n), losses_differ (first step with |loss_poly −
       * loss_exact| > 10 % of loss_exact), poly_stopped (why the polynomial
       * trajectory stopped, if it did) }; summary() → the run so far.
       */
      attentionTraining(options = {}) {
        check();
        const cfg = trainingConfig(options);
        return trainingSession(cfg);
      },

      /** attentionTraining run to the end: { records, summary }; onRecord(record) per step. */
      attentionTrainingRun(options = {}, onRecord) {
        const session = api.attentionTraining(options);
        const records = [];
        for (let r = session.next(); r; r = session.next()) {
          records.push(r);
          if (onRecord) onRecord(r);
        }
        return { records, summary: session.summary() };
      },
    });

    // Options of the training run, strict: unknown keys and bad values named.
    // n, d, steps, lr, teacher take their limits from the library's schema
    // (sq.schema().limits['training.*'], cpp/bench/suites.cpp).
    const TRAINING = {
      n: { def: 1024, limit: 'training.n' },
      d: { def: 4, limit: 'training.d' },
      steps: { def: 200, limit: 'training.steps' },
      lr: { def: 3, limit: 'training.lr' },
      teacher: { def: 3, limit: 'training.teacher' },
      degree: { def: 3, int: true, min: 0, max: 12, doc: 'degree g of the polynomial gradient' },
      seed: { def: 1, int: true, min: 0, max: 2 ** 31 - 1, doc: 'random inputs' },
      threads: { def: 0, int: true, min: 0, max: 1024, doc: 'threads; 0 = all the pool has' },
      scale: { def: 'inv_d', doc: 'inv_d (the paper), sqrt, or a number' },
      poly: { def: 'chebyshev', doc: 'chebyshev or taylor' },
    };
    function trainingSpecs() {
      const limits = api.schema().limits;
      const out = {};
      for (const [key, spec] of Object.entries(TRAINING)) {
        const l = spec.limit ? limits[spec.limit] : null;
        out[key] = l ? { ...spec, int: l.type === 'integer', exclusive: !!l.minExclusive, min: l.min, max: l.max, doc: l.doc } : { ...spec };
      }
      return out;
    }
    /** The training run's options: { key: { def, int, min, max, exclusive, doc } }. */
    api.trainingOptions = trainingSpecs;

    function trainingConfig(options) {
      if (options === null || typeof options !== 'object') fail('options: must be an object');
      const cfg = {};
      const specs = trainingSpecs();
      for (const key of Object.keys(options)) {
        if (!(key in specs)) fail(`${key}: unknown option for the training run; options are ${Object.keys(TRAINING).join(', ')}`);
      }
      for (const [key, spec] of Object.entries(specs)) {
        const given = options[key];
        const v = given === undefined || given === null ? spec.def : given;
        if (key === 'scale' || key === 'poly') {
          cfg[key] = v;
          continue;
        }
        const x = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
        const range = spec.exclusive ? `(${spec.min}, ${spec.max}]` : `[${spec.min}, ${spec.max}]`;
        const ok = typeof x === 'number' && Number.isFinite(x) && (spec.int ? Number.isInteger(x) : true) &&
          (spec.exclusive ? x > spec.min : x >= spec.min) && x <= spec.max;
        if (!ok) fail(`${key}: got ${v}, must be ${spec.int ? 'an integer' : 'a finite number'} in ${range} (${spec.doc})`);
        cfg[key] = x;
      }
      if (!['chebyshev', 'taylor'].includes(cfg.poly)) fail(`poly: got '${cfg.poly}', must be chebyshev or taylor`);
      // The methods check the rest (scale, threads, degree against the memory budget) on the first step.
      return cfg;
    }

    // Seeded uniform [−1, 1) (mulberry32), so a run is reproducible everywhere.
    function uniform(count, seed) {
      let a = seed >>> 0;
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        out[i] = 2 * (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 1;
      }
      return out;
    }

    function maxAbsProduct(A, X, n, d) {
      let m = 0;
      for (let i = 0; i < n; i++) {
        for (let b = 0; b < d; b++) {
          let v = 0;
          for (let k = 0; k < d; k++) v += A[i * d + k] * X[k * d + b];
          m = Math.max(m, Math.abs(v));
        }
      }
      return m;
    }

    function trainingSession(cfg) {
      const { n, d, steps, lr } = cfg;
      const threshold = Math.sqrt(Math.log(n));
      const A1 = uniform(n * d, cfg.seed * 7 + 1), A2 = uniform(n * d, cfg.seed * 7 + 2), A3 = uniform(n * d, cfg.seed * 7 + 3);
      const Y = new Float32Array(d * d);
      for (let k = 0; k < d; k++) Y[k * d + k] = 1;
      // The teacher: a random X* scaled so that ‖A₁X*‖∞ = teacher·√ln n.
      const Xs = uniform(d * d, cfg.seed * 7 + 4);
      const rescale = (cfg.teacher * threshold) / Math.max(maxAbsProduct(A1, Xs, n, d), 1e-30);
      for (let t = 0; t < d * d; t++) Xs[t] *= rescale;
      const exactOptions = { scale: cfg.scale, threads: cfg.threads };
      const polyOptions = { ...exactOptions, degree: cfg.degree, poly: cfg.poly };
      // E = the exact attention output at X*: L(X*) = 0 with E = 0 gives ½‖O*‖², so take O* from the forward.
      const Qs = new Float32Array(n * d);
      for (let i = 0; i < n; i++) {
        for (let b = 0; b < d; b++) {
          let v = 0;
          for (let k = 0; k < d; k++) v += A1[i * d + k] * Xs[k * d + b];
          Qs[i * d + b] = v;
        }
      }
      // One polynomial call at X = 0 checks the options (degree against the memory budget,
      // scale, threads) before the run starts, and resolves the scale.
      const scale = api.attentionLossGrad('loss_polynomial',
        { A1, A2, A3, X: new Float32Array(d * d), Y, E: new Float32Array(n * d), n, d }, polyOptions).scale;
      const E = api.attention('flash', { Q: Qs, K: A2, V: A3, n, d }, { scale, threads: cfg.threads }).O;
      const teacherBound = maxAbsProduct(A1, Xs, n, d);
      const Xe = new Float64Array(d * d), Xp = new Float64Array(d * d);
      const problem = (X) => ({ A1, A2, A3, X: Float32Array.from(X), Y, E, n, d });
      let step = 0;
      let polyStopped = null;
      let leftAt = null, differAt = null, leftExactAt = null;
      const last = { loss_exact: null, loss_poly: null };
      const first = { loss_exact: null, loss_poly: null };
      const update = (X, dX) => {
        for (let t = 0; t < d * d; t++) X[t] -= lr * dX[t];
      };
      return {
        config: { ...cfg, threshold, teacher_bound: teacherBound, scale },
        next() {
          if (step > steps) return null;
          const record = { step, threshold };
          const e = api.attentionLossGrad('loss_exact', problem(Xe), exactOptions);
          record.loss_exact = e.loss;
          record.bound_exact = e.stats.entry_bound;
          record.ms_exact = e.ms;
          if (!polyStopped) {
            try {
              const pe = api.attentionLossGrad('loss_exact', problem(Xp), exactOptions);
              record.loss_poly = pe.loss;
              record.bound_poly = pe.stats.entry_bound;
              const p = api.attentionLossGrad('loss_polynomial', problem(Xp), polyOptions);
              record.loss_poly_estimate = p.loss;
              record.ms_poly = p.ms;
              record.rank = p.stats.rank;
              if (![...p.dX].every(Number.isFinite)) throw new Error('dX: the polynomial gradient is not finite');
              if (step < steps) update(Xp, p.dX);
            } catch (err) {
              // Out of the polynomial's range (R > 64, entries past the limit): it stops here.
              if (step === 0 || /^cancelled/.test(err.message)) throw err;
              polyStopped = err.message;
              record.poly_stopped = polyStopped;
            }
          }
          if (step < steps) update(Xe, e.dX);
          for (const key of ['loss_poly', 'bound_poly', 'loss_poly_estimate']) if (!(key in record)) record[key] = null;
          if (leftAt === null && record.bound_poly !== null && record.bound_poly > threshold) {
            leftAt = step;
            record.left_regime = true;
          }
          if (leftExactAt === null && record.bound_exact > threshold) leftExactAt = step;
          if (differAt === null && (record.loss_poly === null ||
              Math.abs(record.loss_poly - record.loss_exact) > 0.1 * record.loss_exact)) {
            differAt = step;
            record.losses_differ = true;
          }
          if (step === 0) Object.assign(first, { loss_exact: record.loss_exact, loss_poly: record.loss_poly });
          last.loss_exact = record.loss_exact;
          if (record.loss_poly !== null) last.loss_poly = record.loss_poly;
          step++;
          return record;
        },
        summary() {
          return {
            steps_done: step, steps, lr, n, d, degree: cfg.degree, threshold, teacher_bound: teacherBound,
            left_regime: leftAt, left_regime_exact: leftExactAt, losses_differ: differAt, poly_stopped: polyStopped,
            first, last,
          };
        },
      };
    }
  };
});
