// The documents and pair-search panels: the visitor's own texts and the
// bundled corpus → the most / least similar pair, highlighted; bad input keeps
// what was typed; the pair sweep shows exact vs heuristic recall.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { sharedBrowser, openPage, waitReady, longestTaskSince, SCREENSHOTS } from './helpers.mjs';

const env = sharedBrowser();

const OWN = [
  'The committee approved the annual budget for the new library and the public park.',
  'Quantum error correction protects fragile qubits from decoherence with redundant encoding.',
  'Fresh basil, ripe tomatoes and mozzarella make a simple summer salad.',
  'Quantum error correction protects fragile qubits against decoherence using redundant encodings and syndromes.',
  'The marathon route passes the harbour, the cathedral and the old market square.',
  'Привет, мир! 你好世界 — emoji 🚀🚀 and symbols ∑∫ are text too.',
].join('\n\n');

async function findPair(page) {
  const before = await page.textContent('#documents-result');
  await page.click('#documents-run');
  await page.waitForFunction((b) => document.querySelector('#documents-result').textContent !== b
    || !document.querySelector('#documents-error').hidden, before, { timeout: 60000 });
  await page.waitForSelector('#documents-run:not([disabled])');
}

test('own documents: the near-duplicate pair is found, shared words highlighted, text kept after an error and a reload', async () => {
  const { context, page, problems, external } = await openPage(env.browser, `${env.server.url}?panel=documents&dsource=own&dvocab=200&dweight=binary`);
  await waitReady(page);
  // Too few documents: a clear error, and what was typed stays.
  await page.fill('#documents-text', 'only one document here');
  await findPair(page);
  assert.match(await page.textContent('#documents-error'), /at least two documents/);
  assert.equal(await page.inputValue('#documents-text'), 'only one document here');

  await page.fill('#documents-text', OWN);
  await findPair(page);
  assert.equal(await page.isHidden('#documents-error'), true, await page.textContent('#documents-error'));
  const headline = await page.textContent('#documents-result .headline');
  assert.match(headline, /Most similar pair: #2 and #4/);
  const marked = await page.$$eval('#documents-result mark', (ms) => ms.map((m) => m.textContent.toLowerCase()));
  for (const w of ['quantum', 'error', 'correction', 'qubits', 'decoherence']) assert.ok(marked.includes(w), `${w} highlighted`);
  assert.match(await page.textContent('#documents-result'), /This is the exact optimum/);

  // The least similar pair is a different one, with a lower cosine.
  const most = Number(await page.getAttribute('#documents-result', 'data-value'));
  await page.selectOption('#documents-form select[name=dproblem]', 'lsd');
  await findPair(page);
  const least = Number(await page.getAttribute('#documents-result', 'data-value'));
  assert.ok(least < most, `${least} < ${most}`);

  await page.reload();
  await waitReady(page);
  assert.equal(await page.inputValue('#documents-text'), OWN); // kept in this browser only

  // Megabytes of junk (binary bytes, every script, emoji): an answer or a clear
  // message, never a hang, and the text stays as typed.
  const junkLength = await page.evaluate(() => {
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
    const pieces = ['\u0000', '\ufffd', 'Ω', 'ж', '中文', '🚀🔥', 'العربية', 'x'.repeat(70), 'word', '\n\n', ' '];
    let text = '';
    while (text.length < 3e6) text += pieces[next() % pieces.length] + String.fromCharCode(next() % 0xd7ff);
    const box = document.querySelector('#documents-text');
    box.value = text;
    box.dispatchEvent(new Event('input'));
    return text.length;
  });
  // Too large for a text box (laying it out would freeze the page for
  // seconds): held in the page with a preview instead, nothing lost.
  const since = await page.evaluate(() => performance.now());
  await page.selectOption('#documents-form select[name=dproblem]', 'msd');
  assert.equal(await page.isVisible('#documents-held'), true);
  assert.equal(await page.isHidden('#documents-text'), true);
  assert.equal(Number(await page.getAttribute('#documents-held', 'data-chars')), junkLength);
  console.log(`# longest main-thread task after 3 MB of pasted junk: ${Math.round(await longestTaskSince(page, since))} ms`);
  await findPair(page);
  const answered = await page.isHidden('#documents-error');
  if (!answered) assert.match(await page.textContent('#documents-error'), /^[\w ,.]+: .*(limit|must|at most)/);
  assert.equal(Number(await page.getAttribute('#documents-held', 'data-chars')), junkLength);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'documents-own.png'), fullPage: true });
  await page.reload();
  await waitReady(page);
  const count = await page.textContent('#documents-count');
  if (!/kept for this visit only/.test(count)) assert.equal(Number(await page.getAttribute('#documents-held', 'data-chars')), junkLength);
  await page.click('#documents-forget');
  assert.equal(await page.isVisible('#documents-text'), true);
  assert.equal(await page.inputValue('#documents-text'), '');
  // A large paste goes to the page, not the box, at the caret.
  await page.fill('#documents-text', 'first document\n\nlast document');
  const held = await page.evaluate(() => {
    const box = document.querySelector('#documents-text');
    box.setSelectionRange(16, 16);
    const data = new DataTransfer();
    data.setData('text/plain', `${'pasted words '.repeat(20000)}\n\n`);
    box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    return Number(document.querySelector('#documents-held').dataset.chars);
  });
  assert.equal(held, 'first document\n\nlast document'.length + 13 * 20000 + 2);
  assert.match(await page.textContent('#documents-held-preview'), /^first document\n\npasted words/);
  assert.match(await page.textContent('#documents-count'), /^3 documents/);
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});

test('bundled corpus: exact and heuristic methods on real e-mails', async () => {
  const { context, page, problems, external } = await openPage(env.browser, `${env.server.url}?panel=documents&dcount=600`);
  await waitReady(page);
  await findPair(page);
  assert.equal(await page.isHidden('#documents-error'), true, await page.textContent('#documents-error'));
  const exact = Number(await page.getAttribute('#documents-result', 'data-value'));
  assert.ok(exact > 0.5 && exact <= 1 + 1e-6, `best TF-IDF cosine ${exact}`);
  assert.match(await page.textContent('#documents-result'), /compared 179,700 of 179,700 pairs/);
  assert.match(await page.textContent('#documents-source'), /SpamAssassin/);

  assert.equal(await page.getAttribute('#documents-result', 'data-reused'), 'false');
  await page.selectOption('#documents-form select[name=dmethod]', 'simhash');
  await findPair(page);
  // Same texts and settings: the worker reuses the vectors instead of re-tokenising.
  assert.equal(await page.getAttribute('#documents-result', 'data-reused'), 'true');
  const text = await page.textContent('#documents-result');
  const heuristic = Number(await page.getAttribute('#documents-result', 'data-value'));
  assert.ok(heuristic <= exact + 1e-6);
  assert.match(text, heuristic >= exact - 1e-6 ? /This is the exact optimum|: optimal\./ : /the heuristic missed it/);

  // One attention layer (the Alman–Yu construction, diagonal masked) finds the
  // exact optimum at the default β = 100 ln n; at β = ln n it goes wrong.
  assert.equal(await page.isHidden('#documents-beta'), true);
  await page.selectOption('#documents-form select[name=dmethod]', 'attention');
  assert.equal(await page.isVisible('#documents-beta'), true);
  await findPair(page);
  assert.equal(await page.isHidden('#documents-error'), true, await page.textContent('#documents-error'));
  const byAttention = await page.textContent('#documents-result');
  assert.ok(Math.abs(Number(await page.getAttribute('#documents-result', 'data-value')) - exact) < 1e-6, byAttention);
  assert.match(byAttention, /One attention layer compared 179,700 of 179,700 pairs/);
  assert.match(byAttention, /This is the exact optimum|: optimal\./);
  assert.match(byAttention, /Attention: β = 100 · ln 600/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'documents-attention.png'), fullPage: true });
  await page.fill('#documents-form input[name=dbeta]', '1');
  await page.dispatchEvent('#documents-form input[name=dbeta]', 'change');
  await findPair(page);
  const soft = Number(await page.getAttribute('#documents-result', 'data-value'));
  assert.ok(soft < exact - 1e-3, `β = ln n: ${soft} vs the optimum ${exact}`);
  assert.match(await page.textContent('#documents-result'), /raise β \/ ln n/);
  assert.match(page.url(), /dbeta=1(&|$)/);
  // Another vocabulary size: new vectors.
  await page.fill('#documents-form input[name=dvocab]', '300');
  await page.dispatchEvent('#documents-form input[name=dvocab]', 'change');
  await findPair(page);
  assert.equal(await page.getAttribute('#documents-result', 'data-reused'), 'false');

  await page.screenshot({ path: path.join(SCREENSHOTS, 'documents-corpus.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});

test('pair-search sweep: gram always finds the planted pair, and its time grows like n²', async () => {
  const url = `${env.server.url}?panel=pairs&pmethods=gram,simhash&pnmin=1024&pnmax=4096&prho=0.9&pseeds=2&pd=64`;
  const { context, page, problems, external } = await openPage(env.browser, url);
  await waitReady(page);
  await page.click('#pairs-run');
  await page.waitForFunction(() => Number(document.querySelector('#pairs-chart').dataset.count) === 6, null, { timeout: 120000 });
  await page.waitForSelector('#pairs-run:not([disabled])');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#pairs-exports [data-export=json]')]);
  const records = readFileSync(await dl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const gram = records.filter((r) => r.method === 'gram');
  assert.equal(gram.length, 3);
  assert.ok(gram.every((r) => r.found_best === 1 && r.candidates === r.total_pairs), JSON.stringify(gram));
  const simhash = records.filter((r) => r.method === 'simhash');
  assert.ok(simhash.every((r) => r.candidates < r.total_pairs), 'simhash checks fewer pairs');
  assert.match(await page.textContent('#pairs-caption'), /gram: found the best pair in (\d+) of \1 instances/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'pairs.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});
