// The "Tensor attention" panel: the three kernels timed against n in the
// worker, the polynomial method's error vs B for tensor and matrix attention
// (∛ln n and √ln n marked), and Match3 accuracy of both layers — every caption
// from the records, and the page saying the polynomial algorithm is our reconstruction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedBrowser, openPage, waitReady, SCREENSHOTS } from './helpers.mjs';

const env = sharedBrowser();

test('the tensor panel times exact, windowed and polynomial, shows the earlier cliff and Match3', async () => {
  const url = `${env.server.url}?panel=tensor&xmethods=exact,windowed,polynomial&xnmin=32&xnmax=128&xd=4` +
    '&xemethods=tensor,matrix&xeBmin=1&xeBmax=2&xen=256&xmnmin=8&xmnmax=16&xminstances=5';
  const { context, page, problems, external } = await openPage(env.browser, url);
  await waitReady(page);
  assert.equal(await page.isHidden('#tensor-missing'), true);
  assert.match(await page.textContent('#panel-tensor'), /our reconstruction/);

  await page.click('#tensor-run');
  await page.waitForFunction(() => Number(document.querySelector('#tensor-chart').dataset.count) === 9, null, { timeout: 120000 });
  await page.waitForSelector('#tensor-run:not([disabled])');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#tensor-exports [data-export=json]')]);
  const records = readFileSync(await dl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(records.length, 9);
  for (const r of records) {
    assert.equal(r.suite, 'tensor');
    assert.ok(r.median_ms > 0);
    if (r.method !== 'polynomial') assert.ok(r.error <= 1e-5, `${r.method} n=${r.n}: ${r.error}`);
    else assert.ok(r.error < 0.05 && r.rank === 70, `polynomial n=${r.n}: ${r.error}`);
  }
  assert.match(await page.textContent('#tensor-caption'), /3 means time ∝ n³/);

  await page.click('#tensor-threshold-run');
  await page.waitForFunction(() => Number(document.querySelector('#tensor-threshold-chart').dataset.count) === 10, null, { timeout: 120000 });
  await page.waitForSelector('#tensor-threshold-run:not([disabled])');
  const caption = await page.textContent('#tensor-threshold-caption');
  assert.match(caption, /Error ≥ 1e-2: tensor from B = [\d.]+/);
  assert.match(caption, /∛ln n/);

  await page.click('#tensor-match3-run');
  await page.waitForFunction(() => Number(document.querySelector('#tensor-match3-chart').dataset.count) === 6, null, { timeout: 120000 });
  await page.waitForSelector('#tensor-match3-run:not([disabled])');
  assert.match(await page.textContent('#tensor-match3-caption'), /The tensor layer answered every position right/);

  await page.screenshot({ path: path.join(SCREENSHOTS, 'tensor.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});
