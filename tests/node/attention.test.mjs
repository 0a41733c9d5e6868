// Attention through the JS API, against an independent JS double-precision reference.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, load, disposeAll, randomMatrix, attentionReference, relativeError } from './helpers.mjs';

after(disposeAll);

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
    assert.ok(names.includes('exact_reference') && names.includes('exact'));
    const n = 33;
    const d = 8;
    const Q = randomMatrix(n, d, 1, 1);
    const ref = attentionReference(Q, Q, Q, n, d);
    for (const name of names) {
      const { O } = sq.attention(name, { Q, K: Q, V: Q, n, d });
      assert.equal(O.length, n * d, name);
      assert.ok(O.every(Number.isFinite), name);
      if (name.startsWith('exact')) assert.ok(relativeError(O, ref) <= 1e-5, name);
    }
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
