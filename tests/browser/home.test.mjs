// The home view: the default route lists every panel of the catalog as a card
// grouped by question, the navigation goes by group then panel, each panel
// keeps its URL, and it looks right in light and dark at 1280×720.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { sharedBrowser, openPage, waitReady, SCREENSHOTS } from './helpers.mjs';
import { PANELS, groupedPanels } from '../../web/app/catalog.js';

const env = sharedBrowser();

test('home view: a card per panel, grouped by question, no empty group; cards and nav open panels in place', async () => {
  const { context, page, problems, external } = await openPage(env.browser, env.server.url, { width: 1280, height: 720 });
  await waitReady(page);
  assert.equal(await page.isVisible('#panel-home'), true);
  assert.equal(await page.isHidden('#panel-attention'), true);
  const groups = await page.$$eval('#home-groups .home-group', (gs) => gs.map((g) => ({
    group: g.dataset.group, cards: [...g.querySelectorAll('.card')].map((c) => c.dataset.card) })));
  assert.deepEqual(groups, groupedPanels().map((g) => ({ group: g.group, cards: g.panels.map((p) => p.panel) })));
  assert.deepEqual(groups.find((g) => g.group === 'training').cards, ['grad', 'neurons']);
  for (const p of PANELS) {
    const card = page.locator(`.card[data-card=${p.panel}]`);
    assert.match(await card.textContent(), new RegExp(p.title));
    if (p.paper) assert.match(await card.locator('.card-paper').textContent(), new RegExp(p.paper.arxiv.replace('.', '\\.')));
  }
  assert.ok(await page.locator('.card .katex').count() > 0, 'theorems typeset');
  // Navigation: Overview, then each group's panels.
  const nav = await page.$$eval('.panels-nav .nav-group', (gs) => gs.map((g) => g.getAttribute('aria-label')));
  assert.deepEqual(nav, groupedPanels().map((g) => g.title));
  assert.equal(await page.getAttribute('.panels-nav a[data-panel=home]', 'aria-current'), 'page');
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => { document.documentElement.dataset.theme = t; }, theme);
    await page.screenshot({ path: path.join(SCREENSHOTS, `home-${theme}-1280x720.png`) });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth > innerWidth);
    assert.equal(wide, false, `${theme}: horizontal scroll`);
  }
  await page.screenshot({ path: path.join(SCREENSHOTS, 'home-full.png'), fullPage: true });

  // A card opens its panel in place, with its own URL; the nav goes back home.
  await page.click('.card[data-card=ssm] .card-open');
  assert.equal(await page.isVisible('#panel-ssm'), true);
  assert.match(page.url(), /[?&]panel=ssm(&|$)/);
  assert.equal(await page.title(), 'SSM vs attention — subquad');
  await page.click('.panels-nav a[data-panel=pairs]');
  assert.equal(await page.isVisible('#panel-pairs'), true);
  assert.match(page.url(), /[?&]panel=pairs(&|$)/);
  await page.click('.panels-nav a[data-panel=home]');
  assert.equal(await page.isVisible('#panel-home'), true);
  assert.doesNotMatch(page.url(), /panel=(?!home)/);
  assert.deepEqual(problems, []);
  assert.deepEqual(external, []);
  await context.close();
});

test('every panel keeps its own URL, and an old link with settings but no panel opens attention', async () => {
  const { context, page, problems } = await openPage(env.browser, `${env.server.url}?panel=versus`);
  await waitReady(page);
  assert.equal(await page.isVisible('#panel-versus'), true);
  for (const p of PANELS) {
    await page.goto(`${env.server.url}?panel=${p.panel}`);
    await waitReady(page);
    assert.equal(await page.isVisible(`#panel-${p.panel}`), true, p.panel);
    assert.equal(await page.getAttribute(`.panels-nav a[data-panel=${p.panel}]`, 'aria-current'), 'page');
  }
  await page.goto(`${env.server.url}?n=300&d=16`);
  await waitReady(page);
  assert.equal(await page.isVisible('#panel-attention'), true);
  assert.equal(await page.inputValue('#attention-form input[name=n]'), '300');
  assert.deepEqual(problems, []);
  await context.close();
});
