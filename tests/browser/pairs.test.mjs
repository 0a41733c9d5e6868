// Pair search as a visitor meets it: the default sweep shows what the text
// says (the hashing method finds the planted pair, checks few pairs, and
// overtakes gram inside the default range); counts read "2 of 3"; ρ is off
// for OV-hard instances; bitset is not rated against the float ceiling; the
// y titles are whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openPage, waitReady, sharedBrowser, SCREENSHOTS } from './helpers.mjs';

const env = sharedBrowser();

test('the default pair-search sweep shows what its text claims', async () => {
  const { context, page, problems } = await openPage(env.browser, `${env.server.url}?panel=pairs`);
  await waitReady(page);
  assert.match(await page.textContent('#panel-pairs .theorem'), /overtake the exact methods once n reaches several thousand/);
  await page.click('#pairs-run');
  await page.waitForSelector('#pairs-run:not([disabled])');
  await page.waitForFunction(() => Number(document.querySelector('#pairs-chart').dataset.count) === 10, null, { timeout: 180000 });
  const caption = await page.textContent('#pairs-caption');
  assert.match(caption, /simhash: found the best pair in [23] of 3 instances at n = 16,384, computing [\d.]+ % of the/);
  const work = Number(caption.match(/simhash: found .*? computing ([\d.]+) %/)[1]);
  assert.ok(work < 1, `simhash computed ${work} % of the pairs`);
  assert.match(await page.textContent('#panel-pairs .theorem'), /find it in most instances while checking under 1 % of the pairs/);
  const cross = caption.match(/simhash is faster than gram from n = ([\d,]+) on/);
  assert.ok(cross, caption);
  // Whole y titles (nothing cut to fit).
  for (const id of ['#pairs-chart', '#pairs-chart2']) {
    const t = await page.evaluate((sel) => { const c = document.querySelector(sel).chart; return [c.yTitle, c.o.yLabel]; }, id);
    assert.equal(t[0], t[1]);
  }
  await page.screenshot({ path: path.join(SCREENSHOTS, 'pairs-default.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test('ρ is off for OV-hard instances; bitset is not rated against the float ceiling; 0 of 3 reads as a count', async () => {
  const { context, page, problems } = await openPage(env.browser, `${env.server.url}?panel=pairs&pgen=ovhard&pmethods=bitset&pnmin=256&pnmax=512&pd=64`);
  await waitReady(page);
  assert.equal(await page.isDisabled('#pairs-form input[name="prho"]'), true);
  await page.selectOption('#pairs-form select[name="pgen"]', 'planted_sparse');
  assert.equal(await page.isDisabled('#pairs-form input[name="prho"]'), false);
  await page.selectOption('#pairs-form select[name="pgen"]', 'ovhard');
  await page.click('#pairs-run');
  await page.waitForFunction(() => Number(document.querySelector('#pairs-chart').dataset.count) === 2, null, { timeout: 60000 });
  const caption = await page.textContent('#pairs-caption');
  assert.match(caption, /bitset: found the best pair in \d of 3 instances/);
  assert.doesNotMatch(caption, /% of this machine's peak/);
  assert.deepEqual(problems, []);
  await context.close();
});
