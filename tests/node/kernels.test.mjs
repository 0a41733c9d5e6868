// The GEMM micro-kernel variants through the JS API: the pick made at load
// (measured, or forced), every variant forced in turn against the double
// reference (flash, exact, the polynomial method's feature products, pair
// search's Gram strips), and a bad variant refused by name.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSubquad } from '../../web/lib/subquad.mjs';
import { FLAVOURS, load, disposeAll, randomMatrix, attentionReference, relativeError } from './helpers.mjs';

after(disposeAll);

for (const flavour of FLAVOURS) {
  test(`${flavour}: the module picks a GEMM variant by measurement at load and info() says which`, async () => {
    const sq = await load(flavour);
    const gemm = sq.info().kernels.gemm;
    const names = gemm.variants.map((v) => v.name);
    assert.ok(names.length >= 4, `variants: ${names}`);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.includes(gemm.picked), gemm.picked);
    assert.match(gemm.picked, /^gemm_f32_\dx8_wasm(relaxed)?simd_/);
    assert.ok(['measured', 'forced'].includes(gemm.reason), gemm.reason);
    if (gemm.reason === 'measured') {
      const rates = gemm.variants.map((v) => v.gflops);
      assert.ok(rates.every((g) => Number.isFinite(g) && g > 0), String(rates));
      const best = gemm.variants.reduce((a, b) => (b.gflops > a.gflops ? b : a));
      assert.equal(gemm.picked, best.name);
    }
  });

  test(`${flavour}: every variant, forced, gives flash, exact and polynomial attention within rounding of the reference`, async () => {
    const sq = await load(flavour);
    const before = sq.info().kernels.gemm.picked;
    const n = 77, d = 24;
    const Q = randomMatrix(n, d, 1, 1), K = randomMatrix(n, d, 1, 2), V = randomMatrix(n, d, 1, 3);
    const ref = attentionReference(Q, K, V, n, d, { causal: true });
    // d = 4 for the polynomial method (rank C(4 + 8, 8) = 495).
    const Q4 = randomMatrix(n, 4, 1, 4), K4 = randomMatrix(n, 4, 1, 5), V4 = randomMatrix(n, 4, 1, 6);
    const plain = attentionReference(Q4, K4, V4, n, 4, { causal: true });
    try {
      for (const { name } of sq.info().kernels.gemm.variants) {
        const r = sq.kernelVariants(name);
        assert.equal(r.picked, name);
        assert.equal(r.reason, 'forced');
        for (const method of ['flash', 'exact']) {
          const err = relativeError(sq.attention(method, { Q, K, V, n, d }, { causal: true }).O, ref);
          assert.ok(err <= 1e-5, `${name} ${method}: ${err}`);
        }
        // The polynomial method's causal feature products (64×64 blocks) run through simd::gemm too: degree 8 on
        // these small scores is within 1e-4 of exp (its own error, the same under every variant).
        const err = relativeError(sq.attention('polynomial', { Q: Q4, K: K4, V: V4, n, d: 4 }, { degree: 8, causal: true }).O, plain);
        assert.ok(err <= 1e-4, `${name} polynomial: ${err}`);
      }
    } finally {
      sq.kernelVariants(before);
    }
  });

  test(`${flavour}: an unknown variant is refused by name and the module keeps its pick`, async () => {
    const sq = await load(flavour);
    const before = sq.info().kernels.gemm.picked;
    assert.throws(() => sq.kernelVariants('gemm_f32_9x9_nonsense'), (e) => e.name === 'SubquadError' && /variant/.test(e.message) && e.message.includes(before));
    assert.throws(() => sq.kernelVariants(42), /variant/);
    assert.equal(sq.info().kernels.gemm.picked, before);
    const Q = randomMatrix(8, 8, 1, 5);
    assert.ok(sq.attention('flash', { Q, K: Q, V: Q, n: 8, d: 8 }).O.every(Number.isFinite));
  });
}

test('st: createSubquad({ kernels }) forces a variant (a restarted worker passes its pick), refuses nonsense', async () => {
  const probe = await load('st');
  const names = probe.info().kernels.gemm.variants.map((v) => v.name);
  const forced = await createSubquad({ flavour: 'st', kernels: { gemm: names.at(-1) } });
  try {
    assert.equal(forced.info().kernels.gemm.picked, names.at(-1));
    assert.equal(forced.info().kernels.gemm.reason, 'forced');
    assert.ok(forced.info().kernels.gemm.variants.every((v) => v.gflops === undefined), 'a forced pick measures nothing');
  } finally {
    forced.dispose();
  }
  const plain = await createSubquad({ flavour: 'st', kernels: 'default' });
  try {
    assert.equal(plain.info().kernels.gemm.reason, 'default');
    assert.equal(plain.info().kernels.gemm.picked, names[0]);
  } finally {
    plain.dispose();
  }
  await assert.rejects(createSubquad({ flavour: 'st', kernels: { gemm: 'nope' } }), /kernels\.gemm: variant: got 'nope'/);
  await assert.rejects(createSubquad({ flavour: 'st', kernels: { conv: 'x' } }), /kernels: unknown kernel family 'conv'/);
  await assert.rejects(createSubquad({ flavour: 'st', kernels: 7 }), /kernels: got 7/);
});
