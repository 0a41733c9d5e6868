// Offline once loaded, and isolation through the service worker on a host
// that sends no COOP/COEP headers (?coi=1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, waitReady, bothServers } from './helpers.mjs';

const env = bothServers();
const servers = env.servers;

async function runQuick(page) {
  const before = Number((await page.getAttribute('#attention-result', 'data-count')) || 0);
  await page.fill('#attention-form input[name=n]', '128');
  await page.fill('#attention-form input[name=d]', '16');
  await page.click('#attention-run');
  await page.waitForFunction((b) => Number(document.querySelector('#attention-result').dataset.count || 0) > b, before, { timeout: 30000 });
  return JSON.parse(await page.getAttribute('#attention-result', 'data-record'));
}

test('after one visit the page loads and runs offline, panels never visited too', async () => {
  const { context, page, problems } = await openPage(env.browser, `${servers.isolated.url}?panel=attention`);
  await waitReady(page);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null || navigator.serviceWorker.ready, null, { timeout: 10000 });
  await page.evaluate(() => navigator.serviceWorker.ready); // installed: the precache list is in
  await page.reload(); // now controlled: every file passes through the worker's cache
  await waitReady(page);
  await runQuick(page);
  await context.setOffline(true);
  await page.reload();
  await waitReady(page);
  const r = await runQuick(page);
  assert.equal(r.n, 128);
  assert.ok(r.error <= 1e-5);

  // Never visited online: the documents panel's corpus (fetched only when it
  // runs) and the single-threaded build (this visit ran mt).
  await page.goto(`${servers.isolated.url}?panel=documents&dcount=60&flavour=st`);
  await waitReady(page);
  assert.equal(await page.getAttribute('#badge', 'data-flavour'), 'st');
  await page.click('#documents-run');
  await page.waitForFunction(() => document.querySelector('#documents-result .headline') || !document.querySelector('#documents-error').hidden, null, { timeout: 30000 });
  assert.equal(await page.isHidden('#documents-error'), true, await page.textContent('#documents-error'));
  assert.match(await page.textContent('#documents-result'), /Most similar pair: #\d+ and #\d+/);
  assert.match(await page.textContent('#documents-source'), /SpamAssassin/);
  // And the home view, whose cards link every panel.
  await page.goto(servers.isolated.url);
  await waitReady(page);
  assert.ok(await page.locator('#panel-home .card').count() >= 5);
  assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(p)), []);
  await context.close();
});

test('?coi=1 on a host without COOP/COEP becomes isolated after one reload and runs mt', async () => {
  const { context, page, problems } = await openPage(env.browser, `${servers.plain.url}?coi=1&panel=attention`);
  await page.waitForFunction(() => self.crossOriginIsolated === true, null, { timeout: 20000 });
  await waitReady(page);
  assert.equal(await page.getAttribute('#badge', 'data-flavour'), 'mt-fma');
  const r = await runQuick(page);
  assert.equal(r.flavour, 'mt-fma');
  assert.deepEqual(problems, []);
  await context.close();
});
