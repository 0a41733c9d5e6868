// The "RoPE attention" panel: rope_flash, rope_polynomial, positional_exact and positional_fft
// are measured in the worker, one point per (method, n), errors against each
// method's own reference, and the caption names the crossover or its absence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedBrowser, openPage, waitReady, SCREENSHOTS } from './helpers.mjs';

const env = sharedBrowser();

test('the RoPE panel measures rope_flash, rope_polynomial, positional_exact and positional_fft and exports the records', async () => {
  const url = `${env.server.url}?panel=rope&rmethods=rope_flash,rope_polynomial,positional_exact,positional_fft&rnmin=256&rnmax=1024&rd=8&rpd=4&rdegree=4`;
  const { context, page, problems, external } = await openPage(env.browser, url);
  await waitReady(page);
  assert.equal(await page.isHidden('#rope-missing'), true);
  assert.match(await page.textContent('#panel-rope .theorem'), /applies unchanged/);
  await page.click('#rope-run');
  await page.waitForFunction(() => Number(document.querySelector('#rope-chart').dataset.count) === 12, null, { timeout: 120000 });
  await page.waitForSelector('#rope-run:not([disabled])');
  const caption = await page.textContent('#rope-caption');
  assert.match(caption, /rope_polynomial (is faster than|has not overtaken) rope_flash/);
  assert.match(caption, /positional_fft (is faster than|has not overtaken) positional_exact/);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#rope-exports [data-export=json]')]);
  const records = readFileSync(await dl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(records.length, 12);
  for (const r of records) {
    assert.equal(r.suite, 'attention');
    assert.equal(r.d, r.method.startsWith('positional_') ? 4 : 8);
    assert.ok(r.median_ms > 0);
    assert.ok(r.error <= (r.method.endsWith('_fft') || r.method.endsWith('_polynomial') ? 1e-2 : 1e-5), `${r.method} n=${r.n}: error ${r.error}`);
  }
  await page.screenshot({ path: path.join(SCREENSHOTS, 'rope.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});

test('the RoPE panel\'s error-vs-B sweep: both fast methods against their references, the cliff in the caption', async () => {
  const url = `${env.server.url}?panel=rope&ren=256&rd=8&rpd=4&rdegree=4&rBmin=0.25&rBmax=2`;
  const { context, page, problems, external } = await openPage(env.browser, url);
  await waitReady(page);
  assert.match(await page.textContent('#panel-rope'), /our reconstruction/);
  await page.click('#rerrors-run');
  // B = 0.25 … 2 on the choices: 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2 — two methods each.
  await page.waitForFunction(() => Number(document.querySelector('#rerrors-chart').dataset.count) === 16, null, { timeout: 120000 });
  await page.waitForSelector('#rerrors-run:not([disabled])');
  const caption = await page.textContent('#rerrors-caption');
  assert.match(caption, /rope_polynomial \(g = 4\): error ≤ 1e-3 up to B = [\d.]+/);
  assert.match(caption, /positional_fft \(g = 4\): /);
  const legend = await page.textContent('#rerrors-sweep .u-legend, #rope-error-sweep .u-legend');
  assert.match(legend, /positional_fft g=4 \(70 pieces\)/);
  assert.match(legend, /rope_polynomial g=4 \(rank 495\)/);
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});
