// The page in real Chromium, served with and without cross-origin isolation:
// it loads mt or st accordingly (their FMA builds: Chromium runs relaxed SIMD),
// runs the attention slice in its worker, and says why threads are off when
// they are; ?flavour= still loads a plain build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openPage, waitReady, SCREENSHOTS, bothServers } from './helpers.mjs';

const env = bothServers();
const servers = env.servers;

async function runSlice(page, { n, d }) {
  await page.fill('#attention-form input[name=n]', String(n));
  await page.fill('#attention-form input[name=d]', String(d));
  const before = Number((await page.getAttribute('#attention-result', 'data-count')) || 0);
  await page.click('#attention-run');
  await page.waitForFunction((b) => Number(document.querySelector('#attention-result').dataset.count || 0) > b, before, { timeout: 60000 });
  return JSON.parse(await page.getAttribute('#attention-result', 'data-record'));
}

for (const [mode, expect] of [['isolated', 'mt-fma'], ['plain', 'st-fma']]) {
  test(`served ${mode}: loads ${expect}, runs the attention slice in the worker`, async () => {
    const t0 = Date.now();
    const { context, page, problems, external } = await openPage(env.browser, `${servers[mode].url}?panel=attention`);
    await waitReady(page);
    const wallMs = Date.now() - t0; // includes the browser context and tab
    const readyMs = Number(await page.getAttribute('body', 'data-ready-ms')); // since navigation start
    const badge = await page.textContent('#badge');
    assert.equal(await page.getAttribute('#badge', 'data-flavour'), expect, badge);
    // The relaxed-SIMD probe passed in the worker, and the badge says which build runs.
    assert.match(badge, mode === 'isolated' ? /^mt \+ FMA · SIMD \+ threads/ : /^st \+ FMA · SIMD, single-threaded/);
    const isolated = await page.evaluate(() => self.crossOriginIsolated);
    assert.equal(isolated, mode === 'isolated');

    const r = await runSlice(page, { n: 512, d: 32 });
    assert.equal(r.flavour, expect);
    assert.equal(r.n, 512);
    assert.ok(r.error <= 1e-5, `error ${r.error}`);
    assert.ok(r.median_ms > 0 && r.gflops > 0);
    if (mode === 'isolated') assert.ok(r.threads > 1, `threads ${r.threads}`);
    else assert.equal(r.threads, 1);

    const note = page.locator('#isolation-note');
    if (mode === 'plain') {
      assert.ok(await note.isVisible());
      assert.match(await note.textContent(), /Threads are off/);
    } else {
      assert.equal(await note.isVisible(), false);
    }
    // The history table got the row and the URL carries the state.
    assert.equal(await page.locator('#attention-history tbody tr').count(), 1);
    assert.match(page.url(), /n=512/);
    await page.screenshot({ path: path.join(SCREENSHOTS, `attention-${mode}.png`), fullPage: true });
    console.log(`# page ready ${readyMs} ms after navigation start (${wallMs} ms with a new tab) (${mode}); slice n=512 d=32: ${r.median_ms} ms on ${r.flavour}/${r.threads}`);
    assert.deepEqual(problems, []);
    assert.deepEqual(external, []);
    await context.close();
  });
}

test('?flavour=mt loads the plain threaded build (no FMA), and the badge says so', async () => {
  const { context, page, problems } = await openPage(env.browser, `${servers.isolated.url}?panel=attention&flavour=mt`);
  await waitReady(page);
  assert.equal(await page.getAttribute('#badge', 'data-flavour'), 'mt');
  assert.match(await page.textContent('#badge'), /^mt · SIMD \+ threads/);
  const r = await runSlice(page, { n: 128, d: 16 });
  assert.equal(r.flavour, 'mt');
  assert.ok(r.error <= 1e-5, `error ${r.error}`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a state URL reproduces the controls and autorun runs it', async () => {
  const url = `${servers.isolated.url}?n=300&d=16&B=2&causal=1&autorun=1`;
  const { context, page, problems } = await openPage(env.browser, url);
  await waitReady(page);
  assert.equal(await page.inputValue('#attention-form input[name=n]'), '300');
  assert.equal(await page.inputValue('#attention-form input[name=d]'), '16');
  assert.equal(await page.isChecked('#attention-form input[name=causal]'), true);
  await page.waitForFunction(() => document.querySelector('#attention-result')?.dataset.record, null, { timeout: 60000 });
  const r = JSON.parse(await page.getAttribute('#attention-result', 'data-record'));
  assert.equal(r.n, 300);
  assert.equal(r.causal, true);
  assert.equal(r.B, 2);
  assert.ok(r.error <= 1e-5);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a kernel error is shown, earlier results stay, and the next run works', async () => {
  const { context, page, problems } = await openPage(env.browser, `${servers.plain.url}?panel=attention`);
  await waitReady(page);
  await runSlice(page, { n: 64, d: 8 });
  // 1M tokens at d = 4096 needs 16 GiB: refused before it starts (the cost model, as for sweeps), with the numbers.
  await page.fill('#attention-form input[name=n]', '1048576');
  await page.fill('#attention-form input[name=d]', '4096');
  await page.click('#attention-run');
  await page.waitForSelector('#attention-error:not([hidden])');
  assert.match(await page.textContent('#attention-error'), /^exact at n = 1,048,576 needs [\d,]+ MiB, more than the memory budget of [\d,]+ MiB/);
  assert.equal(await page.locator('#attention-history tbody tr').count(), 1);
  const r = await runSlice(page, { n: 100, d: 8 });
  assert.equal(r.n, 100);
  assert.equal(await page.locator('#attention-history tbody tr').count(), 2);
  assert.deepEqual(problems, []);
  await context.close();
});
