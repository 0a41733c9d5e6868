// A 390 px phone: no panel scrolls sideways, before or after a run (long
// <select> texts once pushed the page to 466 px).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { sharedBrowser, waitReady, SCREENSHOTS } from './helpers.mjs';
import { PANELS } from '../../web/app/catalog.js';

const env = sharedBrowser();
const width = () => ({ scrollW: document.documentElement.scrollWidth, innerW: innerWidth });

test('every panel at 390×844 (a phone): no sideways scroll', async () => {
  const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  for (const panel of ['home', ...PANELS.map((p) => p.panel)]) {
    await page.goto(`${env.server.url}?panel=${panel}`);
    await waitReady(page);
    const w = await page.evaluate(width);
    assert.equal(w.innerW, 390, `${panel}: the layout viewport grew to ${w.innerW}px`);
    assert.ok(w.scrollW <= 390, `${panel}: ${w.scrollW}px wide`);
  }
  // After runs: a single run's history table, and a sweep's chart with its legend.
  await page.goto(`${env.server.url}?panel=attention&n=64&d=8&methods=exact,flash,linear&nmin=64&nmax=256&td=8`);
  await waitReady(page);
  await page.click('#attention-run');
  await page.waitForFunction(() => document.querySelector('#attention-result').dataset.count === '1', null, { timeout: 30000 });
  await page.click('#sweep-run');
  await page.waitForFunction(() => Number(document.querySelector('#sweep-chart').dataset.count) === 9, null, { timeout: 60000 });
  const w = await page.evaluate(width);
  assert.ok(w.innerW === 390 && w.scrollW <= 390, JSON.stringify(w));
  await page.screenshot({ path: path.join(SCREENSHOTS, 'phone-attention-390.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});
