// The documents panel's request, in the library (sq.similarDocuments, web/lib/pairs.js):
// texts → vectors → the pair, the exact answer beside a heuristic, the shared words.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { load, disposeAll } from './helpers.mjs';
import { createSubquad } from '../../web/lib/subquad.mjs';

after(disposeAll);

const TEXTS = [
  'The committee approved the annual budget for the new library and the public park.',
  'Quantum error correction protects fragile qubits from decoherence with redundant encoding.',
  'Fresh basil, ripe tomatoes and mozzarella make a simple summer salad.',
  'Quantum error correction protects fragile qubits against decoherence using redundant encodings.',
];

test('similarDocuments: the near-duplicate pair, its shared words, the exact answer beside a heuristic', async () => {
  const sq = await load('st');
  const req = { vocab: 100, weighting: 'binary', problem: 'msd', method: 'gram', beta: 100, threads: 0 };
  const r = sq.similarDocuments(TEXTS, req);
  assert.deepEqual([r.i, r.j], [1, 3]);
  assert.equal(r.found, true);
  assert.deepEqual(r.best, { i: 1, j: 3, value: r.value });
  for (const w of ['quantum', 'error', 'correction', 'qubits', 'decoherence']) assert.ok(r.shared.includes(w), w);
  assert.ok(!r.shared.includes('basil'));
  assert.equal(r.candidates, r.totalPairs);

  // Same texts and settings: the vectors are reused; other settings or texts: rebuilt.
  const again = sq.similarDocuments(TEXTS, { ...req, method: 'attention' });
  assert.equal(again.vectorsReused, true);
  assert.deepEqual([again.i, again.j], [1, 3]);
  assert.match(again.notes.join(' '), /Attention: β = 100 · ln 4/);
  assert.equal(sq.similarDocuments(TEXTS, { ...req, vocab: 50 }).vectorsReused, false);
  assert.equal(sq.similarDocuments([...TEXTS.slice(0, 3), `${TEXTS[3]} `], req).vectorsReused, false);

  // A heuristic's answer comes with the exact one (gram) beside it.
  const hashed = sq.similarDocuments(TEXTS, { ...req, method: 'minhash' });
  assert.deepEqual(hashed.best, { i: 1, j: 3, value: r.value });

  // A typo is refused by name, never run with the default.
  assert.throws(() => sq.similarDocuments(TEXTS, { vocb: 10 }),
    { message: 'vocb: unknown option for similarDocuments; options are vocab, weighting, problem, method, beta, threads' });

  // A second instance (a restarted worker) starts with nothing cached.
  const fresh = await createSubquad({ flavour: 'st' });
  assert.equal(fresh.similarDocuments(TEXTS, req).vectorsReused, false);
  fresh.dispose();
});
