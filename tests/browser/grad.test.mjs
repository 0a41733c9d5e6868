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

test('the paper\'s loss gradient: loss_exact and loss_polynomial timed against n, with the crossover caption', async () => {
  const url = `${env.server.url}?panel=grad&lmethods=loss_exact,loss_polynomial&lnmin=256&lnmax=1024&ld=4&ldegree=3`;
  const { context, page, problems, external } = await openPage(env.browser, url);
  await waitReady(page);
  await page.click('#gradloss-run');
  await page.waitForFunction(() => Number(document.querySelector('#gradloss-chart').dataset.count) === 6, null, { timeout: 120000 });
  await page.waitForSelector('#gradloss-run:not([disabled])');
  assert.match(await page.textContent('#gradloss-caption'), /At n = 1,024: loss_exact \/ loss_polynomial = \d+\.\d×/);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#gradloss-exports [data-export=json]')]);
  const records = readFileSync(await dl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => `${r.method}@${r.n}`).sort(),
    ['loss_exact@1024', 'loss_exact@256', 'loss_exact@512', 'loss_polynomial@1024', 'loss_polynomial@256', 'loss_polynomial@512']);
  for (const r of records) {
    assert.equal(r.suite, 'grad');
    assert.ok(r.median_ms > 0 && r.loss > 0);
    // Inside the regime (‖A₁X‖∞ ≤ 0.5): the polynomial dL/dX is close to loss_exact's; loss_exact's to the double reference.
    assert.ok(r.error <= 1e-3, `${r.method} n=${r.n}: error ${r.error}`);
  }
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});

test('the live training run streams one record per step, marks the regime and the divergence, and cancels', async () => {
  const url = `${env.server.url}?panel=grad&trn=256&trsteps=40&trlr=3&trteacher=3&trdegree=2`;
  const { context, page, problems, external } = await openPage(env.browser, url);
  await waitReady(page);
  await page.waitForFunction(() => /about .+ on this machine/.test(document.querySelector('#gradtrain-estimate').textContent));
  await page.click('#gradtrain-run');
  // Live: the chart has some steps before the run is over.
  await page.waitForFunction(() => Number(document.querySelector('#gradtrain-chart').dataset.count) >= 3, null, { timeout: 60000 });
  await page.waitForFunction(() => Number(document.querySelector('#gradtrain-chart').dataset.count) === 41, null, { timeout: 120000 });
  await page.waitForSelector('#gradtrain-run:not([disabled])');
  const caption = await page.textContent('#gradtrain-caption');
  assert.match(caption, /^Step 40: loss with the exact gradient [\d.e-]+ \(from [\d.e-]+\)/);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#gradtrain-exports [data-export=json]')]);
  const records = readFileSync(await dl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => r.step), Array.from({ length: 41 }, (_, k) => k));
  assert.ok(records.at(-1).loss_exact < records[0].loss_exact, 'the exact loss falls');
  assert.equal(records.at(-1).summary.steps, 40);
  const left = records.findIndex((r) => r.left_regime);
  if (left >= 0) {
    assert.ok(records[left].bound_poly > records[left].threshold);
    assert.match(caption, new RegExp(`passed √ln n = [\\d.]+ at step ${left}\\.`));
  }
  const differ = records.findIndex((r) => r.losses_differ);
  if (differ >= 0) assert.match(caption, new RegExp(`first differed by more than 10 % at step ${differ}\\.`));
  await page.screenshot({ path: path.join(SCREENSHOTS, 'grad-training.png'), fullPage: true });
  // A long run cancels between steps and keeps what it drew.
  await page.fill('#gradtrain-form [name=trsteps]', '2000');
  await page.dispatchEvent('#gradtrain-form [name=trsteps]', 'change');
  await page.click('#gradtrain-run');
  const offer = await page.$('#gradtrain-error [data-offer=anyway]');
  if (offer) await offer.click();
  await page.waitForFunction(() => Number(document.querySelector('#gradtrain-chart').dataset.count) >= 5, null, { timeout: 60000 });
  await page.click('#gradtrain-cancel');
  await page.waitForSelector('#gradtrain-run:not([disabled])');
  const kept = Number(await page.getAttribute('#gradtrain-chart', 'data-count'));
  assert.ok(kept >= 5 && kept < 2001, `kept ${kept}`);
  assert.match(await page.textContent('#gradtrain-error'), /Cancelled after/);
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});
