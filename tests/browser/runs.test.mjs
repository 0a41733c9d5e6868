// What a visitor meets when a run is long, large or partly skipped: single
// runs are estimated and refused or offered like sweeps; Cancel stops a
// running kernel in st and mt alike; the memory refusal names the method and
// an option that fits, with the budget as the Environment panel shows it;
// skipped points are a neutral note; time left comes from the cost model only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, waitReady, bothServers } from './helpers.mjs';

const env = bothServers();

for (const [mode, flavour] of [['isolated', 'mt-fma'], ['plain', 'st-fma']]) {
  test(`single run (${flavour}): a long exact_reference is refused with an offer, and Cancel stops it mid-run`, async () => {
    const { context, page, problems } = await openPage(env.browser, `${env.servers[mode].url}?panel=attention&method=exact_reference&n=16384&d=64`);
    await waitReady(page);
    assert.equal(await page.getAttribute('#badge', 'data-flavour'), flavour);
    await page.click('#attention-run');
    await page.waitForSelector('#attention-error[data-refused="time"]');
    assert.match(await page.textContent('#attention-error'), /would take about .* on this machine/);
    assert.ok(await page.locator('#attention-error [data-offer="smaller"]').count(), 'offers a smaller n');
    await page.click('#attention-error [data-offer="anyway"]');
    // Running: the time left is the cost model's.
    await page.waitForFunction(() => /elapsed · about .* left \(cost model\)/.test(document.querySelector('#attention-progress span').textContent), null, { timeout: 20000 });
    await page.waitForTimeout(1000);
    const t0 = Date.now();
    await page.click('#attention-cancel');
    await page.waitForSelector('#attention-error[data-cancelled="true"]', { timeout: 10000 });
    await page.waitForSelector('#attention-run:not([disabled])');
    const stopMs = Date.now() - t0;
    assert.ok(stopMs < 5000, `stopped after ${stopMs} ms`);
    assert.match(await page.textContent('#attention-error'), /Cancelled/);
    assert.equal(await page.getAttribute('#attention-result', 'data-count'), null, 'no result printed after Cancel');
    // The page is usable at once: a small run completes.
    await page.selectOption('#attention-method', 'exact');
    await page.fill('#attention-form input[name="n"]', '256');
    await page.click('#attention-run');
    await page.waitForFunction(() => document.querySelector('#attention-result').dataset.count === '1', null, { timeout: 30000 });
    await page.waitForTimeout(500);
    assert.equal(await page.getAttribute('#attention-result', 'data-count'), '1', 'the cancelled run printed nothing later');
    assert.deepEqual(problems, []);
    await context.close();
  });
}

test('memory refusal names the method at fault and an option that makes it fit; the budget reads as on the Environment panel', async () => {
  const { context, page, problems } = await openPage(env.browser, `${env.servers.isolated.url}?panel=attention&methods=flash,polynomial&nmin=1024&nmax=4096&td=64&tdegree=4`);
  await waitReady(page);
  await page.click('#sweep-run');
  await page.waitForSelector('#sweep-error[data-refused="memory"]');
  const text = await page.textContent('#sweep-error');
  assert.match(text, /^polynomial at n = [\d,]+ needs [\d,]+ MiB, more than the memory budget of ([\d,]+ MiB)\. It fits with (degree g \(polynomial\)|d) = \d+\./);
  const budget = text.match(/memory budget of ([\d,]+ MiB)/)[1];
  assert.ok(await page.locator('#sweep-error [data-offer="option"]').count());
  assert.ok(await page.locator('#sweep-error [data-offer="without"]').count());
  await page.click('.panels-nav a[data-panel="environment"]');
  const envBudget = await page.evaluate(() => {
    const dt = [...document.querySelectorAll('#env-list dt')].find((d) => d.textContent === 'memory budget');
    return dt.nextElementSibling.textContent;
  });
  assert.equal(envBudget, budget);
  // Taking the offer runs a sweep that fits.
  await page.click('.panels-nav a[data-panel="attention"]');
  await page.click('#sweep-error [data-offer="option"]');
  await page.waitForFunction(() => Number(document.querySelector('#sweep-chart').dataset.count) >= 1, null, { timeout: 60000 });
  await page.click('#sweep-cancel');
  assert.deepEqual(problems, []);
  await context.close();
});

test('skipped points are a neutral note, not the error box', async () => {
  const { context, page, problems } = await openPage(env.browser, `${env.servers.isolated.url}?panel=attention&methods=exact_reference,exact&nmin=4096&nmax=8192&td=8`);
  await waitReady(page);
  await page.click('#sweep-run');
  await page.waitForSelector('#sweep-note:not([hidden])');
  assert.match(await page.textContent('#sweep-note'), /^Skipped: exact_reference at n = 8192/);
  assert.equal(await page.isVisible('#sweep-error'), false);
  await page.click('#sweep-cancel');
  assert.deepEqual(problems, []);
  await context.close();
});

test('no time left is shown without a cost model (a count of points is not a clock)', async () => {
  const { context, page } = await openPage(env.browser, `${env.servers.isolated.url}?panel=documents`);
  await waitReady(page);
  const texts = await page.evaluate(async () => {
    const { runWithProgress, runControls } = await import('./app/ui.js');
    const ui = runControls('fake');
    document.body.append(ui.progress, ui.errorBox);
    const seen = [];
    // A client that finishes two of four points, then the rest.
    const client = {
      run(requests, cb) {
        const p = (async () => {
          cb.onStart();
          for (let i = 1; i <= requests.length; i++) {
            await new Promise((r) => setTimeout(r, 30));
            cb.onRecord({}, i - 1);
            cb.onProgress({ done: i, total: requests.length, elapsedMs: 30 * i });
            seen.push(ui.progress.querySelector('span').textContent);
          }
          return { cancelled: false, done: requests.length, total: requests.length };
        })();
        p.cancel = () => {};
        return p;
      },
    };
    await runWithProgress(client, [1, 2, 3, 4], { ui, label: 'fake', onRecord: () => {} });
    const without = seen.slice();
    const withModel = [];
    const client2 = { run: (rq, cb) => { const p = client.run(rq, { ...cb, onProgress: (m) => { cb.onProgress(m); withModel.push(ui.progress.querySelector('span').textContent); } }); p.cancel = () => {}; return p; } };
    await runWithProgress(client2, [1, 2, 3, 4], { ui, label: 'fake', weights: [1, 1, 1, 1], onRecord: () => {} });
    return { seen: without, withModel };
  });
  assert.equal(texts.seen.length, 4);
  for (const t of texts.seen) assert.doesNotMatch(t, /left/, t);
  assert.match(texts.withModel[0], /about .* left \(cost model\)/);
  await context.close();
});
