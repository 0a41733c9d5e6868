// The "Attention gradients" panel: flash and polynomial backward measured in
// the worker, one point per (method, n), every record with the flash forward
// beside it, the caption giving the measured backward/forward ratio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedBrowser, openPage, waitReady, SCREENSHOTS } from './helpers.mjs';

const env = sharedBrowser();

test('the grad panel measures flash and polynomial backward and exports the records', async () => {
  const url = `${env.server.url}?panel=grad&bmethods=flash,polynomial&bnmin=256&bnmax=1024&bd=8&bdegree=4`;
  const { context, page, problems, external } = await openPage(env.browser, url);
  await waitReady(page);
  assert.equal(await page.isHidden('#grad-missing'), true);
  await page.click('#grad-run');
  await page.waitForFunction(() => Number(document.querySelector('#grad-chart').dataset.count) === 6, null, { timeout: 120000 });
  await page.waitForSelector('#grad-run:not([disabled])');
  assert.match(await page.textContent('#grad-caption'), /flash backward \/ flash forward at n = 1,024: \d+\.\d\d×/);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#grad-exports [data-export=json]')]);
  const records = readFileSync(await dl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => r.n).sort((a, b) => a - b), [256, 256, 512, 512, 1024, 1024]);
  for (const r of records) {
    assert.equal(r.suite, 'grad');
    assert.equal(r.d, 8);
    assert.ok(r.median_ms > 0 && r.forward_median_ms > 0);
    if (r.method === 'flash') assert.ok(r.error <= 1e-4, `flash n=${r.n}: error ${r.error}`);
    else assert.ok(r.error < 0.2 && r.rank === 495, `polynomial n=${r.n}: error ${r.error}, rank ${r.rank}`);
  }
  await page.screenshot({ path: path.join(SCREENSHOTS, 'grad.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});
