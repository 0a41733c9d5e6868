// The "Which neurons fire" panel: the bench suite across b (dense and dtree),
// training runs (moved per step, loss at several b) and the planted Max-IP
// instance, all measured in the worker; captions written from the records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedBrowser, openPage, waitReady, SCREENSHOTS } from './helpers.mjs';

const env = sharedBrowser();

test('the neurons panel measures firing, time split, moved neurons, loss and the planted pair', async () => {
  const url = `${env.server.url}?panel=neurons&nn=64&nm=512&nd=8&nb=2&ns=8&nsteps=4`;
  const { context, page, problems, external } = await openPage(env.browser, url);
  await waitReady(page);
  assert.equal(await page.isHidden('#neurons-missing'), true);
  assert.match(await page.textContent('#neurons-nb-shown'), /b = 2 · Gaussian tail Φ̄\(b\) = 2\.2\d* %/);
  assert.match(await page.textContent('#panel-neurons .theorem'), /our reconstruction/);
  await page.click('#neurons-run');
  // 6 values of b × 2 methods, 2 moved runs, 4 loss runs (0.5, 1.5, 2, 2.5), the planted instance.
  await page.waitForFunction(() => Number(document.querySelector('#neurons-lab').dataset.count) === 19, null, { timeout: 120000 });
  assert.match(await page.textContent('#neurons-fire-caption'), /At b = 2: \d+(\.\d+)? % of pairs fire, the Gaussian tail Φ̄\(b\) is 2\.2\d* %/);
  assert.match(await page.textContent('#neurons-time-caption'), /forward \(query \+ sparse sum\) is \d+(\.\d+)?× faster than dense's/);
  assert.match(await page.textContent('#neurons-moved-caption'), /full batch moves \d+ neurons per step on average, mini-batch s = 8 moves \d+/);
  assert.match(await page.textContent('#neurons-loss-caption'), /b = 0\.5: .* → .*; b = 1\.5/);
  assert.match(await page.textContent('#neurons-planted'), /the trees report 1 firing pair after \d+ node visits/);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#neurons-export')]);
  const records = readFileSync(await dl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(records.length, 19);
  const suite = records.filter((r) => r.suite === 'neurons');
  assert.equal(suite.length, 12);
  for (const r of suite) {
    assert.equal(r.n, 64);
    assert.ok(r.forward_median_ms > 0 && r.median_ms > 0);
    if (r.method === 'dtree') assert.ok(Math.abs(r.firing_fraction - r.gaussian_tail) < 0.05, `b ${r.b}`);
  }
  // dense and dtree fire on the same pairs at every b.
  for (const b of [1, 1.5, 2, 2.5, 3, 3.5]) {
    const [d, t] = ['dense', 'dtree'].map((m) => suite.find((r) => r.method === m && r.b === b));
    assert.equal(d.firing_fraction, t.firing_fraction, `b ${b}`);
  }
  const moved = records.filter((r) => r.kind === 'moved');
  assert.deepEqual(moved.map((r) => r.records.length), [4, 4]);
  assert.ok(moved.find((r) => r.batch === 8).records.every((x) => x.batch === 8));
  await page.screenshot({ path: path.join(SCREENSHOTS, 'neurons.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});
