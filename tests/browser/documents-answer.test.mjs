// Documents as a visitor meets them: bitset with TF-IDF vectors offers 0/1
// instead of a kernel error over an old answer; the default answer reads
// cleanly (no U+FFFD, no one-letter "shared words").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { sharedBrowser, openPage, waitReady, SCREENSHOTS } from './helpers.mjs';

const env = sharedBrowser();

const OWN = [
  'Quantum error correction protects fragile qubits from decoherence with redundant encoding.',
  'Fresh basil, ripe tomatoes and mozzarella make a simple summer salad.',
  'Quantum error correction protects fragile qubits against decoherence using redundant encodings.',
].join('\n\n');

test('bitset with TF-IDF vectors: the old answer is cleared and switching to 0/1 is offered, then runs', async () => {
  const { context, page, problems } = await openPage(env.browser, `${env.server.url}?panel=documents&dsource=own&dvocab=200&dweight=tfidf&dmethod=gram`);
  await waitReady(page);
  await page.fill('#documents-text', OWN);
  await page.click('#documents-run');
  await page.waitForSelector('#documents-result .headline');
  await page.waitForSelector('#documents-run:not([disabled])');
  await page.selectOption('#documents-form select[name=dmethod]', 'bitset');
  await page.click('#documents-run');
  await page.waitForSelector('#documents-error[data-refused="weighting"]');
  assert.match(await page.textContent('#documents-error'), /bitset needs 0\/1 vectors/);
  assert.equal(await page.textContent('#documents-result'), '', 'no stale answer beside the question');
  await page.click('#documents-error [data-offer="binary"]');
  await page.waitForSelector('#documents-result .headline');
  assert.match(await page.textContent('#documents-result .headline'), /Most similar pair: #1 and #3, cosine of 0\/1 word vectors/);
  assert.equal(await page.inputValue('#documents-form select[name=dweight]'), 'binary');
  assert.equal(await page.isHidden('#documents-error'), true);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the default answer reads cleanly: no U+FFFD, no one-letter shared words, an English pair', async () => {
  const { context, page, problems } = await openPage(env.browser, `${env.server.url}?panel=documents`);
  await waitReady(page);
  await page.click('#documents-run');
  await page.waitForSelector('#documents-result .headline', { timeout: 60000 });
  const text = await page.textContent('#documents-result');
  assert.doesNotMatch(text, /\uFFFD/);
  const marks = await page.$$eval('#documents-result mark', (ms) => ms.map((m) => m.textContent));
  assert.ok(marks.length >= 10, `${marks.length} highlighted words`);
  for (const m of marks) assert.ok([...m].length >= 2, `one-letter shared word '${m}'`);
  assert.match(text, /\b(the|and|your|our)\b/i);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'documents-default-answer.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});
