// The tensor family through the JS API, both flavours: every method against an
// independent JS double-precision triple loop, the generator, Match3 against a
// JS brute force, and named errors that leave the module working.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, load, disposeAll, randomMatrix, relativeError } from './helpers.mjs';

after(disposeAll);

/** Tensor attention in double, the obvious triple loop (windows optional). */
function tensorReference({ Q, K1, K2, V1, V2, n, d }, { scale = 1 / Math.sqrt(d), causal = false, w1 = Infinity, w2 = Infinity } = {}) {
  const O = new Float64Array(n * d);
  const inside = (i, j, w) => (causal ? i - j >= 0 && i - j < w : Math.abs(i - j) < w);
  for (let i = 0; i < n; i++) {
    const scores = [];
    let m = -Infinity;
    for (let j = 0; j < n; j++) {
      if (!inside(i, j, w1)) continue;
      for (let k = 0; k < n; k++) {
        if (!inside(i, k, w2)) continue;
        let s = 0;
        for (let l = 0; l < d; l++) s += Q[i * d + l] * K1[j * d + l] * K2[k * d + l];
        scores.push([j, k, scale * s]);
        m = Math.max(m, scale * s);
      }
    }
    let sum = 0;
    for (const [j, k, s] of scores) {
      const e = Math.exp(s - m);
      sum += e;
      for (let l = 0; l < d; l++) O[i * d + l] += e * V1[j * d + l] * V2[k * d + l];
    }
    for (let l = 0; l < d; l++) O[i * d + l] /= sum;
  }
  return O;
}

function problem(n, d, B, seed) {
  const [Q, K1, K2] = [0, 1, 2].map((t) => randomMatrix(n, d, B, seed + t));
  const [V1, V2] = [3, 4].map((t) => randomMatrix(n, d, 1, seed + t));
  return { Q, K1, K2, V1, V2, n, d };
}

for (const flavour of FLAVOURS) {
  test(`${flavour}: reference, exact and windowed match the JS triple loop`, async () => {
    const sq = await load(flavour);
    for (const [n, d] of [[1, 1], [9, 3], [70, 4]]) {
      const p = problem(n, d, 1, n + d);
      for (const causal of [false, true]) {
        const want = tensorReference(p, { causal });
        for (const method of ['reference', 'exact']) {
          const r = sq.tensorAttention(method, p, { causal });
          assert.ok(relativeError(r.O, want) <= 1e-5, `${method} n=${n} d=${d} causal=${causal}: ${relativeError(r.O, want)}`);
          assert.ok(r.ms >= 0 && r.flops > 0);
        }
        const w = sq.tensorAttention('windowed', p, { causal, w1: 5, w2: 2 });
        const wantW = tensorReference(p, { causal, w1: 5, w2: 2 });
        assert.ok(relativeError(w.O, wantW) <= 1e-5, `windowed n=${n}: ${relativeError(w.O, wantW)}`);
      }
    }
  });

  test(`${flavour}: polynomial at small B is within 1e-5 and reports rank, R and its bound`, async () => {
    const sq = await load(flavour);
    const p = problem(50, 3, 0.5, 7);
    const r = sq.tensorAttention('polynomial', p, { degree: 8 });
    assert.ok(relativeError(r.O, tensorReference(p)) <= 1e-5);
    assert.equal(r.stats.rank, 165);  // C(3 + 8, 8)
    assert.ok(r.stats.R > 0 && r.stats.error_bound < 1e-6);
    assert.equal(r.stats.negative_denominators, 0);
  });

  test(`${flavour}: the generator gives [0, B] nonnegative and [−B, B] signed, seeded`, async () => {
    const sq = await load(flavour);
    const a = sq.tensorGenerate({ n: 100, d: 4, B: 2, nonnegative: true, seed: 3 });
    const b = sq.tensorGenerate({ n: 100, d: 4, B: 2, seed: 3 });
    assert.ok(a.Q.every((x) => x >= 0 && x <= 2) && a.K2.some((x) => x > 1.5));
    assert.ok(b.K1.some((x) => x < -1.5) && b.K1.every((x) => Math.abs(x) <= 2));
    assert.ok(a.V1.some((x) => x < 0));  // values stay in [−1, 1]
    assert.deepEqual(sq.tensorGenerate({ n: 100, d: 4, B: 2, nonnegative: true, seed: 3 }).Q, a.Q);
  });

  test(`${flavour}: Match3 — the tensor layer is right on every position, the matrix baseline is not`, async () => {
    const sq = await load(flavour);
    const r = sq.tensorMatch3({ n: 16, instances: 10, seed: 4 });
    assert.equal(r.positions, 160);
    assert.equal(r.tensor_accuracy, 1);
    assert.ok(r.matrix_accuracy < 0.8, `matrix ${r.matrix_accuracy}`);
    assert.ok(r.positive_rate > 0.25 && r.positive_rate < 0.75);
    assert.equal(r.matrix_false_positives, 0);
  });

  test(`${flavour}: bad input is refused by name and the module keeps working`, async () => {
    const sq = await load(flavour);
    const p = problem(8, 2, 1, 1);
    const cases = [
      [() => sq.tensorAttention('exact', { ...p, K2: new Float32Array(15) }), /^K2: /],
      [() => sq.tensorAttention('exact', { ...p, n: 0 }), /^n: /],
      [() => sq.tensorAttention('nope', p), /^method: unknown tensor method 'nope'/],
      [() => sq.tensorAttention('windowed', p, { w1: 0 }), /^w1: got 0/],
      [() => sq.tensorAttention('windowed', p, { w2: 0 }), /^w2: got 0/],
      [() => sq.tensorAttention('polynomial', p, { causal: true }), /^causal: /],
      [() => sq.tensorAttention('exact', p, { degree: 3 }), /^degree: unknown option for exact/],
      [() => sq.tensorMatch3({ n: 0 }), /^n: /],
      [() => sq.tensorMatch3({ M: 5000 }), /^M: /],
    ];
    for (const [fn, re] of cases) assert.throws(fn, (e) => e.name === 'SubquadError' && re.test(e.message));
    // n beyond the cubic method's time budget: refused with the largest n that fits.
    const n = 4096, d = 64;
    const big = new Float32Array(n * d).fill(0.1);
    assert.throws(() => sq.tensorAttention('exact', { Q: big, K1: big, K2: big, V1: big, V2: big, n, d }),
      (e) => /^n: got 4096: exact needs .* the largest n at d = 64 is \d+/.test(e.message));
    assert.ok(relativeError(sq.tensorAttention('exact', p).O, tensorReference(p)) <= 1e-5);
  });
}

test('the bench suites: tensor (vs flash), tensor_threshold (tensor vs matrix), match3 (both layers)', async () => {
  const sq = await load('mt');
  const t = sq.measure({ suite: 'tensor', method: 'exact', n: 70, d: 4, vs: 'flash', min_ms: 0, check_rows: 3 });
  assert.ok(t.error <= 1e-5 && t.gflops > 0 && t.flash_gflops > 0 && t.gflops_over_flash > 0);
  const w = sq.measure({ suite: 'tensor', method: 'windowed', n: 300, d: 4, causal: true, w1: 20, w2: 5, min_ms: 0 });
  assert.ok(w.error <= 1e-5 && w.w1 === 20 && w.w2 === 5);
  const low = ['tensor', 'matrix'].map((layer) => sq.measure({ suite: 'tensor_threshold', layer, n: 128, B: 0.5, min_ms: 0 }));
  const high = ['tensor', 'matrix'].map((layer) => sq.measure({ suite: 'tensor_threshold', layer, n: 128, B: 2, min_ms: 0 }));
  for (const r of low) assert.ok(r.error < 1e-4 && r.rank === 70, `${r.method} B=0.5: ${r.error}`);
  assert.ok(high[0].error > 3 * high[1].error, `B = 2: tensor ${high[0].error} vs matrix ${high[1].error}`);  // the earlier cliff
  const m3 = ['tensor', 'matrix'].map((layer) => sq.measure({ suite: 'match3', layer, n: 12, instances: 4, min_ms: 0 }));
  assert.equal(m3[0].accuracy, 1);
  assert.ok(m3[1].accuracy < 1 && m3[1].false_positives === 0);
  assert.equal(m3[0].positives, m3[1].positives);
  assert.throws(() => sq.measure({ suite: 'match3', layer: 'tensor', n: 12, nn: 3 }), /^SubquadError: nn: unknown option|nn: unknown option/);
});

test('st and mt agree on exact and polynomial', async () => {
  const [st, mt] = [await load('st'), await load('mt')];
  const p = problem(66, 5, 1, 12);
  for (const method of ['exact', 'polynomial']) {
    const a = st.tensorAttention(method, p, {}).O, b = mt.tensorAttention(method, p, { threads: 2 }).O;
    assert.ok(relativeError(a, b) <= 1e-6, method);
  }
});
