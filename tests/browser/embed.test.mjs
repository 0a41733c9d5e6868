// Slide embedding: a panel in the reveal.js deck runs mt when the deck is
// isolated and st (with the "open in full page" note) when it is not; embed
// mode fits 1280×720 and 1920×1080 without scroll bars.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openPage, waitReady, SCREENSHOTS, bothServers } from './helpers.mjs';

const env = bothServers();
const servers = env.servers;

for (const [mode, expect] of [['isolated', 'mt'], ['plain', 'st']]) {
  test(`deck served ${mode}: the embedded panel runs ${expect}`, async () => {
    const { context, page, problems, external } = await openPage(env.browser, `${servers[mode].url}deck.html#/1`, { width: 1280, height: 720 });
    const frameEl = await page.waitForSelector('iframe[title="attention panel"][src]', { timeout: 15000 });
    const frame = await frameEl.contentFrame();
    await frame.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
    assert.equal(await frame.getAttribute('#badge', 'data-flavour'), expect);
    const note = frame.locator('#isolation-note');
    if (expect === 'st') {
      assert.match(await note.textContent(), /single-threaded because the slides are not isolated — open in full page for threads/);
      const href = await frame.getAttribute('#isolation-note a', 'href');
      assert.ok(href && !/embed=1/.test(href), href);
    } else {
      assert.equal(await note.isVisible(), false);
    }
    // A quick sweep inside the slide.
    await frame.click('#sweep-run');
    await frame.waitForFunction(() => Number(document.querySelector('#sweep-chart').dataset.count) >= 5, null, { timeout: 60000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, `deck-${mode}.png`) });
    assert.deepEqual(problems, []);
    assert.deepEqual(external, []);
    await context.close();
  });
}

for (const [w, h] of [[1280, 720], [1920, 1080]]) {
  test(`embed mode fits ${w}×${h} with no scroll bars`, async () => {
    const url = `${servers.isolated.url}?embed=1&panel=attention&methods=exact&nmin=128&nmax=1024&theme=dark&fontscale=1.2`;
    const { context, page, problems } = await openPage(env.browser, url, { width: w, height: h });
    await waitReady(page);
    await page.click('#sweep-run');
    await page.waitForFunction(() => Number(document.querySelector('#sweep-chart').dataset.count) >= 4, null, { timeout: 60000 });
    const size = await page.evaluate(() => ({
      scrollH: document.documentElement.scrollHeight, innerH: innerHeight,
      scrollW: document.documentElement.scrollWidth, innerW: innerWidth,
    }));
    assert.ok(size.scrollH <= size.innerH, `content ${size.scrollH}px taller than ${size.innerH}px`);
    assert.ok(size.scrollW <= size.innerW, `content ${size.scrollW}px wider than ${size.innerW}px`);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    // Keyboard: Tab reaches the Run button and Enter starts a run.
    await page.keyboard.press('Tab');
    assert.ok(await page.evaluate(() => document.activeElement && document.activeElement !== document.body));
    await page.screenshot({ path: path.join(SCREENSHOTS, `embed-attention-${w}x${h}.png`) });
    assert.deepEqual(problems, []);
    await context.close();
  });
}

test('every panel in embed mode at 1280×720: loads cleanly, fits, screenshot for review', async () => {
  const panels = { attention: '#sweep-chart', ssm: '#ssm-chart', pairs: '#pairs-chart2', documents: '#documents-form', versus: '#versus-chart2', grad: '#grad-chart2', environment: '#calibrate-form' };
  for (const [panel, last] of Object.entries(panels)) {
    const { context, page, problems, external } = await openPage(env.browser, `${servers.plain.url}?embed=1&panel=${panel}`, { width: 1280, height: 720 });
    await waitReady(page);
    const box = await page.evaluate((sel) => {
      const r = document.querySelector(sel).getBoundingClientRect();
      return { bottom: r.bottom, scrollW: document.documentElement.scrollWidth, innerW: innerWidth, innerH: innerHeight };
    }, last);
    assert.ok(box.scrollW <= box.innerW, `${panel}: content ${box.scrollW}px wider than ${box.innerW}px`);
    assert.ok(box.bottom <= box.innerH, `${panel}: ${last} ends at ${box.bottom}px, below the ${box.innerH}px slide`);
    await page.screenshot({ path: path.join(SCREENSHOTS, `embed-${panel}-1280x720.png`) });
    assert.deepEqual(problems, [], panel);
    assert.deepEqual(external, [], panel);
    await context.close();
  }
});
