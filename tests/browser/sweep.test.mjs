// The time-vs-n sweep: records stream into the chart, slopes are fitted from
// them, exports parse, and cancel stops a long sweep promptly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedBrowser, openPage, waitReady, longestTaskSince, SCREENSHOTS } from './helpers.mjs';

const env = sharedBrowser();

test('a sweep draws one point per record and fits a slope near 2 for exact', async () => {
  const { context, page, problems, external } = await openPage(env.browser, `${env.server.url}?methods=exact&nmin=128&nmax=2048&td=32`);
  await waitReady(page);
  const sweepStart = await page.evaluate(() => performance.now());
  await page.click('#sweep-run');
  await page.waitForFunction(() => Number(document.querySelector('#sweep-chart').dataset.count) === 5, null, { timeout: 120000 });
  await page.waitForSelector('#sweep-run:not([disabled])');
  const longest = await longestTaskSince(page, sweepStart);
  console.log(`# longest main-thread task during the sweep: ${longest.toFixed(0)} ms`);
  assert.ok(longest <= 50, `main thread blocked ${longest} ms`);
  const caption = await page.textContent('#sweep-caption');
  const m = caption.match(/exact (\d+\.\d+)/);
  assert.ok(m, caption);
  const slope = Number(m[1]);
  // Exact attention is Θ(n²); small n carry fixed costs, so accept a broad band.
  assert.ok(slope > 1.4 && slope < 2.4, `slope ${slope}`);
  assert.ok(await page.locator('.u-legend').isVisible());
  // Every fitted slope comes with its 95 % interval and r², in the caption and the legend.
  assert.match(caption, /exact \d+\.\d+ ± \d+\.\d+ \(r² [01]\.\d{3}, \d points\)/);
  assert.match(await page.textContent('.u-legend'), /exact \(slope \d+\.\d+ ± \d+\.\d+, r² [01]\.\d{3}\)/);
  // Every timed point shows its spread in the tooltip: hover the last point.
  await page.locator('#sweep-chart .u-over').scrollIntoViewIfNeeded();
  const box = await page.locator('#sweep-chart .u-over').boundingBox();
  await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
  await page.waitForSelector('#sweep-chart .chart-tooltip:not([hidden])');
  assert.match(await page.textContent('#sweep-chart .chart-tooltip'), /IQR [\d.e+-]+–[\d.e+-]+, range [\d.e+-]+–[\d.e+-]+ ms, \d+ reps/);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#sweep-exports [data-export=csv]')]);
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
  assert.equal(csv.length, 6);
  const header = csv[0].split(',');
  for (const k of ['method', 'n', 'median_ms', 'gflops', 'error', 'min_ms', 'q1_ms', 'q3_ms', 'max_ms', 'timed']) assert.ok(header.includes(k), k);
  const [jsonDl] = await Promise.all([page.waitForEvent('download'), page.click('#sweep-exports [data-export=json]')]);
  const lines = readFileSync(await jsonDl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((r) => r.n), [128, 256, 512, 1024, 2048]);
  const [pngDl] = await Promise.all([page.waitForEvent('download'), page.click('#sweep-exports [data-export=png]')]);
  assert.deepEqual([...readFileSync(await pngDl.path()).subarray(1, 4)], [80, 78, 71]); // "PNG"

  await page.screenshot({ path: path.join(SCREENSHOTS, 'attention-sweep.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});

test('cancel stops a long sweep within a second and keeps the results so far', async () => {
  const { context, page, problems } = await openPage(env.browser, `${env.server.url}?methods=exact&nmin=1024&nmax=131072&d=64`);
  await waitReady(page);
  // Too long to start unasked: the error box says so and offers the largest
  // "to" that fits, or running it anyway.
  await page.click('#sweep-run');
  await page.waitForSelector('#sweep-error [data-offer=anyway]');
  assert.match(await page.textContent('#sweep-error'), /This sweep would take about .+ on this machine/);
  const offer = await page.textContent('#sweep-error [data-offer=smaller]');
  const smaller = Number(offer.match(/Run to n = ([\d,]+)/)[1].replace(/,/g, ''));
  assert.ok(smaller >= 1024 && smaller < 131072, offer);
  assert.equal(await page.getAttribute('#sweep-chart', 'data-count'), null); // nothing ran
  await page.click('#sweep-error [data-offer=anyway]');
  await page.waitForFunction(() => Number(document.querySelector('#sweep-chart').dataset.count) >= 1, null, { timeout: 60000 });
  const t0 = Date.now();
  await page.click('#sweep-cancel');
  await page.waitForSelector('#sweep-run:not([disabled])', { timeout: 5000 });
  const stopMs = Date.now() - t0;
  console.log(`# cancel took ${stopMs} ms`);
  assert.ok(stopMs < 1000, `cancel took ${stopMs} ms`);
  assert.match(await page.textContent('#sweep-error'), /Cancelled after \d+ of \d+/);
  assert.ok(Number(await page.getAttribute('#sweep-chart', 'data-count')) >= 1);

  // Taking the smaller offer sets "to" (and the URL) and starts that sweep.
  await page.click('#sweep-run');
  await page.click('#sweep-error [data-offer=smaller]');
  await page.waitForSelector('#sweep-cancel:not([disabled])');
  assert.equal(await page.inputValue('#sweep-form select[name=xmax]'), String(smaller));
  assert.match(page.url(), new RegExp(`nmax=${smaller}(&|$)`));
  await page.click('#sweep-cancel');
  await page.waitForSelector('#sweep-run:not([disabled])', { timeout: 5000 });
  assert.deepEqual(problems, []);
  await context.close();
});
