// The "Kernel graphs" panel: its three sweeps (time vs n, the B sweep with
// B = ln n marked, fgt vs d) measured in the worker and exported, captions
// written from the records, and the label demo drawn from Laplacian solves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedBrowser, openPage, waitReady, SCREENSHOTS } from './helpers.mjs';

const env = sharedBrowser();

const binomial = (n, k) => {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
};

async function records(page, id) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`#${id}-exports [data-export=json]`)]);
  return readFileSync(await dl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

test('the kernel panel: time vs n, the B sweep across ln n, fgt vs d, and the label demo', async () => {
  const url = `${env.server.url}?panel=kernel&kmethods=exact,polynomial&knmin=512&knmax=2048&kd=4&kB=1` +
    '&kBmin=0.5&kBmax=4&kbn=1024&kbd=3&kfmethods=fgt,exact&kfdmin=1&kfdmax=2&kfn=512&kgn=600&kgseeds=3';
  const { context, page, problems, external } = await openPage(env.browser, url);
  await waitReady(page);
  assert.equal(await page.isHidden('#kernel-missing'), true);

  await page.click('#kernel-run');
  await page.waitForFunction(() => Number(document.querySelector('#kernel-chart').dataset.count) === 6, null, { timeout: 120000 });
  await page.waitForSelector('#kernel-run:not([disabled])');
  assert.match(await page.textContent('#kernel-caption'), /polynomial (overtook exact at n = [\d,]+|was faster than exact|was slower than exact)/);
  for (const r of await records(page, 'kernel')) {
    assert.equal(r.suite, 'kernel');
    assert.ok(r.median_ms > 0 && r.B_bound >= 0.9, JSON.stringify(r));
    if (r.method === 'exact') assert.ok(r.error_rel <= 1e-5, `exact n=${r.n}: ${r.error_rel}`);
    else assert.ok(r.error_l1 <= r.delta + 1e-7 && r.rank === binomial(4 + 2 + r.degree, r.degree), `polynomial n=${r.n}`);
  }

  await page.click('#kernelB-run');
  await page.waitForFunction(() => Number(document.querySelector('#kernelB-chart').dataset.count) === 4, null, { timeout: 120000 });
  await page.waitForSelector('#kernelB-run:not([disabled])');
  assert.match(await page.textContent('#kernelB-caption'), /ln n = 6\.93/);
  const bs = await records(page, 'kernelB');
  assert.deepEqual(bs.map((r) => r.B).sort((a, b) => a - b), [0.5, 1, 2, 4]);
  for (const r of bs) assert.ok(r.speedup > 0 && r.exact_median_ms > 0 && r.delta <= 1e-6 && r.rank === binomial(3 + 2 + r.degree, r.degree));
  assert.ok(bs.find((r) => r.B === 4).degree > bs.find((r) => r.B === 0.5).degree, 'the degree grows with B');

  await page.click('#kernelD-run');
  await page.waitForFunction(() => Number(document.querySelector('#kernelD-chart').dataset.count) === 4, null, { timeout: 120000 });
  await page.waitForSelector('#kernelD-run:not([disabled])');
  assert.match(await page.textContent('#kernelD-caption'), /fgt: .* per dimension/);

  await page.click('#kernel-demo-run');
  await page.waitForFunction(() => document.querySelector('#kernel-demo-canvas').dataset.accuracy, null, { timeout: 120000 });
  const accuracy = Number(await page.getAttribute('#kernel-demo-canvas', 'data-accuracy'));
  assert.ok(accuracy >= 0.9, `accuracy ${accuracy}`);
  assert.match(await page.textContent('#kernel-demo-caption'), /% of 600 points labelled as their cluster from 12 seeds: 4 Laplacian solves through exact/);

  await page.screenshot({ path: path.join(SCREENSHOTS, 'kernel.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});
