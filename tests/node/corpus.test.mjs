// The bundled corpus (build/corpus.mjs): readable bodies, no headers or HTML,
// no exact copies, and the gzipped file the page loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readableEmail, stripHtml, CORPUS_FILE } from '../../build/corpus.mjs';

test('an e-mail loses its headers, HTML and entities and keeps its subject', () => {
  const raw = 'From: a@b.c\nSubject: [ILUG] Cheap   offer\nContent-Type: text/html\n\n'
    + '<html><style>p{color:red}</style><p>Buy&nbsp;now &amp; save</p>' + ' word'.repeat(60) + '</html>';
  const doc = readableEmail(raw);
  assert.equal(doc.subject, 'Cheap offer');
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

// What "HTML removed" has to mean for every shipped document: no tags, no entities, no CSS.
const TAG = /<[A-Za-z/!][^>]*>/;
const ENTITY = /&(#\d+|#x[0-9a-f]+|nbsp|amp|lt|gt|quot|apos|copy|reg);/i;
const CSS = /\b(BORDER-(RIGHT|LEFT|TOP|BOTTOM)|FONT-FAMILY|font-size|text-decoration)\s*:/i;

test('stripHtml drops tags, comments, style and script bodies and decodes entities', () => {
  const html = '<TABLE style="BORDER-RIGHT: #000 1px solid;\n BORDER-TOP: 0"><!-- a <b>comment</b> -->'
    + '<STYLE type="text/css">td { FONT-FAMILY: Arial }</STYLE><script>if (a < b) x();</script>'
    + '<tr><td>Save&nbsp;50&#37; &amp; more 2 &lt; 3 &gt; 1 &lt;b&gt;&quot;free&quot; &#39;gift&#x27; &#8226; ok</td></tr>\n\n\n'
    + '<p\nalign="center">next   line</p></TABLE>';
  const text = stripHtml(html);
  assert.equal(text, 'Save 50% & more 2 < 3 > 1 "free" \'gift\' \u2022 ok\nnext line');
});

test('quoted-printable bodies are decoded before their HTML is stripped', () => {
  const raw = 'Subject: s\nContent-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n'
    + '<TABLE style=3D"BORDER-RIGHT: #000 1px solid" width=3D"100=\n%"><tr><td>caf=C3=A9 =3D good=20\n'
    + ' word'.repeat(60) + '</td></tr></TABLE>';
  const doc = readableEmail(raw);
  assert.ok(doc.text.startsWith('café = good'), doc.text.slice(0, 40));
  assert.doesNotMatch(doc.text, TAG);
  assert.doesNotMatch(doc.text, CSS);
});

test('no shipped document contains tags, entities or CSS', () => {
  const corpus = JSON.parse(gunzipSync(readFileSync(CORPUS_FILE)).toString('utf8'));
  const bad = corpus.documents.filter((d) => [TAG, ENTITY, CSS].some((re) => re.test(d.subject) || re.test(d.text)));
  assert.deepEqual(bad.map((d) => `${d.id}: ${(d.text.match(TAG) || d.text.match(ENTITY) || d.text.match(CSS) || [d.subject])[0].slice(0, 80)}`), []);
});

test('charsets: quoted-printable bytes in the declared charset (aliases too), else Windows-1252, never U+FFFD; no shipped document has U+FFFD', () => {
  const body = ' word'.repeat(40);
  const qp = (charset, bytes) => readableEmail(`Subject: x\nContent-Type: text/plain; charset="${charset}"\nContent-Transfer-Encoding: quoted-printable\n\nthe company${bytes}s shares${body}`).text;
  assert.match(qp('windows-1252', '=92'), /^the company’s shares/);
  assert.match(qp('DEFAULT_CHARSET', '=92'), /^the company’s shares/); // unknown label, not UTF-8: Windows-1252
  assert.match(qp('iso-8859-1', '=E9'), /^the companyés shares/);
  assert.match(qp('CHINESEBIG5', '=A4=A4'), /^the company中s shares/); // an alias the Encoding Standard lacks
  for (const cs of ['DEFAULT_CHARSET', 'us-ascii', 'utf-8']) assert.doesNotMatch(qp(cs, '=81=8D=FF'), /\uFFFD/);
  const corpus = JSON.parse(gunzipSync(readFileSync(CORPUS_FILE)).toString('utf8'));
  const broken = corpus.documents.filter((d) => /\uFFFD/.test(d.subject + d.text));
  assert.deepEqual(broken.map((d) => d.id), []);
});
