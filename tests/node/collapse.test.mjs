// The collapse family through the JS API, both flavours: san_forward and its
// report against an independent JS double-precision network (weights passed
// in as W), a seeded run agreeing across st and mt, the merged layer at L = 1,
// res_norm's closed form, and named errors that leave the module working.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, load, disposeAll, randomMatrix, relativeError } from './helpers.mjs';

after(disposeAll);

/** One head in double: softmax(s·(AW_Q)(AW_K)ᵀ)·AW_V, W at offset o (Q, K, V, each d×d). */
function head(A, n, d, W, o, s) {
  const proj = (off) => {
    const P = new Float64Array(n * d);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < d; k++)
        for (let j = 0; j < d; j++) P[i * d + j] += A[i * d + k] * W[off + k * d + j];
    return P;
  };
  const Q = proj(o), K = proj(o + d * d), V = proj(o + 2 * d * d);
  const out = new Float64Array(n * d), p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += Q[i * d + k] * K[j * d + k];
      p[j] = s * dot;
      m = Math.max(m, p[j]);
    }
    let sum = 0;
    for (let j = 0; j < n; j++) sum += (p[j] = Math.exp(p[j] - m));
    for (let j = 0; j < n; j++)
      for (let k = 0; k < d; k++) out[i * d + k] += (p[j] / sum) * V[j * d + k];
  }
  return out;
}

function resNorm(A, n, d) {
  let r = 0;
  for (let j = 0; j < d; j++) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, A[i * d + j]);
      hi = Math.max(hi, A[i * d + j]);
    }
    r = Math.max(r, (hi - lo) / 2);
  }
  return r;
}

/** The L-layer network (merged: all heads fed X in one layer), its output and res_norm per layer. */
function network(X, n, d, W, { layers, heads, s, residual, merged = false }) {
  let S = Float64Array.from(X);
  const res = [resNorm(S, n, d)];
  const acc = new Float64Array(n * d);
  for (let l = 0; l < layers; l++) {
    const input = merged ? Float64Array.from(X) : S;
    const sum = new Float64Array(n * d);
    for (let h = 0; h < heads; h++) {
      const o = head(input, n, d, W, (l * heads + h) * 3 * d * d, s);
      for (let t = 0; t < n * d; t++) sum[t] += o[t];
    }
    if (merged) for (let t = 0; t < n * d; t++) acc[t] += sum[t];
    else {
      S = Float64Array.from(S, (x, t) => (residual ? x + sum[t] : sum[t]));
      res.push(resNorm(S, n, d));
    }
  }
  if (merged) S = Float64Array.from(X, (x, t) => (residual ? x + acc[t] : acc[t]));
  return { S, res };
}

const maxDiff = (a, b) => a.reduce((m, x, t) => Math.max(m, Math.abs(x - b[t])), 0);

function report(X, n, d, W, opts) {
  const deep = network(X, n, d, W, opts);
  const merged = network(X, n, d, W, { ...opts, merged: true });
  const first = network(X, n, d, W, { ...opts, layers: 1 });
  const other = network(X, n, d, W, { ...opts, residual: !opts.residual });
  return {
    S: deep.S,
    deviation: maxDiff(deep.S, X),
    merged_error: maxDiff(deep.S, merged.S),
    first_layer_error: maxDiff(deep.S, first.S),
    res: { [opts.residual ? 'skip' : 'noskip']: deep.res, [opts.residual ? 'noskip' : 'skip']: other.res },
  };
}

const uniformWeights = (count, eta, seed) => randomMatrix(count, 1, eta, seed);

for (const flavour of FLAVOURS) {
  test(`${flavour}: san_forward and reference with given W agree with the JS double network and its report`, async () => {
    const sq = await load(flavour);
    for (const { n, d, layers, heads, eta, residual } of [
      { n: 1, d: 1, layers: 2, heads: 1, eta: 0.3, residual: true },
      { n: 13, d: 5, layers: 3, heads: 2, eta: 0.05, residual: true },
      { n: 24, d: 8, layers: 4, heads: 2, eta: 0.1, residual: false },
    ]) {
      const X = randomMatrix(n, d, 2, n + d);
      const W = uniformWeights(layers * heads * 3 * d * d, eta, 7 + layers);
      const ref = report(X, n, d, W, { layers, heads, s: 1, residual });
      for (const method of ['san_forward', 'reference']) {
        const r = sq.collapse(method, { X, n, d, W }, { layers, heads, residual });
        const at = `${method} n=${n} d=${d} residual=${residual}`;
        assert.ok(relativeError(r.S, ref.S) <= 1e-5, `${at}: S ${relativeError(r.S, ref.S)}`);
        for (const key of ['deviation', 'merged_error', 'first_layer_error']) {
          assert.ok(Math.abs(r[key] - ref[key]) <= 1e-4 * ref[key] + 1e-6 * ref.deviation + 1e-30,
            `${at}: ${key} ${r[key]} vs ${ref[key]}`);
        }
        assert.ok(Math.abs(r.merged_ratio - r.merged_error / r.deviation) <= 1e-12);
        for (const skip of ['skip', 'noskip']) {
          const got = r.per_layer[`res_norm_${skip}`];
          assert.equal(got.length, layers + 1);
          got.forEach((v, l) => assert.ok(Math.abs(v - ref.res[skip][l]) <= 1e-5 * Math.max(1, ref.res[skip][l]),
            `${at}: res_norm_${skip}[${l}] ${v} vs ${ref.res[skip][l]}`));
        }
        assert.ok(r.deviation <= r.deviation_bound);
        assert.ok(r.entry_bound > 0 && r.entry_bound === Math.max(r.entry_bound_q, r.entry_bound_k));
      }
    }
  });

  test(`${flavour}: san_merged equals san_forward at L = 1; res_norm's closed form`, async () => {
    const sq = await load(flavour);
    const n = 30, d = 6;
    const X = randomMatrix(n, d, 1, 3);
    const opts = { layers: 1, heads: 3, eta: 0.2, seed: 4 };
    const a = sq.collapse('san_forward', { X, n, d }, opts), b = sq.collapse('san_merged', { X, n, d }, opts);
    assert.ok(relativeError(b.S, a.S) <= 1e-6);
    assert.ok(a.merged_error <= 1e-6 * a.deviation);
    // fit_one_layer: no step is the merged layer; a hundred Adam steps take it below it.
    const f0 = sq.collapse('fit_one_layer', { X, n, d }, { ...opts, layers: 2, steps: 0 });
    assert.deepEqual(Array.from(f0.S), Array.from(sq.collapse('san_merged', { X, n, d }, { ...opts, layers: 2 }).S));
    const f = sq.collapse('fit_one_layer', { X, n, d }, { ...opts, layers: 2, eta: 0.05, steps: 100 });
    const deep = sq.collapse('san_forward', { X, n, d }, { ...opts, layers: 2, eta: 0.05 });
    assert.ok(f.train_loss_last < 0.1 * f.train_loss_first && f.fit_ratio < deep.merged_ratio, JSON.stringify({ fit: f.fit_ratio, merged: deep.merged_ratio }));
    const r = sq.collapse('res_norm', { X: [1, 5, 3, -1, 2, 0], n: 3, d: 2 });
    assert.equal(r.res_norm, 3);
    assert.deepEqual(Array.from(r.S), [-1, 3, 1, -3, 0, -2]);
  });

  test(`${flavour}: bad input is refused by name and the module keeps working`, async () => {
    const sq = await load(flavour);
    const n = 8, d = 4;
    const X = randomMatrix(n, d, 1, 1);
    const bad = (fn, re) => assert.throws(fn, (e) => e.name === 'SubquadError' && re.test(e.message), String(re));
    bad(() => sq.collapse('san_forward', { X, n, d }, { eta: 0 }), /^eta: got 0/);
    bad(() => sq.collapse('san_forward', { X, n, d }, { eta: -0.1 }), /^eta: got -0.1/);
    bad(() => sq.collapse('san_forward', { X, n, d }, { eta: NaN }), /^eta: got/);
    bad(() => sq.collapse('san_forward', { X, n, d }, { eta: Infinity }), /^eta: got/);
    bad(() => sq.collapse('san_forward', { X, n, d }, { layers: 65 }), /^layers: got 65/);
    bad(() => sq.collapse('san_merged', { X, n, d }, { heads: 17 }), /^heads: got 17/);
    bad(() => sq.collapse('san_forward', { X: X.subarray(1), n, d }), /^X: length 31 does not match n·d = 32/);
    bad(() => sq.collapse('san_forward', { X, n: 0, d }), /^n: got 0/);
    bad(() => sq.collapse('san_forward', { X, n: 1, d: 129 }), /^d: got 129/);
    bad(() => sq.collapse('san_forward', { X, n, d, W: new Float32Array(5) }), /^W: length 5/);
    bad(() => sq.collapse('san_forward', { X, n, d, W: new Float32Array(6 * 2 * 3 * 16) }, { eta: 0.1 }),
      /^eta: not used when W is given/);
    bad(() => sq.collapse('san_forward', { X, n, d }, { eta: 100, layers: 64 }), /^eta: layer \d+'s projections reach/);
    bad(() => sq.collapse('sanforward', { X, n, d }), /^method: unknown collapse method/);
    bad(() => sq.collapse('res_norm', { X, n, d }, { layers: 2 }), /^layers: unknown option for res_norm/);
    const r = sq.collapse('san_forward', { X, n, d }, { eta: 0.01 });
    assert.ok(r.deviation > 0 && r.merged_ratio < 0.2, JSON.stringify({ deviation: r.deviation, ratio: r.merged_ratio }));
    const cost = sq.cost('collapse', 'san_forward', { n: 256, d: 16 }, { layers: 4 });
    assert.ok(cost.flops > 0 && cost.memory_bytes > 0);
  });
}

test('a seeded run agrees across st and mt within 1e-5 (output and report)', async () => {
  const [st, mt] = await Promise.all(FLAVOURS.map(load));
  const n = 64, d = 16;
  const X = randomMatrix(n, d, 1.7, 11);
  for (const residual of [true, false]) {
    const opts = { layers: 6, heads: 2, eta: 0.02, seed: 5, residual };
    const a = st.collapse('san_forward', { X, n, d }, opts), b = mt.collapse('san_forward', { X, n, d }, { ...opts, threads: 2 });
    assert.ok(relativeError(b.S, a.S) <= 1e-5, `S ${relativeError(b.S, a.S)}`);
    for (const key of ['deviation', 'merged_error', 'first_layer_error', 'merged_ratio', 'entry_bound'])
      assert.ok(Math.abs(a[key] - b[key]) <= 1e-5 * Math.abs(a[key]) + 1e-6 * a.deviation, `${key}: st ${a[key]} mt ${b[key]}`);
    // And both against the double reference of the same seeded weights.
    const ref = st.collapse('reference', { X, n, d }, opts);
    assert.ok(relativeError(a.S, ref.S) <= 1e-5);
    assert.ok(Math.abs(a.merged_error - ref.merged_error) <= 1e-3 * ref.merged_error + 1e-6 * ref.deviation);
  }
});
