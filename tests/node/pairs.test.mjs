// Pair search through the WASM build, both flavours, against a brute force
// written here in JS (double precision, ties to the smallest (i, j)).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, load, disposeAll, randomMatrix, bruteForcePair as brute } from './helpers.mjs';

after(disposeAll);

function binaryMatrix(rows, cols, p, seed) {
  return randomMatrix(rows, cols, 1, seed).map((v) => ((v + 1) / 2 < p ? 1 : 0));
}

const PROBLEMS = ['msd', 'lsd', 'maxip', 'minip', 'ov'];

for (const flavour of FLAVOURS) {
  test(`${flavour}: every exact method returns the brute-force pair (mono and bichromatic)`, async () => {
    const sq = await load(flavour);
    const list = sq.methods().pairs;
    assert.ok(list.some((m) => m.name === 'gram' && m.exact && !m.binary));
    assert.ok(list.some((m) => m.name === 'bitset' && m.exact && m.binary));
    assert.ok(list.some((m) => m.name === 'simhash' && !m.exact));
    const n = 70, m = 45, d = 37;
    const X = binaryMatrix(n, d, 0.3, 1), Y = binaryMatrix(m, d, 0.3, 2);
    for (const method of list.filter((x) => x.exact).map((x) => x.name)) {
      for (const problem of PROBLEMS) {
        for (const threads of flavour === 'mt' ? [1, 2] : [0]) {
          const r = sq.pairs(method, { X, n, d }, { problem, threads });
          const b = brute(problem, X, n, d);
          assert.deepEqual([r.i, r.j], [b.i, b.j], `${method} ${problem} mono`);
          assert.ok(Math.abs(r.value - b.value) < 1e-5);
          assert.equal(r.totalPairs, (n * (n - 1)) / 2);
          const rb = sq.pairs(method, { X, n, d, Y, m }, { problem, threads });
          const bb = brute(problem, X, n, d, Y, m);
          assert.deepEqual([rb.i, rb.j], [bb.i, bb.j], `${method} ${problem} bichromatic`);
          assert.equal(rb.totalPairs, n * m);
        }
      }
    }
    // Real-valued data with gram.
    const G = randomMatrix(90, 12, 1, 7);
    for (const problem of PROBLEMS) {
      const r = sq.pairs('gram', { X: G, n: 90, d: 12 }, { problem });
      const b = brute(problem, G, 90, 12);
      assert.deepEqual([r.i, r.j], [b.i, b.j], problem);
    }
  });

  test(`${flavour}: generators, heuristics, the gamma-checker`, async () => {
    const sq = await load(flavour);
    const g = sq.pairsGenerate('planted', { n: 800, d: 64, rho: 0.95, seed: 3 });
    assert.ok(g.X instanceof Float32Array);
    assert.equal(g.X.length, 800 * 64);
    assert.equal(g.planted.length, 2);
    const r = sq.pairs('simhash', { X: g.X, n: g.n, d: g.d }, { seed: 5, gamma: 1 });
    assert.deepEqual([r.i, r.j], g.planted);
    assert.ok(r.candidates < r.totalPairs / 10);
    assert.equal(r.check.ok, true);
    const c = sq.pairsCheck('msd', { X: g.X, n: g.n, d: g.d }, { i: 0, j: 1 }, 1);
    assert.equal(c.ok, false);
    assert.ok(c.optimum > 0.9);
    assert.ok(sq.pairsCheck('msd', { X: g.X, n: g.n, d: g.d }, { i: 0, j: 1 }, 1000).ok);
    const ov = sq.pairsGenerate('ovhard', { n: 200, d: 16, seed: 2 });
    const o = sq.pairs('bitset', { X: ov.X, n: ov.n, d: ov.d }, { problem: 'ov' });
    assert.equal(o.found, true);
    assert.deepEqual([o.i, o.j], ov.planted);
    assert.equal(sq.pairsGenerate('gaussian', { n: 10, d: 3 }).planted, null);
    // The OV attention construction through the construction suite.
    const ovc = sq.measure({ suite: 'construction', problem: 'ov', n: 120, l: 12, density: 0.6, seeds: 6 });
    assert.equal(ovc.accuracy, 1);
    const bench = sq.measure({ suite: 'pairs', method: 'bitset', gen: 'ovhard', problem: 'ov', n: 300, d: 18, min_ms: 1 });
    assert.equal(bench.found_best, 1);
    assert.equal(bench.planted_found, 1);
  });

  test(`${flavour}: documents() and tokenize()`, async () => {
    const sq = await load(flavour);
    const texts = [
      'The quick brown fox jumps over the lazy dog.',
      'Stock markets fell sharply on Monday.',
      'A quick brown fox jumped over a lazy dog!',
      'Rain is expected in the north tomorrow.',
      '😀😀😀',
    ];
    const docs = sq.documents(texts, { vocab: 50, weighting: 'binary', stopwords: true });
    assert.equal(docs.n, 5);
    assert.equal(docs.X.length, docs.n * docs.d);
    assert.equal(docs.vocab.length, docs.d);
    assert.ok(docs.vocab.includes('fox') && !docs.vocab.includes('the'));
    assert.ok(docs.tokens[0].every((id) => docs.X[0 * docs.d + id] === 1));
    assert.ok(docs.notes.some((s) => /no vocabulary word/.test(s)));
    const r = sq.pairs('bitset', { X: docs.X, n: docs.n, d: docs.d }, { problem: 'msd' });
    assert.deepEqual([r.i, r.j], [0, 2]);
    assert.equal(r.stats.zero_rows_excluded, 1);
    const tf = sq.documents(texts, { weighting: 'tfidf' });
    let s = 0;
    for (let k = 0; k < tf.d; k++) s += tf.X[k] ** 2;
    assert.ok(Math.abs(s - 1) < 1e-5);
    assert.deepEqual(sq.tokenize('Hello, Wörld! 東京 😀 x'), ['hello', 'wörld', '東京', 'x']);
    assert.deepEqual(sq.tokenize(''), []);
  });

  test(`${flavour}: bad input → named error → a good call still works`, async () => {
    const sq = await load(flavour);
    const X = new Float32Array([1, 0, 0, 1]);
    assert.throws(() => sq.pairs('gram', { X, n: 3, d: 2 }), { message: /^X: length 4 does not match n·d = 6/ });
    assert.throws(() => sq.pairs('nope', { X, n: 2, d: 2 }), { message: /^method: unknown pairs method 'nope', known: reference, gram, bitset, simhash, minhash$/ });
    assert.throws(() => sq.pairs('gram', { X, n: 2, d: 2 }, { problem: 'max' }), { message: /^problem: got 'max'/ });
    assert.throws(() => sq.pairs('bitset', { X: new Float32Array([0.5, 1, 0, 1]), n: 2, d: 2 }), { message: /needs 0\/1 data/ });
    assert.throws(() => sq.pairs('gram', { X: new Float32Array([NaN, 1, 0, 1]), n: 2, d: 2 }), { message: /^X: entry 0 is nan/ });
    assert.throws(() => sq.pairs('gram', { X, n: 2, d: 2, m: 2 }), { message: /^m: given without Y/ });
    assert.throws(() => sq.pairsCheck('msd', { X, n: 2, d: 2 }, { i: 0, j: 0 }, 1), { message: /^j: got 0/ });
    assert.throws(() => sq.pairsGenerate('nope', { n: 10, d: 2 }), { message: /^gen: got 'nope'/ });
    assert.throws(() => sq.documents('text'), { message: /^texts: must be an array/ });
    assert.throws(() => sq.documents(['a'], { vocab: 0 }), { message: /^vocab: got 0/ });
    assert.throws(() => sq.documents(['a'], { weighting: 'bm25' }), { message: /^weighting: got 'bm25'/ });
    const r = sq.pairs('gram', { X, n: 2, d: 2 }, { problem: 'ov' });
    assert.equal(r.found, true);
    assert.deepEqual([r.i, r.j], [0, 1]);
  });
}

test('st and mt agree with each other on a generated instance', async () => {
  const [a, b] = [await load('st'), await load('mt')];
  const g = a.pairsGenerate('sparse', { n: 500, d: 200, density: 0.1, seed: 4 });
  const g2 = b.pairsGenerate('sparse', { n: 500, d: 200, density: 0.1, seed: 4 });
  assert.deepEqual(Array.from(g.X), Array.from(g2.X));
  for (const method of ['gram', 'bitset', 'simhash', 'minhash']) {
    const seed = 'seed' in a.schema().families.pairs.methods[method].options ? { seed: 2 } : {};
    const ra = a.pairs(method, { X: g.X, n: 500, d: 200 }, seed);
    const rb = b.pairs(method, { X: g.X, n: 500, d: 200 }, { ...seed, threads: 2 });
    assert.deepEqual([ra.i, ra.j, ra.value, ra.candidates], [rb.i, rb.j, rb.value, rb.candidates], method);
  }
});
