// Slide embedding: a panel in the reveal.js deck runs mt when the deck is
// isolated and st (with the "open in full page" note) when it is not; embed
// mode fits 1280×720 and 1920×1080 without scroll bars.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openPage, waitReady, SCREENSHOTS, bothServers } from './helpers.mjs';
import { PANELS as CATALOG } from '../../web/app/catalog.js';

const env = bothServers();
const servers = env.servers;

for (const [mode, expect] of [['isolated', 'mt-fma'], ['plain', 'st-fma']]) {
  test(`deck served ${mode}: the embedded panel runs ${expect}`, async () => {
    const { context, page, problems, external } = await openPage(env.browser, `${servers[mode].url}deck.html#/1`, { width: 1280, height: 720 });
    const frameEl = await page.waitForSelector('iframe[title="attention panel"][src]', { timeout: 15000 });
    const frame = await frameEl.contentFrame();
    await frame.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
    assert.equal(await frame.getAttribute('#badge', 'data-flavour'), expect);
    const note = frame.locator('#isolation-note');
    if (mode === 'plain') {
      assert.match(await note.textContent(), /single-threaded because the slides are not isolated — open in full page for threads/);
      const href = await frame.getAttribute('#isolation-note a', 'href');
      assert.ok(href && !/embed=1/.test(href), href);
      // The full page isolates itself on a plain static host (?coi=1), and the note says how.
      assert.match(href, /[?&]coi=1/);
      assert.match(await note.textContent(), /reloads once/);
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

// The chart's plot (uPlot's canvas, axes included) and the chart's font size.
const chartBox = (sel) => {
  const c = document.querySelector(sel);
  return { plotH: c.querySelector('canvas')?.getBoundingClientRect().height ?? 0, fontPx: c.chart?.fontPx(), empty: c.dataset.empty };
};
const fits = () => ({ scrollH: document.documentElement.scrollHeight, innerH: innerHeight, scrollW: document.documentElement.scrollWidth, innerW: innerWidth });

for (const [w, h] of [[1280, 720], [1920, 1080]]) {
  test(`embed at ${w}×${h}: the chart keeps half the slide at fontscale 1.0–1.4, before and after Run; fonts scale; one Export button; focus back on Run`, async () => {
    const fonts = {};
    for (const fontscale of [1, 1.2, 1.4]) {
      for (const theme of fontscale === 1.4 ? ['dark', 'light'] : ['dark']) {
        const url = `${servers.isolated.url}?embed=1&panel=attention&methods=exact,flash&nmin=128&nmax=1024&theme=${theme}&fontscale=${fontscale}`;
        const { context, page, problems } = await openPage(env.browser, url, { width: w, height: h });
        await waitReady(page);
        const before = await page.evaluate(chartBox, '#sweep-chart');
        assert.equal(before.empty, 'true', 'empty axes before Run');
        assert.ok(before.plotH >= h / 2, `before Run at fontscale ${fontscale}: plot ${before.plotH}px of ${h}`);
        fonts[fontscale] = before.fontPx;
        if (fontscale === 1.2) {
          await context.close();
          continue;
        }
        // Run from the keyboard: focus returns to Run afterwards, so Enter runs again.
        await page.focus('#sweep-run');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => Number(document.querySelector('#sweep-chart').dataset.count) >= 8 && !document.querySelector('#sweep-run').disabled, null, { timeout: 60000 });
        assert.equal(await page.evaluate(() => document.activeElement?.id), 'sweep-run', 'focus back on Run');
        const after = await page.evaluate(chartBox, '#sweep-chart');
        assert.equal(after.empty, 'false');
        assert.ok(after.plotH >= h / 2, `after Run at fontscale ${fontscale}: plot ${after.plotH}px of ${h}`);
        const size = await page.evaluate(fits);
        assert.ok(size.scrollH <= size.innerH, `content ${size.scrollH}px taller than ${size.innerH}px`);
        assert.ok(size.scrollW <= size.innerW, `content ${size.scrollW}px wider than ${size.innerW}px`);
        assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
        // Exports behind one button; the caption is the panel's finding, slopes in the legend.
        assert.equal(await page.evaluate(() => document.querySelector('#sweep-exports').tagName), 'DETAILS');
        assert.equal(await page.locator('#sweep-exports button').first().isVisible(), false);
        assert.doesNotMatch(await page.textContent('#sweep-caption'), /Measured log-log slopes/);
        if (fontscale === 1.4) await page.screenshot({ path: path.join(SCREENSHOTS, `embed-attention-${w}x${h}-fontscale1.4-${theme}.png`) });
        assert.deepEqual(problems, []);
        await context.close();
      }
    }
    // Chart text follows fontscale (and, below, the slide's size).
    assert.ok(Math.abs(fonts[1.4] / fonts[1] - 1.4) < 0.05, JSON.stringify(fonts));
    assert.ok(Math.abs(fonts[1.2] / fonts[1] - 1.2) < 0.05, JSON.stringify(fonts));
    chartFonts[`${w}`] = fonts[1];
  });
}

const chartFonts = {};
test('chart text grows with the slide: 1920×1080 draws 1.5× the 1280×720 size', () => {
  assert.ok(chartFonts[1280] && chartFonts[1920], JSON.stringify(chartFonts));
  assert.ok(Math.abs(chartFonts[1920] / chartFonts[1280] - 1.5) < 0.08, JSON.stringify(chartFonts));
});

test('deck: once focus is inside a panel, the arrows still move the deck; keys a field uses stay in the panel', async () => {
  const { context, page, problems } = await openPage(env.browser, `${servers.isolated.url}deck.html#/1`, { width: 1280, height: 720 });
  const frameEl = await page.waitForSelector('iframe[title="attention panel"][src]', { timeout: 15000 });
  const frame = await frameEl.contentFrame();
  await frame.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  const slide = () => page.evaluate(() => Reveal.getIndices().h);
  assert.equal(await slide(), 1);
  // A number field keeps its arrows.
  await frame.click('#sweep-settings summary');
  await frame.focus('#sweep-form input[name="td"]');
  await page.keyboard.press('ArrowLeft');
  await page.waitForTimeout(200);
  assert.equal(await slide(), 1, 'an arrow in a text field moved the deck');
  // Focus on a button inside the panel (not a key it uses): ArrowRight moves on.
  await frame.focus('#sweep-run');
  assert.ok(await frame.evaluate(() => document.hasFocus() && document.activeElement.id === 'sweep-run'));
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => Reveal.getIndices().h === 2, null, { timeout: 5000 });
  assert.deepEqual(problems, []);
  await context.close();
});

test('every panel in embed mode at 1280×720: loads cleanly, fits, screenshot for review', async () => {
  // Every panel of the catalog: its form and every chart an embedded slide shows must end inside it.
  for (const { panel } of CATALOG) {
    const { context, page, problems, external } = await openPage(env.browser, `${servers.plain.url}?embed=1&panel=${panel}`, { width: 1280, height: 720 });
    await waitReady(page);
    const box = await page.evaluate((name) => {
      // The form and the charts drawn before Run (panels that draw on their first record have no canvas yet).
      const shown = [...document.querySelectorAll(`section[data-panel="${name}"] form, section[data-panel="${name}"] .chart`)]
        .filter((e) => e.offsetParent && (e.tagName === 'FORM' || e.querySelector('canvas')));
      const lastEl = shown.reduce((a, b) => (b.getBoundingClientRect().bottom > a.getBoundingClientRect().bottom ? b : a));
      const r = lastEl.getBoundingClientRect();
      return { bottom: r.bottom, last: lastEl.id || lastEl.tagName, scrollW: document.documentElement.scrollWidth, innerW: innerWidth, innerH: innerHeight };
    }, panel);
    const last = box.last;
    assert.ok(box.scrollW <= box.innerW, `${panel}: content ${box.scrollW}px wider than ${box.innerW}px`);
    assert.ok(box.bottom <= box.innerH, `${panel}: ${last} ends at ${box.bottom}px, below the ${box.innerH}px slide`);
    for (const chart of await page.$$eval(`section[data-panel="${panel}"] .chart`, (cs) => cs.filter((c) => c.offsetParent && c.querySelector('canvas')).map((c) => `#${c.id}`))) {
      const { plotH } = await page.evaluate(chartBox, chart);
      assert.ok(plotH >= 360, `${panel}: ${chart} is ${plotH}px tall before Run, under half the slide`);
    }
    await page.screenshot({ path: path.join(SCREENSHOTS, `embed-${panel}-1280x720.png`) });
    assert.deepEqual(problems, [], panel);
    assert.deepEqual(external, [], panel);
    await context.close();
  }
});
