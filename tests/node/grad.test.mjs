// The grad family through the JS API, both flavours: reference and flash
// against an independent JS double-precision backward (itself checked against
// finite differences of attentionReference), O and lse given or not, and
// named errors that leave the module working.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, load, disposeAll, randomMatrix, relativeError, attentionReference } from './helpers.mjs';

after(disposeAll);

/** dQ, dK, dV of O = softmax(scale·QKᵀ)V for upstream dO, in double, obvious loops. */
function gradReference(Q, K, V, dO, n, d, { scale = 1 / Math.sqrt(d), causal = false, nk = n } = {}) {
  const O = attentionReference(Q, K, V, n, d, { scale, causal, nk });
  const dQ = new Float64Array(n * d), dK = new Float64Array(nk * d), dV = new Float64Array(nk * d);
  for (let i = 0; i < n; i++) {
    let D = 0;
    for (let k = 0; k < d; k++) D += dO[i * d + k] * O[i * d + k];
    const keys = causal ? i + nk - n + 1 : nk;
    for (let j = 0; j < keys; j++) {
      let s = 0, dp = 0;
      for (let k = 0; k < d; k++) {
        s += Q[i * d + k] * K[j * d + k];
        dp += dO[i * d + k] * V[j * d + k];
      }
      const P = Math.exp(scale * s - O.lse[i]);
      const ds = P * (dp - D);
      for (let k = 0; k < d; k++) {
        dQ[i * d + k] += scale * ds * K[j * d + k];
        dK[j * d + k] += scale * ds * Q[i * d + k];
        dV[j * d + k] += P * dO[i * d + k];
      }
    }
  }
  return { dQ, dK, dV };
}

function lossOf(Q, K, V, dO, n, d, opts) {
  const O = attentionReference(Q, K, V, n, d, opts);
  let L = 0;
  for (let t = 0; t < n * d; t++) L += dO[t] * O[t];
  return L;
}

test('the JS backward is the gradient of Σ dO∘O (central differences)', () => {
  const n = 6, d = 3;
  for (const causal of [false, true]) {
    const [Q, K, V, dO] = [1, 2, 3, 4].map((s) => Float64Array.from(randomMatrix(n, d, 1, s)));
    const g = gradReference(Q, K, V, dO, n, d, { causal });
    const h = 1e-6;
    for (const [name, X] of [['dQ', Q], ['dK', K], ['dV', V]]) {
      const fd = new Float64Array(n * d);
      for (let t = 0; t < n * d; t++) {
        const x = X[t];
        X[t] = x + h;
        const up = lossOf(Q, K, V, dO, n, d, { causal });
        X[t] = x - h;
        const down = lossOf(Q, K, V, dO, n, d, { causal });
        X[t] = x;
        fd[t] = (up - down) / (2 * h);
      }
      assert.ok(relativeError(g[name], fd) <= 1e-7, `${name} causal=${causal}: ${relativeError(g[name], fd)}`);
    }
  }
});

const SHAPES = [
  { n: 1, d: 1 },
  { n: 65, d: 3, causal: true },
  { n: 130, d: 16 },
  { n: 97, d: 8, causal: true, B: 4, scale: 1 },  // scores past 88: exp overflows float32
];

for (const flavour of FLAVOURS) {
  test(`${flavour}: reference and flash match the JS backward (rel. error <= 1e-4), O and lse given or not`, async () => {
    const sq = await load(flavour);
    for (const { n, d, causal = false, B = 1, scale } of SHAPES) {
      const Q = randomMatrix(n, d, B, 1), K = randomMatrix(n, d, B, 2), V = randomMatrix(n, d, 1, 3),
        dO = randomMatrix(n, d, 1, 4);
      const s = scale ?? 1 / Math.sqrt(d);
      const ref = gradReference(Q, K, V, dO, n, d, { scale: s, causal });
      const { O, lse } = sq.attention('flash', { Q, K, V, n, d }, { causal, scale: s, return_lse: true });
      for (const method of ['reference', 'flash']) {
        for (const given of [false, true]) {
          const input = given ? { Q, K, V, dO, n, d, O, lse } : { Q, K, V, dO, n, d };
          const options = method === 'flash' ? { causal, scale: s, threads: sq.info().threads } : { causal, scale: s };
          const r = sq.attentionGrad(method, input, options);
          for (const name of ['dQ', 'dK', 'dV']) {
            const err = relativeError(r[name], ref[name]);
            assert.ok(err <= 1e-4, `${method} n=${n} d=${d} causal=${causal} given=${given} ${name}: ${err}`);
          }
          assert.ok(r.ms >= 0 && r.validate_ms >= 0);
          assert.equal(r.forward_included, method === 'flash' && !given);
        }
      }
    }
  });

  test(`${flavour}: polynomial nears the exact gradient at small entries; rank beyond the budget refused as degree`, async () => {
    const sq = await load(flavour);
    const n = 150, d = 4;
    const Q = randomMatrix(n, d, 0.5, 5), K = randomMatrix(n, d, 0.5, 6), V = randomMatrix(n, d, 1, 7),
      dO = randomMatrix(n, d, 1, 8);
    const ref = gradReference(Q, K, V, dO, n, d, { scale: 1 / d });
    const r = sq.attentionGrad('polynomial', { Q, K, V, dO, n, d }, { scale: 'inv_d', degree: 6, threads: sq.info().threads });
    for (const name of ['dQ', 'dK', 'dV']) assert.ok(relativeError(r[name], ref[name]) <= 1e-4, `${name}: ${relativeError(r[name], ref[name])}`);
    assert.equal(r.stats.rank, 210);
    // Causal: through prefix states, against the JS causal backward; n_k ≠ n refused then.
    const refc = gradReference(Q, K, V, dO, n, d, { scale: 1 / d, causal: true });
    const rc = sq.attentionGrad('polynomial', { Q, K, V, dO, n, d }, { scale: 'inv_d', degree: 6, causal: true });
    for (const name of ['dQ', 'dK', 'dV']) assert.ok(relativeError(rc[name], refc[name]) <= 1e-4, `causal ${name}: ${relativeError(rc[name], refc[name])}`);
    const K2 = randomMatrix(n + 1, d, 0.5, 6), V2 = randomMatrix(n + 1, d, 1, 7);
    assert.throws(() => sq.attentionGrad('polynomial', { Q, K: K2, V: V2, dO, n, n_k: n + 1, d }, { causal: true }),
      (e) => e.name === 'SubquadError' && /^n_k: got 151 ≠ n = 150; the causal polynomial gradient needs n_k = n/.test(e.message));
    const big = randomMatrix(8, 512, 0.01, 9);
    assert.throws(() => sq.attentionGrad('polynomial', { Q: big, K: big, V: big, dO: big, n: 8, d: 512 }, { degree: 6 }),
      (e) => /^degree: got 6: rank C\(d\+g, g\) = /.test(e.message));
  });

  test(`${flavour}: bad input is refused by name and the module keeps working`, async () => {
    const sq = await load(flavour);
    const n = 8, d = 4;
    const [Q, K, V, dO] = [1, 2, 3, 4].map((s) => randomMatrix(n, d, 1, s));
    const bad = (fn, re) => assert.throws(fn, (e) => e.name === 'SubquadError' && re.test(e.message), String(re));
    bad(() => sq.attentionGrad('flash', { Q, K: K.subarray(4), V, dO, n, d }), /^K: length 28 does not match n·d = 32/);
    bad(() => sq.attentionGrad('flash', { Q, K, V, dO: dO.subarray(1), n, d }), /^dO: length/);
    const nan = dO.slice();
    nan[5] = NaN;
    bad(() => sq.attentionGrad('flash', { Q, K, V, dO: nan, n, d }), /^dO: entry 5 is nan/);
    nan[5] = Infinity;
    bad(() => sq.attentionGrad('reference', { Q, K, V, dO: nan, n, d }), /^dO: entry 5 is inf/);
    bad(() => sq.attentionGrad('flash', { Q, K, V, dO, n, d, O: Q }), /^lse: missing/);
    bad(() => sq.attentionGrad('flash', { Q, K, V, dO, n, d }, { degree: 3 }), /^degree: unknown option for flash/);
    bad(() => sq.attentionGrad('polynomal', { Q, K, V, dO, n, d }), /^method: unknown grad method/);
    bad(() => sq.attentionGrad('flash', { Q, K, V, dO, n: 0, d }), /^n: got 0/);
    const r = sq.attentionGrad('flash', { Q, K, V, dO, n, d });
    const ref = gradReference(Q, K, V, dO, n, d);
    assert.ok(relativeError(r.dQ, ref.dQ) <= 1e-4);
    const cost = sq.cost('grad', 'flash', { n: 4096, d: 64 }, { causal: true });
    assert.ok(cost.flops > 0 && cost.memory_bytes > 0);
    const m = sq.measure({ suite: 'grad', method: 'flash', n: 200, d: 16, min_ms: 1, check_rows: 200 });
    assert.ok(m.error <= 1e-4 && m.forward_median_ms > 0 && m.backward_over_forward > 0, JSON.stringify(m));
  });
}

for (const flavour of FLAVOURS) {
  test(`${flavour}: n_k ≠ n — reference, flash and polynomial match the JS backward; causal with n_k < n refused`, async () => {
    const sq = await load(flavour);
    for (const { n, nk, d, causal } of [{ n: 1, nk: 70, d: 3, causal: true }, { n: 65, nk: 130, d: 8, causal: true }, { n: 90, nk: 40, d: 4, causal: false }]) {
      const Q = randomMatrix(n, d, 1, 11), K = randomMatrix(nk, d, 1, 12), V = randomMatrix(nk, d, 1, 13), dO = randomMatrix(n, d, 1, 14);
      const ref = gradReference(Q, K, V, dO, n, d, { causal, nk });
      for (const method of ['reference', 'flash']) {
        const r = sq.attentionGrad(method, { Q, K, V, dO, n, n_k: nk, d }, { causal });
        for (const name of ['dQ', 'dK', 'dV']) {
          assert.equal(r[name].length, (name === 'dQ' ? n : nk) * d);
          assert.ok(relativeError(r[name], ref[name]) <= 1e-4, `${method} n=${n} n_k=${nk} ${name}: ${relativeError(r[name], ref[name])}`);
        }
      }
      if (!causal) {
        const small = (x) => x.map((v) => v / 2);
        const [Qs, Ks] = [small(Q), small(K)];
        const refs = gradReference(Qs, Ks, V, dO, n, d, { scale: 1 / d, nk });
        const p = sq.attentionGrad('polynomial', { Q: Qs, K: Ks, V, dO, n, n_k: nk, d }, { scale: 'inv_d', degree: 6 });
        for (const name of ['dQ', 'dK', 'dV']) assert.ok(relativeError(p[name], refs[name]) <= 1e-4, `polynomial ${name}`);
      }
    }
    const Q = randomMatrix(10, 2, 1, 1), K = randomMatrix(6, 2, 1, 2);
    assert.throws(() => sq.attentionGrad('flash', { Q, K, V: K, dO: Q, n: 10, n_k: 6, d: 2 }, { causal: true }),
      (e) => e.name === 'SubquadError' && /^n_k: got 6, must be >= n when causal/.test(e.message));
    assert.throws(() => sq.attentionGrad('flash', { Q, K, V: K, dO: Q, n: 10, n_k: 7, d: 2 }),
      (e) => e.name === 'SubquadError' && /^K: length 12 does not match n_k·d = 14/.test(e.message));
  });
}
