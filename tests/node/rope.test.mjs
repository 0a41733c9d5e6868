// RoPE attention (rope_reference, rope_flash, rope_polynomial) through the JS API,
// against a JS double-precision reference: rotate Q and K by position, then softmax.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, load, disposeAll, randomMatrix, attentionReference, relativeError } from './helpers.mjs';

after(disposeAll);

/** Position m turns pair t by m·θ_t, θ_t = base^(−2t/d); pairs (2t, 2t+1) or (t, t + d/2). */
function rotate(X, n, d, { base = 10000, layout = 'interleaved' } = {}) {
  const out = new Float64Array(n * d);
  for (let m = 0; m < n; m++) {
    for (let t = 0; t < d / 2; t++) {
      const a = layout === 'half' ? t : 2 * t;
      const b = layout === 'half' ? t + d / 2 : 2 * t + 1;
      const phi = m * base ** (-2 * t / d);
      const x = X[m * d + a];
      const y = X[m * d + b];
      out[m * d + a] = x * Math.cos(phi) - y * Math.sin(phi);
      out[m * d + b] = x * Math.sin(phi) + y * Math.cos(phi);
    }
  }
  return out;
}

function ropeReference(Q, K, V, n, d, { base, layout, causal = false, scale = 1 / Math.sqrt(d) } = {}) {
  return attentionReference(rotate(Q, n, d, { base, layout }), rotate(K, n, d, { base, layout }), V, n, d, { causal, scale });
}

for (const flavour of FLAVOURS) {
  test(`${flavour}: rope_reference and rope_flash match the JS RoPE reference (≤ 1e-5), both layouts`, async () => {
    const sq = await load(flavour);
    const names = sq.methods().attention.map((m) => m.name);
    for (const name of ['rope_reference', 'rope_flash', 'rope_polynomial']) assert.ok(names.includes(name), name);
    for (const { n, d } of [{ n: 1, d: 2 }, { n: 65, d: 8 }, { n: 130, d: 64 }]) {
      const Q = randomMatrix(n, d, 1, 1 + n);
      const K = randomMatrix(n, d, 1, 2 + n);
      const V = randomMatrix(n, d, 1, 3 + n);
      for (const layout of ['interleaved', 'half']) {
        for (const causal of [false, true]) {
          const base = layout === 'half' ? 500 : 10000;
          const ref = ropeReference(Q, K, V, n, d, { base, layout, causal });
          for (const [name, threads] of [['rope_reference', undefined], ['rope_flash', 1], ['rope_flash', sq.info().threads]]) {
            const opts = { causal, rope_base: base, rope_layout: layout };
            if (threads !== undefined) opts.threads = threads;
            const r = sq.attention(name, { Q, K, V, n, d }, opts);
            const err = relativeError(r.O, ref);
            assert.ok(err <= 1e-5, `${name} n=${n} d=${d} ${layout} causal=${causal}: ${err}`);
          }
        }
      }
    }
  });

  test(`${flavour}: rope_polynomial meets its error bound vs the JS RoPE reference`, async () => {
    const sq = await load(flavour);
    const n = 200;
    const d = 8;
    const Q = randomMatrix(n, d, 1, 5);
    const K = randomMatrix(n, d, 1, 6);
    const V = randomMatrix(n, d, 1, 7);
    const ref = ropeReference(Q, K, V, n, d, { scale: 1 / d });
    const r = sq.attention('rope_polynomial', { Q, K, V, n, d }, { scale: 'inv_d', degree: 4 });
    assert.equal(r.stats.rank, 495);
    let diff = 0;
    for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(r.O[i] - ref[i]));
    assert.ok(diff <= r.stats.error_bound + 1e-5, `error ${diff} vs bound ${r.stats.error_bound}`);
    assert.ok(diff <= 1e-4, `error ${diff}`);
  });

  test(`${flavour}: bad RoPE input is refused by name and the module keeps working`, async () => {
    const sq = await load(flavour);
    const n = 16;
    const Q = randomMatrix(n, 5, 1, 9);
    assert.throws(() => sq.attention('rope_flash', { Q, K: Q, V: Q, n, d: 5 }, {}),
      /d: got 5, must be even for rope_flash/);
    const X = randomMatrix(n, 6, 1, 10);
    assert.throws(() => sq.attention('rope_flash', { Q: X, K: X, V: X, n, d: 6 }, { rope_base: 0 }), /rope_base: got 0/);
    assert.throws(() => sq.attention('rope_reference', { Q: X, K: X, V: X, n, d: 6 }, { rope_base: -1 }), /rope_base: got -1/);
    assert.throws(() => sq.attention('rope_polynomial', { Q: X, K: X, V: X, n, d: 6 }, { rope_layout: 'diagonal' }),
      /rope_layout: got 'diagonal'/);
    assert.throws(() => sq.attention('rope_flash', { Q: X, K: X, V: X, n, d: 6 }, { diagonal: true }),
      /diagonal: unknown option for rope_flash/);
    assert.throws(() => sq.attentionCost('rope_flash', 64, 7, {}), /d: got 7, must be even/);
    const bad = X.slice();
    bad[4] = NaN;
    assert.throws(() => sq.attention('rope_flash', { Q: X, K: bad, V: X, n, d: 6 }, {}), /K: entry 4 is nan/);
    const r = sq.attention('rope_flash', { Q: X, K: X, V: X, n, d: 6 }, { rope_layout: 'half' });
    assert.ok(relativeError(r.O, ropeReference(X, X, X, n, 6, { layout: 'half' })) <= 1e-5);
    const c = sq.attentionCost('rope_flash', 4096, 64, {});
    assert.ok(c.flops > sq.attentionCost('flash', 4096, 64, {}).flops);
  });
}

/** Attention with diagonal position matrices, double: A_ij = exp(s·Σ_l q_il w_{i−j,l} k_jl). */
function positionalReference(Q, K, V, W, n, d, { causal = false, scale = 1 / Math.sqrt(d) } = {}) {
  const O = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const keys = causal ? i + 1 : n;
    const s = new Float64Array(keys);
    let m = -Infinity;
    for (let j = 0; j < keys; j++) {
      let dot = 0;
      for (let l = 0; l < d; l++) dot += Q[i * d + l] * W[(i - j + n - 1) * d + l] * K[j * d + l];
      s[j] = scale * dot;
      m = Math.max(m, s[j]);
    }
    let z = 0;
    for (let j = 0; j < keys; j++) {
      const a = Math.exp(s[j] - m);
      z += a;
      for (let l = 0; l < d; l++) O[i * d + l] += a * V[j * d + l];
    }
    for (let l = 0; l < d; l++) O[i * d + l] /= z;
  }
  return O;
}

for (const flavour of FLAVOURS) {
  test(`${flavour}: positional_reference and positional_fft match the JS reference; bad W refused, module keeps working`, async () => {
    const sq = await load(flavour);
    const n = 100;
    const d = 4;
    const Q = randomMatrix(n, d, 0.5, 21);
    const K = randomMatrix(n, d, 0.5, 22);
    const V = randomMatrix(n, d, 1, 23);
    const W = randomMatrix(2 * n - 1, d, 1, 24);
    for (const causal of [false, true]) {
      const ref = positionalReference(Q, K, V, W, n, d, { causal, scale: 1 / d });
      const exact = sq.attention('positional_reference', { Q, K, V, W, n, d }, { causal, scale: 'inv_d' });
      assert.ok(relativeError(exact.O, ref) <= 1e-5, `reference: ${relativeError(exact.O, ref)}`);
      const fast = sq.attention('positional_fft', { Q, K, V, W, n, d }, { causal, scale: 'inv_d', degree: 8 });
      assert.equal(fast.stats.pieces, 495);  // C(4 + 8, 8)
      let diff = 0;
      for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(fast.O[i] - ref[i]));
      assert.ok(diff <= 1e-6, `positional_fft causal=${causal}: ${diff}`);
    }
    assert.throws(() => sq.attention('positional_fft', { Q, K, V, W: W.subarray(1), n, d }), /W: length 795 does not match \(2n−1\)·d = 796/);
    assert.throws(() => sq.attention('positional_fft', { Q, K, V, n, d }), /W: missing/);
    const bad = W.slice();
    bad[7] = Infinity;
    assert.throws(() => sq.attention('positional_reference', { Q, K, V, W: bad, n, d }), /W: entry 7 is inf/);
    assert.throws(() => sq.attention('flash', { Q, K, V, W, n, d }), /W: given, but method 'flash' takes no W/);
    // support = rope: standard RoPE through C(2d+g, g) Toeplitz pieces, the same P as rope_polynomial.
    const opts = { scale: 'inv_d', degree: 3, R: 0.5 };
    const viaFft = sq.attention('positional_fft', { Q, K, V, n, d }, { ...opts, support: 'rope' });
    assert.equal(viaFft.stats.pieces, 165);  // C(8 + 3, 3)
    const viaRotation = sq.attention('rope_polynomial', { Q, K, V, n, d }, opts);
    assert.ok(relativeError(viaFft.O, viaRotation.O) <= 2e-6, `${relativeError(viaFft.O, viaRotation.O)}`);
    const again = sq.attention('positional_reference', { Q, K, V, W, n, d }, { scale: 'inv_d' });
    assert.ok(relativeError(again.O, positionalReference(Q, K, V, W, n, d, { scale: 1 / d })) <= 1e-5);
  });
}
