// Every panel's sweep is estimated before it starts: one too long or too
// large does not start; the page says why and offers the largest range that
// fits (or, when even the smallest is too much, says so).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedBrowser, openPage, waitReady } from './helpers.mjs';

const env = sharedBrowser({ isolate: false });

// panel, sweep id, a query that asks too much, what is refused, whether a smaller range fits.
const CASES = [
  ['attention', 'sweep', 'methods=exact&nmin=1024&nmax=131072&d=64', 'time', true],
  ['attention', 'errors', 'emethods=polynomial&en=65536&ed=64&degree=12&Bmin=0.25&Bmax=6', 'memory', false],
  ['ssm', 'ssm', 'smethods=mamba_block&Lmin=256&Lmax=262144&sD=4096', 'memory', true],
  ['pairs', 'pairs', 'pmethods=gram&pnmin=1024&pnmax=65536&pd=128&pseeds=20', 'time', true],
  ['versus', 'versus', 'vmethods=exact,sketch_reader&vnmin=64&vnmax=16384&vseeds=100', 'time', true],
];

test('a too-large sweep does not start on any panel, and the page offers what fits', async () => {
  const { context, page, problems, external } = await openPage(env.browser, `${env.server.url}?panel=attention`);
  await waitReady(page);
  for (const [panel, id, query, why, smaller] of CASES) {
    await page.goto(`${env.server.url}?panel=${panel}&${query}`);
    await waitReady(page);
    await page.click(`#${id}-run`);
    await page.waitForSelector(`#${id}-error[data-refused]`, { timeout: 30000 });
    const text = await page.textContent(`#${id}-error`);
    assert.equal(await page.getAttribute(`#${id}-error`, 'data-refused'), why, `${panel}/${id}: ${text}`);
    assert.match(text, why === 'time' ? /This sweep would take about .+ on this machine/ : /needs .+ MiB, more than the memory budget/);
    assert.equal(await page.getAttribute(`#${id}-chart`, 'data-count'), null, `${panel}/${id} started`);
    assert.equal(await page.isDisabled(`#${id}-run`), false);
    assert.equal(await page.locator(`#${id}-error [data-offer=anyway]`).count(), why === 'time' ? 1 : 0);
    if (smaller) {
      const offer = await page.textContent(`#${id}-error [data-offer=smaller]`);
      assert.match(offer, /^Run to \S+ = [\d,]+ \(about .+\)$/, `${panel}/${id}`);
    } else {
      // No smaller range fits: the method's own option does (the memory refusal names both).
      assert.match(text, /^polynomial at B = [\d.]+ needs [\d,]+ MiB, more than the memory budget of [\d,]+ MiB\. It fits with degree g = \d+\./);
      assert.equal(await page.locator(`#${id}-error [data-offer=option]`).count(), 1);
    }
    console.log(`# ${panel}/${id}: ${text.trim()}`);
  }
  // Taking an offer runs the smaller sweep (the SSM panel's, here) and it finishes.
  await page.goto(`${env.server.url}?panel=ssm&smethods=mamba_block&Lmin=256&Lmax=262144&sD=4096`);
  await waitReady(page);
  await page.click('#ssm-run');
  await page.waitForSelector('#ssm-error [data-offer=smaller]');
  await page.click('#ssm-error [data-offer=smaller]');
  await page.waitForSelector('#ssm-cancel:not([disabled])');
  const to = Number(await page.inputValue('#ssm-form select[name=xmax]'));
  assert.ok(to >= 256 && to < 262144, String(to));
  await page.click('#ssm-cancel');
  await page.waitForSelector('#ssm-run:not([disabled])', { timeout: 5000 });
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});
