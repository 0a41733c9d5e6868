// The kernel family through the JS API, both flavours: every product against
// an independent JS double-precision kernel sum, the polynomial's and fgt's
// stated bounds, Laplacian solves checked by the JS Laplacian, the point
// generators, st and mt agreeing, and named errors that leave the module working.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, load, disposeAll, randomMatrix, kernelReference } from './helpers.mjs';

after(disposeAll);

const l1 = (w) => w.reduce((s, v) => s + Math.abs(v), 0);
const maxAbs = (a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

function binomial(n, k) {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

const SHAPES = [
  { n: 1, d: 1, h: 1 },
  { n: 37, d: 3, h: 0.8 },
  { n: 130, d: 2, h: 1.5 },
  { n: 97, d: 8, h: 2 },
];

for (const flavour of FLAVOURS) {
  test(`${flavour}: reference, exact, polynomial and fgt against the JS kernel sum (both ops)`, async () => {
    const sq = await load(flavour);
    const threads = sq.info().threads;
    for (const { n, d, h } of SHAPES) {
      const X = randomMatrix(n, d, 1, n + d), w = randomMatrix(n, 1, 1, 7);
      for (const op of ['adjacency', 'laplacian']) {
        const want = kernelReference(X, n, d, w, { bandwidth: h, laplacian: op === 'laplacian' });
        const scale = Math.max(maxAbs(want), 1e-30);
        const at = `n=${n} d=${d} ${op}`;
        for (const method of ['reference', 'exact']) {
          const r = sq.kernelProduct(method, { X, n, d, w }, method === 'exact' ? { bandwidth: h, op, threads } : { bandwidth: h, op });
          const err = maxAbs(r.y.map((v, i) => v - want[i])) / scale;
          assert.ok(err <= 1e-5, `${method} ${at}: ${err}`);
          assert.ok(r.stats.B > 0 || n === 1);
        }
        if (d > 3) continue;  // polynomial and fgt: low d keeps ranks small here
        const p = sq.kernelProduct('polynomial', { X, n, d, w }, { bandwidth: h, op, error: 1e-6, threads });
        const g = p.stats.degree;
        assert.equal(p.stats.rank, binomial(d + 2 + g, g), at);
        assert.ok(p.stats.delta <= 1e-6, at);
        const f = sq.kernelProduct('fgt', { X, n, d, w }, { bandwidth: h, op, error: 1e-5, threads });
        assert.ok(f.stats.error_bound <= 1e-5 * (1 + 1e-9), at);
        if (op === 'adjacency') {
          for (let i = 0; i < n; i++) {
            const allowed = (p.stats.delta + p.stats.rounding_bound) * l1(w) + 6e-8 * Math.abs(want[i]);
            assert.ok(Math.abs(p.y[i] - want[i]) <= allowed, `polynomial ${at} row ${i}`);
            assert.ok(Math.abs(f.y[i] - want[i]) <= f.stats.error_bound * l1(w) + 1e-7 * l1(w), `fgt ${at} row ${i}`);
          }
        }
      }
    }
  });

  test(`${flavour}: product form (rank C(d+g, g)), L·1 = 0, generators report B`, async () => {
    const sq = await load(flavour);
    const n = 200, d = 2;
    const { X } = sq.kernelPoints('ball', { n, d, B: 4, bandwidth: 1, seed: 3 });
    let B = 0;
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) B = Math.max(B, (X[2 * i] - X[2 * j]) ** 2 + (X[2 * i + 1] - X[2 * j + 1]) ** 2);
    assert.ok(B <= 4 + 1e-5 && B > 3, `B = ${B}`);
    const w = randomMatrix(n, 1, 1, 4);
    const want = kernelReference(X, n, d, w);
    const r = sq.kernelProduct('polynomial', { X, n, d, w }, { factor: 'product', error: 1e-6 });
    assert.equal(r.stats.rank, binomial(d + r.stats.degree, r.stats.degree));
    assert.ok(maxAbs(r.y.map((v, i) => v - want[i])) <= (r.stats.delta + 1e-12) * l1(w) + 1e-6);
    const ones = new Float32Array(n).fill(1);
    for (const method of ['reference', 'exact', 'polynomial', 'fgt']) {
      const L1 = sq.kernelProduct(method, { X, n, d, w: ones }, { op: 'laplacian' });
      assert.ok(maxAbs(L1.y) <= 1e-9 * n, `${method}: ${maxAbs(L1.y)}`);
    }
    const c = sq.kernelPoints('clusters', { n: 30, d: 2, B: 16, clusters: 3, sigma: 0.1, seed: 2 });
    assert.equal(c.labels.length, 30);
    assert.equal(c.labels[4], 1);
  });

  test(`${flavour}: laplacianSolve reaches ‖r‖/‖b‖ ≤ 1e-6 and L z = b holds under the JS Laplacian`, async () => {
    const sq = await load(flavour);
    const n = 240, d = 2;
    const { X } = sq.kernelPoints('clusters', { n, d, B: 9, clusters: 3, sigma: 0.5, seed: 8 });
    const b = randomMatrix(n, 1, 1, 9);
    const mean = b.reduce((s, v) => s + v, 0) / n;
    for (let i = 0; i < n; i++) b[i] -= mean;
    for (const product of ['exact', 'polynomial']) {
      const r = sq.laplacianSolve('laplacian_solve', { X, n, d, b }, { product, error: 1e-9, threads: sq.info().threads });
      assert.equal(r.stats.converged, 1, product);
      assert.ok(r.stats.residual <= 1e-6, `${product}: ${r.stats.residual}`);
      const Lz = kernelReference(X, n, d, r.z, { laplacian: true });
      let num = 0, den = 0;
      for (let i = 0; i < n; i++) {
        num += (Lz[i] - b[i]) ** 2;
        den += b[i] ** 2;
      }
      assert.ok(Math.sqrt(num / den) <= 2e-5, `${product}: ${Math.sqrt(num / den)}`);
    }
    const capped = sq.laplacianSolve('laplacian_solve', { X, n, d, b }, { iterations: 2, tolerance: 1e-12 });
    assert.equal(capped.stats.converged, 0);
    assert.equal(capped.stats.iterations, 2);
  });

  test(`${flavour}: laplacianLabels recovers well-separated Gaussian clusters from 3 seeds each`, async () => {
    const sq = await load(flavour);
    const n = 600, d = 2;
    const { X, labels: truth } = sq.kernelPoints('clusters', { n, d, B: 64, clusters: 4, sigma: 0.6, seed: 3 });
    const seeds = new Int32Array(n).fill(-1);
    for (let i = 0; i < 12; i++) seeds[i] = truth[i];  // points i, i+4, i+8 of each cluster
    const r = sq.laplacianLabels('laplacian_solve', { X, n, d, seeds }, { threads: sq.info().threads });
    assert.equal(r.classes, 4);
    let right = 0;
    for (let i = 0; i < n; i++) right += r.labels[i] === truth[i] ? 1 : 0;
    assert.ok(right >= 0.97 * n, `${right} of ${n}`);
    assert.ok(r.solves.every((s) => s.converged === 1));
    assert.throws(() => sq.laplacianLabels('laplacian_solve', { X, n, d, seeds: new Int32Array(n).fill(-1) }), /^SubquadError: seeds: needs|seeds: needs/);
  });

  test(`${flavour}: bad input is refused by name and the module keeps working`, async () => {
    const sq = await load(flavour);
    const n = 16, d = 3;
    const X = randomMatrix(n, d, 1, 1), w = randomMatrix(n, 1, 1, 2);
    const bad = (fn, re) => assert.throws(fn, (e) => e.name === 'SubquadError' && re.test(e.message), String(re));
    bad(() => sq.kernelProduct('exact', { X, n, d, w }, { bandwidth: 0 }), /^bandwidth: got 0/);
    bad(() => sq.kernelProduct('exact', { X, n, d, w }, { bandwidth: 'wide' }), /^bandwidth: got 'wide'/);
    bad(() => sq.kernelProduct('polynomial', { X, n, d, w }, { error: 1 }), /^error: got 1/);
    bad(() => sq.kernelProduct('polynomial', { X, n, d, w }, { error: 0 }), /^error: got 0/);
    bad(() => sq.kernelProduct('exact', { X, n, d, w }, { degree: 3 }), /^degree: unknown option for exact/);
    bad(() => sq.kernelProduct('exact', { X, n, d, w: w.subarray(1) }), /^w: length 15 does not match n = 16/);
    bad(() => sq.laplacianSolve('laplacian_solve', { X, n, d, b: w.subarray(2) }), /^b: length 14/);
    const nan = X.slice();
    nan[4] = NaN;
    bad(() => sq.kernelProduct('exact', { X: nan, n, d, w }), /^X: entry 4 is nan/);
    bad(() => sq.kernelProduct('gauss', { X, n, d, w }), /^method: unknown kernel method/);
    const big = randomMatrix(8, 64, 1, 3);
    bad(() => sq.kernelProduct('polynomial', { X: big, n: 8, d: 64, w: w.subarray(0, 8) }, { degree: 12 }), /^degree: got 12/);
    bad(() => sq.kernelProduct('polynomial', { X: big, n: 8, d: 64, w: w.subarray(0, 8) }, { bandwidth: 0.01 }), /^error: got 1e-06/);
    bad(() => sq.kernelPoints('cube', { n: 4, d: 2 }), /^kind: got 'cube'/);
    const r = sq.kernelProduct('exact', { X, n, d, w });
    const want = kernelReference(X, n, d, w);
    assert.ok(maxAbs(r.y.map((v, i) => v - want[i])) <= 1e-5 * maxAbs(want));
    const cost = sq.cost('kernel', 'exact', { n: 16384, d: 8 }, {});
    assert.ok(cost.flops > 0 && cost.memory_bytes > 0);
    const m = sq.measure({ suite: 'kernel', method: 'exact', n: 300, d: 3, B: 4, min_ms: 1, check_rows: 300 });
    assert.ok(m.error_rel <= 1e-5 && m.median_ms > 0 && m.B_bound >= 4 * 0.9, JSON.stringify(m));
    const p = sq.measure({ suite: 'kernel', method: 'polynomial', n: 300, d: 2, B: 4, min_ms: 1, check_rows: 300, compare_exact: true });
    assert.ok(p.error_l1 <= p.delta + 1e-7 && p.speedup > 0 && p.rank > 0, JSON.stringify(p));
  });
}

test('st and mt agree: exact bit for bit (each row is one thread\'s), polynomial to rounding', async () => {
  const [st, mt] = await Promise.all(FLAVOURS.map(load));
  const n = 300, d = 4;
  const X = randomMatrix(n, d, 1, 11), w = randomMatrix(n, 1, 1, 12);
  const a = st.kernelProduct('exact', { X, n, d, w }, { bandwidth: 2 });
  const b = mt.kernelProduct('exact', { X, n, d, w }, { bandwidth: 2, threads: mt.info().threads });
  assert.deepEqual(Array.from(a.y), Array.from(b.y));
  const p = st.kernelProduct('polynomial', { X, n, d, w }, { bandwidth: 2 });
  const q = mt.kernelProduct('polynomial', { X, n, d, w }, { bandwidth: 2, threads: mt.info().threads });
  assert.ok(maxAbs(p.y.map((v, i) => v - q.y[i])) <= 1e-6 * l1(w));
});
