// The attention-vs-subquadratic panel: exact attention solves every planted
// instance; the fixed-state reader falls behind as n grows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { sharedBrowser, openPage, waitReady, SCREENSHOTS } from './helpers.mjs';

const env = sharedBrowser();

test('exact attention solves all instances; the fixed-state reader does not keep up', async () => {
  const url = `${env.server.url}?panel=versus&vmethods=exact,sketch_reader&vnmin=64&vnmax=1024&vseeds=3&vstate=512`;
  const { context, page, problems, external } = await openPage(env.browser, url);
  await waitReady(page);
  await page.click('#versus-run');
  await page.waitForFunction(() => Number(document.querySelector('#versus-chart').dataset.count) === 10, null, { timeout: 120000 });
  await page.waitForSelector('#versus-run:not([disabled])');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#versus-exports [data-export=json]')]);
  const { readFileSync } = await import('node:fs');
  const records = readFileSync(await dl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const exact = records.filter((r) => r.method === 'exact');
  const reader = records.filter((r) => r.method === 'sketch_reader');
  assert.ok(exact.every((r) => r.accuracy === 1), JSON.stringify(exact.map((r) => r.accuracy)));
  assert.ok(reader.find((r) => r.n === 1024).accuracy < 1);
  assert.match(await page.textContent('#versus-caption'), /exact solves 100 % at n = 1,024/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'versus.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});
