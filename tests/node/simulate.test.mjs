// The simulate family through the JS API, both flavours: every mode against
// an independent JS double-precision attention with the mode's mask, call
// counts against the closed forms, the float32 normaliser pitfall, packing's
// leak bound, and named errors that leave the module working.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, load, disposeAll, randomMatrix, relativeError } from './helpers.mjs';

after(disposeAll);

/** Attention in double where query i sees key j when seen(i, j); each row's ln Σ as .lse. */
function maskedReference(Q, K, V, n, d, scale, seen) {
  const O = new Float64Array(n * d);
  const lse = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = [];
    let m = -Infinity;
    for (let j = 0; j < n; j++) {
      if (!seen(i, j)) continue;
      let dot = 0;
      for (let k = 0; k < d; k++) dot += Q[i * d + k] * K[j * d + k];
      s.push([j, scale * dot]);
      m = Math.max(m, scale * dot);
    }
    let sum = 0;
    for (const [j, x] of s) {
      const a = Math.exp(x - m);
      sum += a;
      for (let k = 0; k < d; k++) O[i * d + k] += a * V[j * d + k];
    }
    for (let k = 0; k < d; k++) O[i * d + k] /= sum;
    lse[i] = m + Math.log(sum);
  }
  O.lse = lse;
  return O;
}

const masks = {
  full: () => true,
  causal: (i, j) => j <= i,
  window: (r) => (i, j) => j <= i && j > i - r,
  sinks: (r, s) => (i, j) => j <= i && (j > i - r || j < s),
};

function inputs(n, d, B, seed) {
  return { n, d, Q: randomMatrix(n, d, B, seed), K: randomMatrix(n, d, B, seed + 1), V: randomMatrix(n, d, 1, seed + 2) };
}

const ceil = (a, b) => Math.ceil(a / b);

for (const flavour of FLAVOURS) {
  test(`${flavour}: blocks and blocks_lse equal direct attention through the float64 oracle, exact call counts`, async () => {
    const sq = await load(flavour);
    for (const [n, M] of [[64, 8], [90, 16], [33, 33]]) {
      const x = inputs(n, 5, 1, n);
      for (const causal of [false, true]) {
        const ref = maskedReference(x.Q, x.K, x.V, n, 5, 1 / Math.sqrt(5), causal ? masks.causal : masks.full);
        const T = ceil(n, M);
        for (const [mode, calls] of [['blocks', causal ? T * (T + 1) : 2 * T * T], ['blocks_lse', causal ? (T * (T + 1)) / 2 : T * T]]) {
          const r = sq.simulate(mode, x, { M, causal, precision: 'float64' });
          const what = `${mode} n=${n} M=${M} causal=${causal}`;
          assert.ok(r.O instanceof Float64Array, what);
          assert.ok(relativeError(r.O, ref) <= 1e-12, `${what}: ${relativeError(r.O, ref)}`);
          assert.ok(relativeError(r.lnNorm, ref.lse) <= 1e-12, `${what}: lnNorm`);
          assert.equal(r.calls, calls, what);
          assert.equal(r.callsPredicted, calls, what);
          assert.equal(r.against, 'reference');
          assert.ok(r.error <= 1e-12, what);
          assert.ok(r.flops > 0 && r.ms >= 0);
        }
      }
    }
  });

  test(`${flavour}: float32 — blocks_lse ≤ 1e-5, blocks ≤ 1e-4 at entries ≤ 1; blocks breaks at B = 4 (unscaled), blocks_lse does not`, async () => {
    const sq = await load(flavour);
    const x = inputs(200, 16, 1, 7);
    const ref = maskedReference(x.Q, x.K, x.V, 200, 16, 0.25, masks.full);
    const lse = sq.simulate('blocks_lse', x, { M: 64 });
    const paper = sq.simulate('blocks', x, { M: 64 });
    assert.ok(lse.O instanceof Float32Array);
    assert.ok(relativeError(lse.O, ref) <= 1e-5, String(relativeError(lse.O, ref)));
    assert.ok(relativeError(paper.O, ref) <= 1e-4, String(relativeError(paper.O, ref)));
    assert.equal(lse.against, 'flash');
    assert.ok(lse.error <= 1e-5 && paper.error <= 1e-4);
    const y = inputs(128, 4, 4, 8);
    const broken = sq.simulate('blocks', y, { M: 32, scale: 1 });
    assert.ok(broken.failures > 0, 'y = A/(A+1) rounds to 1');
    assert.ok(!(broken.error <= 1e-2), `blocks error ${broken.error}`);
    assert.ok(sq.simulate('blocks_lse', y, { M: 32, scale: 1 }).error <= 1e-5);
  });

  test(`${flavour}: window and sinks equal masked attention (float64 ≤ 1e-12, float32 ≤ 1e-4) in O(N/M) calls`, async () => {
    const sq = await load(flavour);
    for (const [n, M, r, s] of [[150, 16, 4, 2], [61, 10, 9, 10], [200, 32, 8, 3]]) {
      const x = inputs(n, 4, 1, n + M);
      for (const mode of ['window', 'sinks']) {
        const ref = maskedReference(x.Q, x.K, x.V, n, 4, 0.5, mode === 'window' ? masks.window(r) : masks.sinks(r, s));
        const opts = { M, window: r, ...(mode === 'sinks' ? { sinks: s } : {}) };
        const r64 = sq.simulate(mode, x, { ...opts, precision: 'float64' });
        const r32 = sq.simulate(mode, x, opts);
        const what = `${mode} n=${n} M=${M} r=${r} s=${s}`;
        assert.ok(relativeError(r64.O, ref) <= 1e-12, `${what}: ${relativeError(r64.O, ref)}`);
        assert.ok(relativeError(r32.O, ref) <= 1e-4, `${what}: ${relativeError(r32.O, ref)}`);
        assert.equal(r64.calls, r64.callsPredicted, what);
        const chunks = ceil(n, M - r);
        assert.ok(r64.calls >= chunks && r64.calls <= (mode === 'sinks' ? 4 : 2) * chunks, `${what}: ${r64.calls} calls`);
        if (mode === 'window') assert.equal(r64.calls, 2 * chunks - Math.floor(r / (M - r)), what);
      }
    }
  });

  test(`${flavour}: sampled is one call per block and not exact; packed leaks at most its bound`, async () => {
    const sq = await load(flavour);
    const x = inputs(256, 4, 1, 3);
    x.V = x.V.map(Math.abs);  // values that do not cancel (Thm 4.1's condition)
    const s = sq.simulate('sampled', x, { M: 32, seed: 5 });
    assert.equal(s.calls, 8);
    assert.ok(s.error > 1e-3 && s.error < 0.5, String(s.error));
    assert.notDeepEqual(Array.from(sq.simulate('sampled', x, { M: 32, seed: 6 }).O), Array.from(s.O));
    const y = inputs(128, 4, 0.5, 4);
    let last = Infinity;
    for (const B of [1, 2, 3, 4]) {
      const p = sq.simulate('packed', y, { M: 16, B, precision: 'float64' });
      const ref = new Float64Array(128 * 4);
      for (let a = 0; a < 128; a += 16) {
        const sl = (X) => X.subarray(a * 4, (a + 16) * 4);
        ref.set(maskedReference(sl(y.Q), sl(y.K), sl(y.V), 16, 4, 0.5, masks.full), a * 4);
      }
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(p.O[i] - ref[i]));
      assert.equal(p.calls, 1);
      assert.equal(p.codeLength, 6);
      assert.ok(err <= p.leakBound, `B=${B}: ${err} > ${p.leakBound}`);
      assert.ok(err < last);
      last = err;
    }
    assert.ok(last < 1e-5);
  });

  test(`${flavour}: bad input is refused by name and the module keeps working`, async () => {
    const sq = await load(flavour);
    const x = inputs(64, 4, 1, 9);
    const bad = (fn, re) => assert.throws(fn, (e) => e.name === 'SubquadError' && re.test(e.message), String(re));
    bad(() => sq.simulate('blocks', x, { M: 1 }), /^M: got 1, must be in \[2, N = 64\]/);
    bad(() => sq.simulate('blocks', x, { M: 65 }), /^M: got 65/);
    bad(() => sq.simulate('window', x, { M: 16, window: 16 }), /^window: got 16, must be < M = 16/);
    bad(() => sq.simulate('sinks', x, { M: 16, sinks: 17 }), /^sinks: got 17/);
    bad(() => sq.simulate('sampled', x, { causal: true }), /^causal: unknown option for sampled/);
    bad(() => sq.simulate('blocks', x, { precision: 'half' }), /^precision: /);
    bad(() => sq.simulate('ring', x), /^method: unknown simulate method 'ring'/);
    const Q = Float32Array.from(x.Q);
    Q[7] = NaN;
    bad(() => sq.simulate('blocks', { ...x, Q }), /^Q: /);
    bad(() => sq.simulate('blocks', { ...x, n: 65 }), /^Q: length 256 does not match n·d = 260/);
    const big = inputs(1 << 16, 1, 1, 2);
    bad(() => sq.simulate('blocks', big, { M: 64 }), /^M: got 64: blocks needs 2097152 oracle calls at N = 65536, more than the cap/);
    const ok = sq.simulate('blocks_lse', x, { M: 16, precision: 'float64' });
    assert.ok(ok.error <= 1e-12);
  });
}
