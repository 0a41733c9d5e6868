// The "Large from small" panel (simulate family): one run draws its oracle
// calls on the grid from the record's trace and counts them against the
// construction's prediction; the paper's normaliser fails in float32 at large
// scores (said in the caption); sampled's error vs M, bounded vs a needle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { sharedBrowser, openPage, waitReady, SCREENSHOTS } from './helpers.mjs';

const env = sharedBrowser();

test('the simulate panel runs blocks, shows the float32 normaliser failure, and measures sampled vs M', async () => {
  const url = `${env.server.url}?panel=simulate&simmode=blocks&simn=1024&simM=128&simd=8&simsn=1024`;
  const { context, page, problems, external } = await openPage(env.browser, url);
  await waitReady(page);
  assert.equal(await page.isHidden('#simulate-missing'), true);
  assert.match(await page.textContent('#simulate-M-value'), /M = 128 \(N\/M = 8\)/);
  await page.click('#simulate-run');
  await page.waitForFunction(() => document.querySelector('#simulate-counters').dataset.calls, null, { timeout: 60000 });
  const counters = await page.$eval('#simulate-counters', (d) => ({ ...d.dataset }));
  assert.equal(counters.calls, '128');  // 2·(N/M)² = 2·8²
  assert.equal(counters.predicted, '128');
  assert.ok(Number(counters.error) <= 1e-4, counters.error);
  await page.waitForFunction(() => Number(document.querySelector('#simulate-grid').dataset.drawn) === 128);
  assert.match(await page.textContent('#simulate-caption'), /128 oracle calls, exactly the 128 predicted/);

  // The paper's normaliser in float32, unscaled scores up to 4·4² = 64: y rounds to 1.
  await page.fill('#simulate-d', '4');
  await page.fill('#simulate-B', '4');
  await page.selectOption('#simulate-scale', '1');
  await page.dispatchEvent('#simulate-form', 'change');
  await page.click('#simulate-run');
  await page.waitForFunction(() => /normaliser failed/.test(document.querySelector('#simulate-caption').textContent), null, { timeout: 60000 });
  assert.equal(await page.$eval('#simulate-counters', (d) => d.dataset.error), 'Infinity');
  // The same with blocks_lse: exact to float rounding, (N/M)² calls.
  await page.selectOption('#simulate-mode', 'blocks_lse');
  await page.dispatchEvent('#simulate-form', 'change');
  await page.click('#simulate-run');
  await page.waitForFunction(() => document.querySelector('#simulate-counters').dataset.calls === '64', null, { timeout: 60000 });
  assert.ok(Number(await page.$eval('#simulate-counters', (d) => d.dataset.error)) <= 1e-5);
  // window: a band of O(N/M) calls.
  await page.selectOption('#simulate-mode', 'window');
  await page.fill('#simulate-window', '32');
  await page.dispatchEvent('#simulate-form', 'change');
  await page.click('#simulate-run');
  await page.waitForFunction(() => document.querySelector('#simulate-caption').textContent.startsWith('window'), null, { timeout: 60000 });
  const w = await page.$eval('#simulate-counters', (d) => ({ ...d.dataset }));
  assert.equal(w.calls, w.predicted);
  assert.equal(Number(w.calls), 2 * Math.ceil(1024 / (128 - 32)));

  await page.click('#simulate-sampled-run');
  await page.waitForFunction(() => Number(document.querySelector('#simulate-sampled-chart').dataset.count) === 12, null, { timeout: 120000 });
  await page.waitForSelector('#simulate-sampled-run:not([disabled])');
  assert.match(await page.textContent('#simulate-sampled-caption'), /bounded data: error ∝ M\^-0\.\d+ .*with a needle: \d/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'simulate.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});
