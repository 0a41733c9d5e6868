// The degree sweep (attention panel): for a fixed error, the degree and rank
// the polynomial method needs as B grows and its speed-up over flash, with
// the B = √ln n line on this chart (and not on the fixed-degree error chart).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openPage, waitReady, sharedBrowser, SCREENSHOTS } from './helpers.mjs';

const env = sharedBrowser();

test('degree vs B: records per B, a caption from them, the √ln n line here only', async () => {
  const { context, page, problems, external } = await openPage(env.browser,
    `${env.server.url}?panel=attention&gn=256&gd=4&gBmin=0.25&gBmax=1&gtarget=0.01&en=256&ed=4&Bmin=0.25&Bmax=0.5`);
  await waitReady(page);
  await page.click('#degree-run');
  await page.waitForFunction(() => Number(document.querySelector('#degree-chart').dataset.count) === 4, null, { timeout: 120000 });
  await page.waitForSelector('#degree-run:not([disabled])');
  const caption = await page.textContent('#degree-caption');
  assert.match(caption, /For error ≤ 0\.01 at n = 256, d = 4: the degree needed grows from g = \d+ at B = 0\.25 to g = \d+ at B = 1 \(rank [\d,]+ → [\d,]+\)/);
  assert.match(caption, /× flash's speed at B = 0\.25/);
  const lines = await page.evaluate(() => document.querySelector('#degree-chart').chart.refLines.map((l) => l.label));
  assert.deepEqual(lines, [`B = √ln n = ${Math.sqrt(Math.log(256)).toFixed(2)}`]);
  // The fixed-degree error chart carries no √ln n line (its jump depends on B²/g, not n).
  await page.click('#errors-run');
  await page.waitForFunction(() => Number(document.querySelector('#errors-chart').dataset.count) === 2, null, { timeout: 60000 });
  const errorLines = await page.evaluate(() => document.querySelector('#errors-chart').chart.refLines.length);
  assert.equal(errorLines, 0);
  // Degrees found never decrease as B grows (a larger interval needs at least as high a degree here).
  const degrees = await page.evaluate(() => [...document.querySelector('#degree-chart').chart.series.values()]
    .flatMap((pts) => [...pts].sort((a, b) => a[0] - b[0]).map(([, p]) => p.record.degree)));
  for (let k = 1; k < degrees.length; k++) assert.ok(degrees[k] >= degrees[k - 1], `${degrees}`);
  await page.locator('#attention-degree').screenshot({ path: path.join(SCREENSHOTS, 'attention-degree.png') });
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});
