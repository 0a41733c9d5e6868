// The Documents panel's default answer (the bundled corpus at the panel's
// defaults) is one a student reads at a glance: an English near-duplicate
// campaign pair, sharing real words — no U+FFFD, no one-letter "words".
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { load, disposeAll } from './helpers.mjs';
import { CORPUS_FILE } from '../../build/corpus.mjs';
import { defaults } from '../../web/app/state.js';

after(disposeAll);

test('the default Documents answer: an English near-duplicate pair sharing words of two or more letters', async () => {
  const sq = await load('st');
  const s = defaults();
  const corpus = JSON.parse(gunzipSync(readFileSync(CORPUS_FILE)).toString('utf8'));
  const texts = corpus.documents.slice(0, s.dcount).map((d) => `${d.subject}\n${d.text}`);
  const r = sq.similarDocuments(texts, { method: s.dmethod, vocab: s.dvocab, weighting: s.dweight, problem: s.dproblem });
  assert.ok(r.value > 0.9, `cosine ${r.value}`);
  assert.ok(r.shared.length >= 10, `${r.shared.length} shared words`);
  for (const w of r.shared) assert.ok([...w].length >= 2, `one-letter shared word '${w}'`);
  for (const k of [r.i, r.j]) {
    const t = texts[k];
    assert.doesNotMatch(t, /\uFFFD/);
    // English: mostly ASCII letters, and common English words.
    const letters = t.match(/\p{L}/gu) || [];
    const ascii = letters.filter((c) => /[A-Za-z]/.test(c)).length;
    assert.ok(ascii / letters.length > 0.98, `document ${k}: ${ascii}/${letters.length} ASCII letters`);
    assert.match(t, /\b(the|and|for|you|your|our)\b/i);
  }
});
