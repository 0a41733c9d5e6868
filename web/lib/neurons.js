// subquad's neurons family in JS: which neurons of a two-layer shifted-ReLU
// network fire, dense or with weight–data correlation trees (cpp/neurons/).
// A network lives in the WASM heap: sq.neuronsInit makes it and returns a
// handle, sq.neuronsStep runs one gradient step of a method on it, and
// handle.dispose() frees it. The core (web/lib/subquad.js) installs this file.
(function (root, factory) {
  const install = factory();
  if (typeof module === 'object' && module.exports) module.exports = install;
  else (root.subquadFamilies = root.subquadFamilies || {}).neurons = install;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  return function install(api, core) {
    const { Module, check, fail, unwrap, stringify, positiveInt } = core;
    // The handles this instance made: a handle of another (restarted or disposed) instance is refused.
    const mine = new WeakSet();

    function owned(state) {
      if (!state || typeof state !== 'object' || typeof state.id !== 'number') {
        fail('state: must be a handle from sq.neuronsInit');
      }
      if (!mine.has(state)) {
        fail('state: this handle belongs to another module instance (the module was restarted or disposed); make a new one with sq.neuronsInit');
      }
      if (state.disposed) fail('state: this handle was disposed');
      return state;
    }

    Object.assign(api, {
      /**
       * A network of width m on n points in ℝ^d with threshold b, drawn from
       * `seed` (data: 'gaussian' — x on the sphere, w ~ N(0, I) — or 'planted',
       * ±1/√d vectors with one pair w = x, a Max-IP instance). Returns a handle
       * { id, n, m, d, b, leaves, tree_mb, data, planted_i, planted_r,
       * gaussian_tail, ms, disposed, dispose(), snapshot() }.
       */
      neuronsInit({ n, m, d, b, seed, data } = {}) {
        check();
        const dims = api.schema().families.neurons.dims;
        positiveInt('n', n, dims.n.max);
        positiveInt('m', m, dims.m.max);
        positiveInt('d', d, dims.d.max);
        if (b !== undefined && (typeof b !== 'number' || !Number.isFinite(b))) {
          fail(`b: got ${b}, must be a finite number`);
        }
        const info = unwrap(Module.neuronsCreate(n, m, d, stringify({ b, seed, data })));
        const state = {
          ...info,
          disposed: false,
          /** Frees the network (a later step with this handle throws). */
          dispose() {
            if (state.disposed) return;
            state.disposed = true;
            try {
              Module.neuronsDispose(state.id);
            } catch (e) {
              // The module is gone (disposed, aborted): nothing left to free.
            }
          },
          /** Copies of X (n×d), W (m×d), y (n) and a (m) as they are now. */
          snapshot() {
            check();
            owned(state);
            return unwrap(Module.neuronsData(state.id));
          },
        };
        mine.add(state);
        return state;
      },

      /**
       * One gradient step of `method` ('reference', 'dense', 'dtree') on the
       * handle's network; options { lr, batch, update, threads }. Returns
       * { method, step, batch, loss, fired, firing_fraction, visits,
       * max_visits, moved, ms_build, ms_query, ms_forward, ms_repair, ms, threads }.
       */
      neuronsStep(method, state, options = {}) {
        check();
        owned(state);
        return unwrap(Module.neuronsStep(String(method), state.id, stringify(options)));
      },

      /**
       * A short training run in one call (the page's worker runs it): a fresh
       * network from { n, m, d, b, seed, data }, `steps` steps of `method` with
       * { lr, batch, update, threads }, then the network is freed. Returns
       * { network (neuronsInit's fields), records: one per step }.
       */
      neuronsTrain({ method = 'dtree', steps = 1, n, m, d, b, seed, data, ...options } = {}) {
        check();
        positiveInt('steps', steps, 1000);
        const state = api.neuronsInit({ n, m, d, b, seed, data });
        try {
          const records = [];
          for (let t = 0; t < steps; t++) records.push(api.neuronsStep(method, state, options));
          const { dispose, snapshot, disposed, ...network } = state;
          return { network, records };
        } finally {
          state.dispose();
        }
      },
    });
  };
});
