// The bundled corpus (build/corpus.mjs): readable bodies, no headers or HTML,
// no exact copies, and the gzipped file the page loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readableEmail, CORPUS_FILE } from '../../build/corpus.mjs';

test('an e-mail loses its headers, HTML and entities and keeps its subject', () => {
  const raw = 'From: a@b.c\nSubject: [ILUG] Cheap   offer\nContent-Type: text/html\n\n'
    + '<html><style>p{color:red}</style><p>Buy&nbsp;now &amp; save</p>' + ' word'.repeat(60) + '</html>';
  const doc = readableEmail(raw);
  assert.equal(doc.subject, 'Cheap   offer');
  assert.ok(doc.text.startsWith('Buy now & save'), doc.text.slice(0, 40));
  assert.doesNotMatch(doc.text, /<|From:|color:red/);
});

test('base64 bodies and near-empty mails are skipped; long ones are cut at a word', () => {
  assert.equal(readableEmail('Subject: x\nContent-Transfer-Encoding: base64\n\nQUJD'.repeat(10)), null);
  assert.equal(readableEmail('Subject: x\n\nhello'), null);
  const long = readableEmail(`Subject: x\n\n${'lorem ipsum '.repeat(400)}`);
  assert.ok(long.text.length <= 1602 && long.text.endsWith(' …'));
});

test('the built corpus has 1,500 distinct documents of spam and ham', () => {
  const corpus = JSON.parse(gunzipSync(readFileSync(CORPUS_FILE)).toString('utf8'));
  assert.equal(corpus.documents.length, 1500);
  const groups = new Set(corpus.documents.map((d) => d.group));
  assert.deepEqual([...groups].sort(), ['easy-ham', 'spam']);
  const texts = new Set(corpus.documents.map((d) => d.text.toLowerCase().replace(/\s+/g, ' ')));
  assert.equal(texts.size, 1500);
  assert.match(corpus.source, /Apache-2\.0/);
});
