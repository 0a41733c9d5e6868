// Attention through the JS API, against an independent JS double-precision reference.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pickOptions } from '../../web/app/schema.js';
import { FLAVOURS, load, disposeAll, randomMatrix, attentionReference, relativeError } from './helpers.mjs';

after(disposeAll);

/** positional_* take the position weights W ((2n−1)×d) besides Q, K, V. */
const takesW = (sq, name) => sq.schema().families.attention.methods[name].inputs.some((i) => i.name === 'W');

const SHAPES = [
  { n: 1, d: 1 },
  { n: 7, d: 3 },
  { n: 97, d: 64 },
  { n: 200, d: 17, causal: true },
  { n: 130, d: 8, scale: 1 / 8 },
];

for (const flavour of FLAVOURS) {
  test(`${flavour}: exact attention matches the JS reference (rel. error <= 1e-5)`, async () => {
    const sq = await load(flavour);
    for (const { n, d, causal = false, scale } of SHAPES) {
      const Q = randomMatrix(n, d, 1, 10 + n);
      const K = randomMatrix(n, d, 1, 20 + n);
      const V = randomMatrix(n, d, 1, 30 + n);
      const ref = attentionReference(Q, K, V, n, d, { causal, scale: scale ?? 1 / Math.sqrt(d) });
      for (const threads of [1, sq.info().threads]) {
        const r = sq.attention('exact', { Q, K, V, n, d }, { causal, threads, scale });
        const err = relativeError(r.O, ref);
        assert.ok(err <= 1e-5, `n=${n} d=${d} causal=${causal} threads=${threads}: error ${err}`);
        assert.equal(r.threads, threads);
        assert.ok(r.ms >= 0);
      }
    }
  });

  test(`${flavour}: the registry is listed and every method runs`, async () => {
    const sq = await load(flavour);
    const names = sq.methods().attention.map((m) => m.name);
    for (const name of ['exact_reference', 'exact', 'flash', 'polynomial', 'window', 'linear', 'performer', 'lsh']) {
      assert.ok(names.includes(name), name);
    }
    const n = 133;
    const d = 8;
    const Q = randomMatrix(n, d, 1, 1);
    for (const causal of [false, true]) {
      const ref = attentionReference(Q, Q, Q, n, d, { causal });
      // rope_* are exact RoPE attention, checked against rope_reference in rope.test.mjs.
      for (const { name, exact, reference } of sq.methods().attention) {
        const W = takesW(sq, name) ? randomMatrix(2 * n - 1, d, 1, 77) : undefined;  // positional_*
        for (const threads of [1, sq.info().threads]) {
          const { O } = sq.attention(name, { Q, K: Q, V: Q, W, n, d }, { causal, threads });
          assert.equal(O.length, n * d, name);
          assert.ok(O.every(Number.isFinite), name);
          if (exact && reference === 'exact_reference') assert.ok(relativeError(O, ref) <= 1e-5, `${name}: ${relativeError(O, ref)}`);
        }
      }
    }
  });

  test(`${flavour}: polynomial reports rank and an error bound it meets; bad input → error → good call`, async () => {
    const sq = await load(flavour);
    const n = 300;
    const d = 8;
    const Q = randomMatrix(n, d, 1, 2);
    const K = randomMatrix(n, d, 1, 3);
    const V = randomMatrix(n, d, 1, 4);
    const opts = { scale: 'inv_d', degree: 4, poly: 'chebyshev' };
    const ref = attentionReference(Q, K, V, n, d, { scale: 1 / d });
    const good = () => {
      const r = sq.attention('polynomial', { Q, K, V, n, d }, opts);
      assert.equal(r.stats.rank, 495);
      let diff = 0;
      for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(r.O[i] - ref[i]));
      assert.ok(diff <= r.stats.error_bound + 1e-5, `error ${diff} vs bound ${r.stats.error_bound}`);
      assert.equal(r.stats.negative_denominators, 0);
    };
    good();
    assert.throws(() => sq.attention('polynomial', { Q, K, V, n, d }, { degree: 13 }), /degree/);
    assert.throws(() => sq.attention('polynomial', { Q, K, V, n, d }, { R: 701 }), /R: got 701/);
    assert.throws(() => sq.attention('performer', { Q, K, V, n, d }, { features: 0 }), /features/);
    assert.throws(() => sq.attention('window', { Q, K, V, n, d }, { window: 0 }), /window/);
    good();
    const cost = sq.attentionCost('polynomial', 65536, 8, opts);
    assert.ok(cost.flops > 0 && cost.memory_bytes > 0);
  });

  test(`${flavour}: measure() returns a bench record timed in C++`, async () => {
    const sq = await load(flavour);
    const r = sq.measure({ suite: 'attention', method: 'exact', n: 256, d: 32, min_ms: 5 });
    for (const key of ['suite', 'method', 'n', 'd', 'flavour', 'threads', 'median_ms', 'gflops', 'error']) {
      assert.ok(key in r, key);
    }
    assert.equal(r.flavour, flavour);
    assert.ok(r.median_ms > 0 && r.gflops > 0);
    assert.ok(r.error <= 1e-5, `error ${r.error}`);
  });
}

test('st and mt give the same output for every method (same input, same seed)', async () => {
  const st = await load('st');
  const mt = await load('mt');
  const n = 200;
  const d = 12;
  const Q = randomMatrix(n, d, 1, 8);
  const K = randomMatrix(n, d, 1, 9);
  const V = randomMatrix(n, d, 1, 10);
  const W = randomMatrix(2 * n - 1, d, 1, 11);
  for (const { name } of st.methods().attention) {
    // A sweep shares its settings; each method gets the ones it takes.
    const opts = pickOptions('attention', name, { seed: 3, window: 50, features: 64, chunk: 32, rounds: 2, threads: 2 }, st.schema());
    delete opts.threads;
    const input = { Q, K, V, n, d, W: takesW(st, name) ? W : undefined };
    const a = st.attention(name, input, opts).O;
    const b = mt.attention(name, input, { ...opts, threads: 2 }).O;
    assert.ok(relativeError(a, b) <= 1e-5, `${name}: ${relativeError(a, b)}`);
  }
});

// The native CLI, st and mt measure the same seeded problem: their errors
// against the double-precision reference agree.
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NATIVE = path.join(ROOT, 'build-native', 'subquad_measure');
test('native, st and mt agree on every method (bench records, same seed)', { skip: !existsSync(NATIVE) }, async () => {
  const st = await load('st');
  const mt = await load('mt');
  for (const { name } of st.methods().attention) {
    const point = { suite: 'attention', method: name, n: 256, d: 16, seed: 5, min_ms: 1, check_rows: 32,
      ...pickOptions('attention', name, { scale: 'inv_d' }, st.schema()) };
    const args = Object.entries(point).flatMap(([k, v]) => [`--${k}`, String(v)]);
    const native = JSON.parse(execFileSync(NATIVE, args, { encoding: 'utf8' }).trim().split('\n').pop());
    const a = st.measure(point);
    const b = mt.measure({ ...point, threads: 2 });
    for (const r of [a, b]) {
      const tol = 1e-5 + 1e-4 * Math.abs(native.error);
      assert.ok(Math.abs(r.error - native.error) <= tol, `${name} ${r.flavour}: ${r.error} vs native ${native.error}`);
    }
  }
});

test('st and mt give the same output for the same input', async () => {
  const st = await load('st');
  const mt = await load('mt');
  const n = 300;
  const d = 24;
  const Q = randomMatrix(n, d, 2, 5);
  const K = randomMatrix(n, d, 2, 6);
  const V = randomMatrix(n, d, 2, 7);
  const a = st.attention('exact', { Q, K, V, n, d }).O;
  const b = mt.attention('exact', { Q, K, V, n, d }, { threads: 2 }).O;
  assert.ok(relativeError(a, b) <= 1e-6);
});
