// Copy link: every form of every panel (iterating the catalog, so new panels
// are covered) has one, and the link it copies reproduces each of that form's
// controls — and leaves every other form at its defaults, which fails when two
// forms share a URL key (the sweep's d and the single run's d once did).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, waitReady, sharedBrowser } from './helpers.mjs';
import { PANELS } from '../../web/app/catalog.js';

const env = sharedBrowser({ isolate: true });

// Every named control of every form in the panel: { formId: { control: value } }.
function snapshot(panel) {
  const out = {};
  for (const form of document.querySelectorAll(`section[data-panel="${panel}"] form`)) {
    const values = {};
    for (const e of form.elements) {
      if (!e.name || ['button', 'submit', 'file', 'fieldset', 'output'].includes(e.type) || e.tagName === 'TEXTAREA') continue;
      if (e.type === 'checkbox') values[`${e.name}:${e.value}`] = e.checked;
      else values[e.name] = e.value;
    }
    out[form.id] = values;
  }
  return out;
}

// Moves every control of one form off its value (within its limits) and
// fires the change events the page listens to.
function change(formId) {
  const form = document.getElementById(formId);
  const fire = (e) => {
    e.dispatchEvent(new Event('input', { bubbles: true }));
    e.dispatchEvent(new Event('change', { bubbles: true }));
  };
  const controls = [...form.elements].filter((e) => e.name && !['button', 'submit', 'file', 'fieldset', 'output'].includes(e.type) && e.tagName !== 'TEXTAREA');
  const groups = new Map();
  for (const e of controls.filter((c) => c.type === 'checkbox')) groups.set(e.name, [...(groups.get(e.name) || []), e]);
  for (const [name, boxes] of groups) {
    const off = boxes.find((b) => !b.checked);
    if (off) off.checked = true;
    else if (boxes.length > 1 || name !== 'method') boxes.at(-1).checked = false; // a sweep keeps one method
    else continue;
    fire(off || boxes.at(-1));
  }
  for (const e of controls) {
    if (e.tagName === 'SELECT') {
      if (e.options.length < 2) continue;
      e.selectedIndex = e.selectedIndex > 0 ? e.selectedIndex - 1 : 1;
    } else if (e.type === 'number' || e.type === 'range') {
      const v = Number(e.value);
      const step = e.step && e.step !== 'any' ? Number(e.step) : v >= 1 ? 0.5 : v / 2 || 0.5;
      const max = e.max === '' ? Infinity : Number(e.max);
      const min = e.min === '' ? -Infinity : Number(e.min);
      const up = Number((v + step).toFixed(6));
      const down = Number((v - step).toFixed(6));
      e.value = String(up <= max ? up : down > min ? down : v);
    } else continue;
    fire(e);
  }
}

test('Copy link on every form of every panel reproduces that form and no other', async () => {
  const { context, page, problems } = await openPage(env.browser, `${env.server.url}?panel=home`);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await waitReady(page);
  for (const { panel } of PANELS) {
    await page.goto(`${env.server.url}?panel=${panel}`);
    await waitReady(page);
    const defaults = await page.evaluate(snapshot, panel);
    const forms = Object.keys(defaults);
    assert.ok(forms.length, `${panel}: no form`);
    for (const formId of forms) {
      assert.equal(await page.locator(`#${formId} .copy-link`).count(), 1, `${panel}: #${formId} has no Copy link`);
    }
    for (const formId of forms) {
      await page.goto(`${env.server.url}?panel=${panel}`);
      await waitReady(page);
      await page.evaluate(change, formId);
      const changed = (await page.evaluate(snapshot, panel))[formId];
      await page.click(`#${formId} .copy-link`);
      const link = await page.getAttribute(`#${formId} .copy-link`, 'data-link');
      assert.ok(link, `${panel}: #${formId} copied no link`);
      const params = new URL(link).searchParams;
      assert.equal(params.get('panel'), panel, link);
      params.delete('autorun'); // reproduce the controls without running
      await page.goto(`${env.server.url}?${params}`);
      await waitReady(page);
      const opened = await page.evaluate(snapshot, panel);
      for (const f of forms) {
        assert.deepEqual(opened[f], f === formId ? changed : defaults[f],
          `${panel}: the link copied from #${formId} (${link}) ${f === formId ? 'lost a control' : `changed #${f}`}`);
      }
    }
  }
  assert.deepEqual(problems, []);
  await context.close();
});
