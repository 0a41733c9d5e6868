// The "SSM vs attention" panel: both blocks are measured in the worker, the
// chart gets one point per (method, L), and the caption names the slopes or
// the crossover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedBrowser, openPage, waitReady, SCREENSHOTS } from './helpers.mjs';

const env = sharedBrowser();

test('the SSM panel measures mamba_block and attention_block and exports the records', async () => {
  const url = `${env.server.url}?panel=ssm&smethods=mamba_block,attention_block&Lmin=256&Lmax=1024&sD=64&sN=8`;
  const { context, page, problems, external } = await openPage(env.browser, url);
  await waitReady(page);
  assert.equal(await page.isHidden('#ssm-missing'), true);
  await page.click('#ssm-run');
  await page.waitForFunction(() => Number(document.querySelector('#ssm-chart').dataset.count) === 6, null, { timeout: 120000 });
  await page.waitForSelector('#ssm-run:not([disabled])');
  const caption = await page.textContent('#ssm-caption');
  assert.match(caption, /mamba_block (is faster|has not overtaken)/);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#ssm-exports [data-export=json]')]);
  const records = readFileSync(await dl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => r.L).sort((a, b) => a - b), [256, 256, 512, 512, 1024, 1024]);
  for (const r of records) {
    assert.equal(r.suite, 'ssm');
    assert.equal(r.D, 64);
    assert.ok(r.median_ms > 0);
    assert.ok(r.error <= 1e-4, `${r.method} L=${r.L}: error ${r.error}`);
  }
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ssm.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});
