// The neurons family through the JS API, both flavours: each step against a JS
// double-precision step computed from a snapshot of the network, dtree against
// dense, st against mt, the firing fraction against the Gaussian tail, and
// named errors (bad b, batch > n, disposed or foreign handles) that leave the
// module working.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSubquad } from '../../web/lib/subquad.mjs';
import { FLAVOURS, load, disposeAll } from './helpers.mjs';

after(disposeAll);

/** One step in double from { X, W, y, a }: f, loss, fired, moved and the stepped W. */
function stepReference({ X, W, y, a }, n, m, d, b, { lr = 1, batch = 0, step = 0 } = {}) {
  const s = batch || n, scale = 1 / Math.sqrt(m), start = ((step % n) * (s % n)) % n;
  const points = Array.from({ length: s }, (_, j) => (start + j) % n);
  const c = new Float64Array(s * m), f = new Float64Array(s);
  let fired = 0, loss = 0;
  points.forEach((i, j) => {
    let sum = 0;
    for (let r = 0; r < m; r++) {
      let z = 0;
      for (let k = 0; k < d; k++) z += X[i * d + k] * W[r * d + k];
      c[j * m + r] = z;
      if (z > b) {
        sum += a[r] * (z - b);
        fired++;
      }
    }
    f[j] = sum * scale;
    loss += (f[j] - y[i]) ** 2;
  });
  const next = Float64Array.from(W), on = new Uint8Array(m);
  points.forEach((i, j) => {
    const e = ((f[j] - y[i]) * scale) / s;
    for (let r = 0; r < m; r++) {
      if (!(c[j * m + r] > b)) continue;
      on[r] = 1;
      for (let k = 0; k < d; k++) next[r * d + k] -= lr * a[r] * e * X[i * d + k];
    }
  });
  return { loss: loss / (2 * s), fired, moved: on.reduce((t, v) => t + v, 0), W: next };
}

function relative(a, b) {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

const shape = { n: 45, m: 300, d: 8, b: 0.8, seed: 7 };
const recordsByFlavour = {};

for (const flavour of FLAVOURS) {
  test(`neurons (${flavour}): dense and dtree steps equal a JS double step, and each other`, async () => {
    const sq = await load(flavour);
    for (const batch of [0, 16]) {
      const dense = sq.neuronsInit(shape), tree = sq.neuronsInit(shape);
      const records = [];
      try {
        for (let t = 0; t < 4; t++) {
          const before = dense.snapshot();
          const want = stepReference(before, shape.n, shape.m, shape.d, shape.b, { lr: 2, batch, step: t });
          const rd = sq.neuronsStep('dense', dense, { lr: 2, batch });
          const rt = sq.neuronsStep('dtree', tree, { lr: 2, batch });
          assert.equal(rd.batch, batch || shape.n);
          assert.ok(Math.abs(rd.fired - want.fired) <= 2, `fired ${rd.fired} vs ${want.fired}`);
          assert.ok(Math.abs(rd.loss - want.loss) <= 1e-5 * want.loss, `loss ${rd.loss} vs ${want.loss}`);
          assert.ok(relative(dense.snapshot().W, want.W) < 1e-5);
          // The trees fire on exactly the set dense computes.
          assert.equal(rt.fired, rd.fired);
          assert.equal(rt.moved, rd.moved);
          assert.ok(Math.abs(rt.loss - rd.loss) <= 1e-6 * rd.loss);
          assert.ok(rt.visits >= (batch || shape.n));
          assert.ok(rt.moved > 0 && rt.moved <= shape.m);
          records.push({ fired: rt.fired, moved: rt.moved, loss: rt.loss });
        }
        assert.ok(relative(tree.snapshot().W, dense.snapshot().W) < 1e-6);
      } finally {
        dense.dispose();
        tree.dispose();
      }
      recordsByFlavour[`${flavour}-${batch}`] = records;
    }
  });
}

test('neurons: st and mt take the same steps', () => {
  for (const batch of [0, 16]) {
    const st = recordsByFlavour[`st-${batch}`], mt = recordsByFlavour[`mt-${batch}`];
    assert.ok(st && mt, 'both flavours ran');
    st.forEach((r, t) => {
      assert.equal(mt[t].fired, r.fired);
      assert.equal(mt[t].moved, r.moved);
      assert.ok(Math.abs(mt[t].loss - r.loss) <= 1e-6 * r.loss);
    });
  }
});

for (const flavour of FLAVOURS) {
  test(`neurons (${flavour}): firing fraction is the Gaussian tail; the planted pair is found`, async () => {
    const sq = await load(flavour);
    for (const b of [0.5, 1.5, 2.5]) {
      const state = sq.neuronsInit({ n: 100, m: 2000, d: 32, b, seed: 3 });
      try {
        const r = sq.neuronsStep('dtree', state, { update: false });
        const p = state.gaussian_tail, sigma = Math.sqrt((p * (1 - p)) / 2000);
        assert.ok(Math.abs(r.firing_fraction - p) <= 4 * sigma + 1e-4, `b ${b}: ${r.firing_fraction} vs ${p}`);
        assert.equal(r.moved, 0);
      } finally {
        state.dispose();
      }
    }
    const planted = sq.neuronsInit({ n: 128, m: 1024, d: 64, b: 0.8, seed: 4, data: 'planted' });
    try {
      assert.ok(planted.planted_i >= 0 && planted.planted_r >= 0);
      const r = sq.neuronsStep('dtree', planted, { update: false });
      assert.equal(r.fired, 1);
      assert.ok(r.ms_build > 0);
    } finally {
      planted.dispose();
    }
  });

  test(`neurons (${flavour}): bad input is refused by name and the module keeps working`, async () => {
    const sq = await load(flavour);
    const refuses = (fn, param, text) =>
      assert.throws(fn, (e) => e instanceof sq.SubquadError && e.param === param && (!text || e.message.includes(text)));
    refuses(() => sq.neuronsInit({ n: 0, m: 4, d: 4 }), 'n');
    refuses(() => sq.neuronsInit({ n: 4, m: 2 ** 21, d: 4 }), 'm');
    refuses(() => sq.neuronsInit({ n: 4, m: 4, d: 4, b: NaN }), 'b');
    refuses(() => sq.neuronsInit({ n: 4, m: 4, d: 4, b: Infinity }), 'b');
    refuses(() => sq.neuronsInit({ n: 4, m: 4, d: 4, data: 'uniform' }), 'data');
    sq.setMemoryBudget(1 << 20);
    try {
      refuses(() => sq.neuronsInit({ n: 64, m: 4096, d: 8 }), 'm', 'trees of 2·4096 floats need 2.0 MiB');
    } finally {
      sq.setMemoryBudget(0);
    }
    const state = sq.neuronsInit({ n: 10, m: 20, d: 3, b: 1 });
    refuses(() => sq.neuronsStep('dtree', state, { batch: 11 }), 'batch', 'at most n = 10');
    refuses(() => sq.neuronsStep('dtree', state, { b: 2 }), 'b', 'neuronsInit');
    refuses(() => sq.neuronsStep('dtree', state, { lr: NaN }), 'lr');
    refuses(() => sq.neuronsStep('lsh', state, {}), 'method');
    refuses(() => sq.neuronsStep('dtree', {}, {}), 'state');
    assert.equal(sq.neuronsStep('dtree', state, { batch: 10 }).batch, 10);
    state.dispose();
    refuses(() => sq.neuronsStep('dtree', state, {}), 'state', 'disposed');
    state.dispose();  // twice is harmless
    // A handle of another module instance (one that was then disposed): refused, saying so.
    const other = await createSubquad({ flavour: 'st' });
    const foreign = other.neuronsInit({ n: 4, m: 4, d: 4 });
    other.dispose();
    refuses(() => other.neuronsStep('dtree', foreign, {}), 'module', 'disposed');
    refuses(() => sq.neuronsStep('dtree', foreign, {}), 'state', 'another module instance');
    assert.equal(sq.module.neuronsCount(), 0);
    const again = sq.neuronsInit({ n: 8, m: 16, d: 4, b: 0.5 });
    assert.equal(sq.neuronsStep('dense', again, {}).batch, 8);
    again.dispose();
  });
}
