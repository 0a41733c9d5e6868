// The documents panel's request (web/app/documents-op.js), out of the worker:
// a self-contained function of the library instance, run here on the st build.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { load, disposeAll } from './helpers.mjs';

// As the worker's importScripts does: run the classic script with a `self`.
const self = {};
vm.runInNewContext(readFileSync(new URL('../../web/app/documents-op.js', import.meta.url), 'utf8'), { self });
const makeDocumentsOp = self.subquadDocumentsOp;
const { sharedWords } = makeDocumentsOp;
after(disposeAll);

const TEXTS = [
  'The committee approved the annual budget for the new library and the public park.',
  'Quantum error correction protects fragile qubits from decoherence with redundant encoding.',
  'Fresh basil, ripe tomatoes and mozzarella make a simple summer salad.',
  'Quantum error correction protects fragile qubits against decoherence using redundant encodings.',
];

test('similarPair: the near-duplicate pair, its shared words, the exact answer beside a heuristic', async () => {
  const sq = await load('st');
  const op = makeDocumentsOp(sq);
  const req = { texts: TEXTS, vocab: 100, weighting: 'binary', problem: 'msd', method: 'gram', beta: 100, threads: 0 };
  const r = op.similarPair(req);
  assert.deepEqual([r.i, r.j], [1, 3]);
  assert.equal(r.found, true);
  assert.deepEqual({ ...r.best }, { i: 1, j: 3, value: r.value }); // (made in the vm context: compare by value)
  for (const w of ['quantum', 'error', 'correction', 'qubits', 'decoherence']) assert.ok(r.shared.includes(w), w);
  assert.ok(!r.shared.includes('basil'));
  assert.equal(r.vectorsReused, false);
  assert.equal(r.candidates, r.totalPairs);

  // Same texts and settings: the vectors are reused; other settings: rebuilt.
  const again = op.similarPair({ ...req, method: 'attention' });
  assert.equal(again.vectorsReused, true);
  assert.deepEqual([again.i, again.j], [1, 3]);
  assert.match(again.notes.join(' '), /Attention: β = 100 · ln 4/);
  assert.equal(op.similarPair({ ...req, vocab: 50 }).vectorsReused, false);
  assert.equal(op.similarPair({ ...req, texts: [...TEXTS.slice(0, 3), `${TEXTS[3]} `] }).vectorsReused, false);

  // A second instance (a restarted worker) starts with nothing cached.
  assert.equal(makeDocumentsOp(sq).similarPair(req).vectorsReused, false);
});

test('sharedWords: words of j also in i, in j\'s order', () => {
  const docs = { vocab: ['a', 'b', 'c', 'd'], tokens: [[0, 1, 2], [3, 2, 0]] };
  assert.deepEqual([...sharedWords(docs, 0, 1)], ['c', 'a']);
  assert.deepEqual([...sharedWords(docs, 1, 1)], ['d', 'c', 'a']);
});
