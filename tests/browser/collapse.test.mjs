// The "Layer collapse" panel: 13 values of η measured in the worker, errors
// and their ratios to the deviation charted, the caption's numbers read from
// the records (checked here against the exported records), res_norm vs depth
// at the slider's η, and the claim labelled as claimed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedBrowser, openPage, waitReady, SCREENSHOTS } from './helpers.mjs';

const env = sharedBrowser();

function slope(points) {
  const xs = points.map(([x]) => Math.log(x)), ys = points.map(([, y]) => Math.log(y));
  const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length;
  let sxy = 0, sxx = 0;
  xs.forEach((x, i) => { sxy += (x - mx) * (ys[i] - my); sxx += (x - mx) ** 2; });
  return sxy / sxx;
}

test('the collapse panel measures the network over η, marks the thresholds and draws res_norm vs depth', async () => {
  const url = `${env.server.url}?panel=collapse&cL=4&cH=2&cd=8&cn=32&ceta=0.01&cfit=1`;
  const { context, page, problems, external } = await openPage(env.browser, url);
  await waitReady(page);
  assert.equal(await page.isHidden('#collapse-missing'), true);
  assert.match(await page.textContent('#panel-collapse .note'), /Status: claimed, not proved/);
  assert.equal(await page.textContent('#collapse-eta-value'), '1e−2');
  await page.click('#collapse-run');
  await page.waitForFunction(() => Number(document.querySelector('#collapse-chart').dataset.count) === 13, null, { timeout: 120000 });
  await page.waitForSelector('#collapse-run:not([disabled])', { timeout: 120000 });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#collapse-exports [data-export=json]')]);
  const all = readFileSync(await dl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const records = all.filter((r) => r.method === 'san_forward');
  const fits = all.filter((r) => r.method === 'fit_one_layer');
  assert.equal(records.length, 13);
  assert.equal(fits.length, 13);
  // The trained layer beats the merged one while the network is shallow in effect (η ≤ 0.1) and its
  // targets S(X_b) − X_b, rounded once to float32 (≈ 1e-7 of ‖X‖), are well above the merged error (η ≥ 1e-3).
  for (const f of fits.filter((x) => x.eta >= 0.000999 && x.eta <= 0.1)) {
    const r = records.find((x) => x.eta === f.eta);
    assert.ok(f.train_loss_last < f.train_loss_first && f.fit_ratio < r.merged_ratio, `η=${f.eta}: fit ${f.fit_ratio} vs merged ${r.merged_ratio}`);
  }
  for (const r of records) {
    assert.equal(r.suite, 'collapse');
    assert.equal(r.layers, 4);
    assert.equal(r.d, 8);
    assert.ok(r.deviation > 0 && r.deviation <= r.deviation_bound, `η=${r.eta}`);
    // float32 scores carry a relative error ~6e-8 × their size: large entries (η → 1) loosen the agreement.
    const tol = r.entry_bound <= 2 ? 1e-4 : 1e-2;
    assert.ok(r.error <= tol, `η=${r.eta}: san_forward vs reference ${r.error} (entry bound ${r.entry_bound})`);
  }
  // The slope the caption states is the one the records give.
  const fit = records.filter((r) => r.eta >= 0.000999 && r.eta <= 0.03003).map((r) => [r.eta, r.merged_ratio]);
  const s = slope(fit);
  assert.ok(s > 0.7 && s < 1.3, `ratio slope ${s}`);
  const caption = await page.textContent('#collapse-caption');
  assert.match(caption, new RegExp(`their ratio ${s.toFixed(2)}`));
  const at = records.find((r) => r.eta === 0.01);
  assert.match(caption, /At η = 1e−2 \(L = 4, H = 2, d = 8, n = 32\)/);
  assert.match(caption, /skips stop rank collapse, not layer collapse/);
  assert.match(caption, /Trained by 300 Adam steps on random inputs, one layer gets to/);
  assert.ok(at.merged_ratio < 0.2);
  // Small η: far below 1; large η: the ratio has reached about 1.
  assert.ok(records.find((r) => r.eta === 1).merged_ratio > 0.8);
  // The depth chart: L + 1 points for each network.
  const depthPoints = await page.evaluate(() => [...document.querySelector('#collapse-depth-chart').chart.series.values()].map((m) => m.size));
  assert.deepEqual(depthPoints, [5, 5]);
  // Moving the slider redraws the depth chart at the nearest measured η and says so.
  await page.$eval('#collapse-eta', (e) => { e.value = '0'; e.dispatchEvent(new Event('input', { bubbles: true })); e.dispatchEvent(new Event('change', { bubbles: true })); });
  assert.match(await page.textContent('#collapse-caption'), /At η = 1 \(/);
  assert.match(page.url(), /ceta=1(&|$)/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'collapse.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});
