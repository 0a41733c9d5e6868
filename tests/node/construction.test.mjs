// The construction through the WASM build: the same answers as native, in both flavours.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, load, disposeAll, bruteForcePair } from './helpers.mjs';

after(disposeAll);

for (const flavour of FLAVOURS) {
  test(`${flavour}: exact attention solves planted Max-IP; bad options are named errors`, async () => {
    const sq = await load(flavour);
    const r = sq.measure({ suite: 'construction', method: 'exact', n: 200, l: 32, seeds: 5 });
    assert.equal(r.accuracy, 1);
    assert.equal(r.ratio, 1);
    assert.equal(r.value, r.optimum);
    const reader = sq.measure({ suite: 'construction', method: 'sketch_reader', n: 200, l: 32, state: 64, seeds: 3 });
    assert.ok(reader.accuracy >= 0 && reader.accuracy <= 1);
    assert.throws(() => sq.measure({ suite: 'construction', n: 1 }), { message: /^n: got 1, must be an integer in \[2, 65535\]/ });
    assert.throws(() => sq.measure({ suite: 'construction', beta: -2 }), { message: /^beta: got -2/ });
    assert.throws(() => sq.measure({ suite: 'construction', method: 'sketch_reader', state: 0 }), { message: /^state: got 0/ });
    assert.throws(() => sq.measure({ suite: 'construction', method: 'nope' }), { message: /^method: got 'nope', must be one of exact_reference, exact, flash/ });
  });
}

test('st and mt find the same pair on the same seed', async () => {
  const a = (await load('st')).measure({ suite: 'construction', n: 150, l: 24, seed: 9 });
  const b = (await load('mt')).measure({ suite: 'construction', n: 150, l: 24, seed: 9, threads: 2 });
  assert.deepEqual([a.i, a.j, a.value], [b.i, b.j, b.value]);
});

for (const flavour of FLAVOURS) {
  test(`${flavour}: one attention layer finds the most and least similar documents (brute force agrees)`, async () => {
    const sq = await load(flavour);
    const texts = [
      'Quantum error correction protects fragile qubits from decoherence with redundant encoding.',
      'Fresh basil, ripe tomatoes and mozzarella make a simple summer salad.',
      'The marathon route passes the harbour, the cathedral and the old market square.',
      'Quantum error correction protects qubits against decoherence using redundant encodings and syndromes.',
      'The committee approved the annual budget for the new library and the public park.',
      'Tomatoes, basil and olive oil: a summer salad for the market.',
      '!!! ???',  // no vocabulary word: a zero vector, left out
    ];
    const docs = sq.documents(texts, { vocab: 64, weighting: 'tfidf' });
    const data = { X: docs.X, n: docs.n, d: docs.d };
    for (const problem of ['msd', 'lsd']) {
      const want = bruteForcePair(problem, docs.X, docs.n, docs.d);
      const r = sq.pairsByAttention(data, { problem, beta: 200, threads: flavour === 'mt' ? 2 : 1 });
      assert.equal(r.found, true);
      assert.equal(r.zeroRows, 1);
      assert.ok(Math.abs(r.value - want.value) < 1e-6, `${problem}: ${r.value} vs ${want.value}`);
      if (problem === 'msd') assert.deepEqual([r.i, r.j], [0, 3]);
    }
    // Random vectors: the same pair as brute force, and β too small gets it wrong on some seeds.
    let wrong = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const x = sq.pairsGenerate('planted', { n: 300, d: 24, rho: 0.8, seed });
      const want = bruteForcePair('msd', x.X, x.n, x.d);
      const good = sq.pairsByAttention(x, { beta: 100 });
      assert.deepEqual([good.i, good.j], [want.i, want.j]);
      wrong += sq.pairsByAttention(x, { beta: 0.05 }).value < want.value - 1e-9;
    }
    assert.ok(wrong >= 3, `β = 0.05 ln n was wrong on ${wrong} of 6 seeds`);
    assert.throws(() => sq.pairsByAttention(data, { problem: 'maxip' }), { message: /^problem: got 'maxip', must be msd or lsd/ });
    assert.throws(() => sq.pairsByAttention(data, { method: 'linear' }), { message: /^diagonal: method 'linear' has no diagonal mask/ });
    assert.throws(() => sq.pairsByAttention(data, { beta: 0 }), { message: /^beta: got 0/ });
    assert.throws(() => sq.pairsByAttention({ X: new Float32Array([1, NaN]), n: 2, d: 1 }), { message: /^X: / });
    assert.equal(sq.pairsByAttention(data, {}).found, true);  // still working after the errors
  });
}
