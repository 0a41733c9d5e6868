// The grad family's loss methods (the paper's L(X) and dL/dX) and the live
// training run through the JS API, both flavours: against an independent JS
// double-precision gradient (itself checked against central differences of
// L), the ⟨dL/dX, I⟩ = dF/dλ identity, named refusals, and the run's records.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, load, disposeAll, randomMatrix, relativeError } from './helpers.mjs';

after(disposeAll);

function matmul(A, B, n, d) {
  const C = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) for (let b = 0; b < d; b++) C[i * d + b] += A[i * d + k] * B[k * d + b];
  return C;
}

/** L and dL/dX = s·A₁ᵀ[f ∘ (c hᵀ − r 1ᵀ)]A₂ in double, obvious loops (n×n f). */
function lossReference({ A1, A2, A3, X, Y, E, n, d }, s) {
  const Q = matmul(A1, X, n, d), h = matmul(A3, Y, n, d);
  const g = new Float64Array(d * d), f = new Float64Array(n), c = new Float64Array(d);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let m = -Infinity, sum = 0;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += Q[i * d + k] * A2[j * d + k];
      m = Math.max(m, (f[j] = s * dot));
    }
    for (let j = 0; j < n; j++) sum += (f[j] = Math.exp(f[j] - m));
    for (let j = 0; j < n; j++) f[j] /= sum;
    for (let k = 0; k < d; k++) {
      let o = 0;
      for (let j = 0; j < n; j++) o += f[j] * h[j * d + k];
      c[k] = o - E[i * d + k];
      loss += 0.5 * c[k] * c[k];
    }
    const q = new Float64Array(n);
    let r = 0;
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < d; k++) q[j] += c[k] * h[j * d + k];
      r += f[j] * q[j];
    }
    const pA = new Float64Array(d);
    for (let j = 0; j < n; j++) {
      const p = f[j] * (q[j] - r);
      for (let b = 0; b < d; b++) pA[b] += p * A2[j * d + b];
    }
    for (let x = 0; x < d; x++) for (let b = 0; b < d; b++) g[x * d + b] += s * A1[i * d + x] * pA[b];
  }
  return { loss, dX: g };
}

function problem(n, d, { x = 1 / d, a = 1, seed = 1 } = {}) {
  return {
    A1: randomMatrix(n, d, a, seed), A2: randomMatrix(n, d, a, seed + 1), A3: randomMatrix(n, d, 1, seed + 2),
    X: randomMatrix(d, d, x, seed + 3), Y: randomMatrix(d, d, 1, seed + 4), E: randomMatrix(n, d, 1, seed + 5), n, d,
  };
}

test('the JS loss gradient is the gradient of L (central differences)', () => {
  for (const [n, d] of [[1, 1], [7, 2], [12, 3]]) {
    const p = problem(n, d, { x: 0.8 });
    p.X = Float64Array.from(p.X);
    const s = 1 / Math.sqrt(d);
    const { dX } = lossReference(p, s);
    const fd = new Float64Array(d * d), h = 1e-6;
    for (let t = 0; t < d * d; t++) {
      const x = p.X[t];
      p.X[t] = x + h;
      const up = lossReference(p, s).loss;
      p.X[t] = x - h;
      const down = lossReference(p, s).loss;
      p.X[t] = x;
      fd[t] = (up - down) / (2 * h);
    }
    assert.ok(relativeError(dX, fd) <= 1e-7, `n=${n} d=${d}: ${relativeError(dX, fd)}`);
  }
});

const SHAPES = [
  { n: 1, d: 1 },
  { n: 65, d: 3 },
  { n: 130, d: 8 },
  { n: 97, d: 4, a: 4, x: 1, scale: 1 }, // scores past 88: exp overflows float32
];

for (const flavour of FLAVOURS) {
  test(`${flavour}: loss_reference and loss_exact match the JS gradient (rel. <= 1e-4); loss_polynomial at small entries`, async () => {
    const sq = await load(flavour);
    for (const { n, d, a = 1, x, scale } of SHAPES) {
      const p = problem(n, d, { a, x: x ?? 1 / d, seed: n + d });
      const s = scale ?? 1 / Math.sqrt(d);
      const ref = lossReference(p, s);
      for (const method of ['loss_reference', 'loss_exact']) {
        const options = method === 'loss_exact' ? { scale: s, threads: sq.info().threads } : { scale: s };
        const r = sq.attentionLossGrad(method, p, options);
        const err = relativeError(r.dX, ref.dX);
        assert.ok(err <= 1e-4, `${method} n=${n} d=${d}: ${err}`);
        assert.ok(Math.abs(r.loss - ref.loss) <= 1e-5 * ref.loss, `${method} loss ${r.loss} vs ${ref.loss}`);
        assert.ok(r.ms >= 0 && r.validate_ms >= 0 && r.flops > 0 && r.stats.entry_bound >= 0);
      }
    }
    const p = problem(200, 4, { x: 0.1, seed: 9 });
    const ref = lossReference(p, 0.25);
    const r = sq.attentionLossGrad('loss_polynomial', p, { scale: 'inv_d', degree: 6, threads: sq.info().threads });
    assert.ok(relativeError(r.dX, ref.dX) <= 1e-4, `polynomial: ${relativeError(r.dX, ref.dX)}`);
    assert.equal(r.stats.rank, 210);
    assert.equal(r.stats.negative_denominators, 0);
  });

  test(`${flavour}: ⟨dL/dX, I⟩ = dF/dλ of F(λ) = L(λI) (E = 0, Y = I)`, async () => {
    const sq = await load(flavour);
    const n = 50, d = 4;
    const p = problem(n, d, { a: 1.5, seed: 21 });
    p.E = new Float32Array(n * d);
    p.Y = new Float32Array(d * d);
    for (let k = 0; k < d; k++) p.Y[k * d + k] = 1;
    const F = (l) => {
      const X = new Float64Array(d * d);
      for (let k = 0; k < d; k++) X[k * d + k] = l;
      return lossReference({ ...p, X }, 1 / d).loss;
    };
    for (const lambda of [0.5, 1.5]) {
      const X = new Float32Array(d * d);
      for (let k = 0; k < d; k++) X[k * d + k] = lambda;
      const r = sq.attentionLossGrad('loss_exact', { ...p, X }, { scale: 'inv_d' });
      let trace = 0;
      for (let k = 0; k < d; k++) trace += r.dX[k * d + k];
      const h = 1e-5, dF = (F(lambda + h) - F(lambda - h)) / (2 * h);
      assert.ok(Math.abs(dF) > 1e-3 && Math.abs(trace - dF) <= 1e-4 * Math.abs(dF), `λ=${lambda}: ${trace} vs ${dF}`);
    }
  });

  test(`${flavour}: bad input is refused by name and the module keeps working`, async () => {
    const sq = await load(flavour);
    const n = 8, d = 3;
    const p = problem(n, d);
    const bad = (fn, re) => assert.throws(fn, (e) => e.name === 'SubquadError' && re.test(e.message), String(re));
    bad(() => sq.attentionLossGrad('loss_exact', { ...p, A2: p.A2.subarray(3) }), /^A2: length 21 does not match n·d = 24/);
    bad(() => sq.attentionLossGrad('loss_exact', { ...p, X: p.A1 }), /^X: length 24 does not match d·d = 9/);
    bad(() => sq.attentionLossGrad('loss_exact', { ...p, Y: undefined }), /^Y: must be a Float32Array/);
    const E = p.E.slice();
    E[5] = NaN;
    bad(() => sq.attentionLossGrad('loss_polynomial', { ...p, E }), /^E: entry 5 is nan/);
    E[5] = Infinity;
    bad(() => sq.attentionLossGrad('loss_reference', { ...p, E }), /^E: entry 5 is inf/);
    bad(() => sq.attentionLossGrad('loss_exact', p, { causal: true }), /^causal: unknown option for loss_exact/);
    bad(() => sq.attentionLossGrad('loss_exakt', p), /^method: unknown grad method 'loss_exakt', known: .*loss_exact/);
    bad(() => sq.attentionLossGrad('loss_exact', { ...p, n: 0 }), /^n: got 0/);
    const wide = problem(8, 64, { x: 0.001 });
    bad(() => sq.attentionLossGrad('loss_polynomial', wide, { degree: 6 }), /^degree: got 6: rank C\(d\+g, g\) = .* memory budget is/);
    const r = sq.attentionLossGrad('loss_exact', p);
    assert.ok(relativeError(r.dX, lossReference(p, 1 / Math.sqrt(d)).dX) <= 1e-4);
    const cost = sq.cost('grad', 'loss_polynomial', { n: 4096, d: 8 }, { degree: 4 });
    assert.ok(cost.flops > 0 && cost.memory_bytes > 0);
    assert.deepEqual(sq.schema().families.grad.methods.loss_exact.inputs.map((i) => `${i.name}:${i.shape}`),
      ['A1:n×d', 'A2:n×d', 'A3:n×d', 'X:d×d', 'Y:d×d', 'E:n×d']);
    const m = sq.measure({ suite: 'grad', method: 'loss_polynomial', n: 300, d: 4, degree: 5, scale: 'inv_d', min_ms: 1 });
    assert.ok(m.error <= 1e-3 && m.error_against === 'loss_exact' && m.loss > 0, JSON.stringify(m));
  });

  test(`${flavour}: the training run — exact loss falls at a small lr, records well formed, limits refused by name`, async () => {
    const sq = await load(flavour);
    const steps = 25;
    const { records, summary } = sq.attentionTrainingRun({ n: 256, d: 4, steps, lr: 1, threads: sq.info().threads });
    assert.equal(records.length, steps + 1);
    const threshold = Math.sqrt(Math.log(256));
    records.forEach((r, k) => {
      assert.equal(r.step, k);
      assert.equal(r.threshold, threshold);
      for (const key of ['loss_exact', 'bound_exact', 'ms_exact']) assert.ok(Number.isFinite(r[key]) && r[key] >= 0, `${key} at ${k}`);
      for (const key of ['loss_poly', 'bound_poly', 'loss_poly_estimate']) assert.ok(r[key] === null || Number.isFinite(r[key]), `${key} at ${k}`);
      if (k > 0) assert.ok(r.loss_exact <= records[k - 1].loss_exact * (1 + 1e-6), `exact loss rose at step ${k}`);
    });
    assert.ok(records[steps].loss_exact < 0.9 * records[0].loss_exact, `${records[0].loss_exact} → ${records[steps].loss_exact}`);
    // Step 0 is X = 0: both trajectories start at the same point, inside the regime.
    assert.equal(records[0].loss_poly, records[0].loss_exact);
    assert.equal(records[0].bound_exact, 0);
    assert.equal(summary.steps_done, steps + 1);
    const marked = records.filter((r) => r.left_regime).map((r) => r.step);
    assert.deepEqual(marked, summary.left_regime === null ? [] : [summary.left_regime]);
    if (summary.left_regime !== null) {
      assert.ok(records[summary.left_regime].bound_poly > threshold);
      assert.ok(records.slice(0, summary.left_regime).every((r) => r.bound_poly <= threshold));
    }
    // A session streams: next() gives one record at a time, null at the end.
    const session = sq.attentionTraining({ n: 64, d: 2, steps: 2 });
    assert.equal(session.next().step, 0);
    assert.equal(session.next().step, 1);
    assert.equal(session.next().step, 2);
    assert.equal(session.next(), null);
    const bad = (opts, re) => assert.throws(() => sq.attentionTraining(opts), (e) => e.name === 'SubquadError' && re.test(e.message), String(re));
    bad({ steps: 10001 }, /^steps: got 10001, must be an integer in \[1, 10000\]/);
    bad({ steps: 2.5 }, /^steps: got 2.5/);
    for (const lr of [0, -1, NaN, Infinity, 10.5]) bad({ lr }, /^lr: got/);
    bad({ teacher: 0 }, /^teacher: got 0/);
    bad({ n: 65537 }, /^n: got 65537/);
    bad({ stpes: 3 }, /^stpes: unknown option for the training run/);
    bad({ n: 64, d: 16, degree: 12 }, /^degree: got 12: rank/);
    assert.equal(sq.attentionTraining({ steps: 10000, lr: 10, n: 64, d: 2 }).config.steps, 10000);
  });
}
