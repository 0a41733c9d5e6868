// The page's one list of panels (web/app/catalog.js) and the URL state that
// routes to them (web/app/state.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { PANELS, GROUPS, groupedPanels, panelEntry } from '../../web/app/catalog.js';
import { fromQuery, toQuery, defaults } from '../../web/app/state.js';

const html = readFileSync(new URL('../../web/index.html', import.meta.url), 'utf8');

test('every catalog entry is complete, unique, in a known group, and has its section and module', () => {
  const names = new Set();
  for (const p of PANELS) {
    for (const k of ['panel', 'group', 'title', 'theorem', 'regime']) assert.ok(typeof p[k] === 'string' && p[k].length, `${p.panel}.${k}`);
    assert.ok('paper' in p, `${p.panel}.paper`);
    if (p.paper) assert.match(p.paper.arxiv, /^\d{4}\.\d{4,5}$/);
    assert.ok(!names.has(p.panel), `${p.panel} twice`);
    names.add(p.panel);
    assert.ok(GROUPS.some((g) => g.group === p.group), `${p.panel}: group ${p.group}`);
    assert.ok(html.includes(`data-panel="${p.panel}"`), `${p.panel}: no section in index.html`);
    if (p.panel !== 'environment') assert.ok(existsSync(new URL(`../../web/app/panels/${p.panel}.js`, import.meta.url)), `${p.panel}.js`);
    // One sentence: a single full stop, at the end (TeX and abbreviations aside).
    assert.match(p.theorem, /\.$/);
    assert.equal(p.theorem.replace(/\$[^$]*\$/g, '').split(/\.\s/).length, 1, p.theorem);
  }
  assert.equal(panelEntry('attention').title, 'Attention');
  assert.equal(panelEntry('home'), undefined);
});

test('groupedPanels keeps the group order and drops groups without panels', () => {
  const groups = groupedPanels();
  assert.deepEqual(groups.map((g) => g.group), GROUPS.map((g) => g.group).filter((g) => PANELS.some((p) => p.group === g)));
  assert.deepEqual(groups.find((g) => g.group === 'training').panels.map((p) => p.panel), ['grad', 'neurons']);
  assert.deepEqual(groups.find((g) => g.group === 'similarity').panels.map((p) => p.panel), ['pairs', 'documents', 'kernel']);
  // A group without panels gets no placeholder.
  const withoutTraining = groupedPanels(PANELS.filter((p) => p.group !== 'training'));
  assert.ok(!withoutTraining.some((g) => g.group === 'training'));
});

test('routes: no panel → home; ?panel=x → x; old links with settings or embed → attention', () => {
  assert.equal(fromQuery('').panel, 'home');
  assert.equal(fromQuery('?theme=dark&fontscale=1.2').panel, 'home');
  for (const p of PANELS) assert.equal(fromQuery(`?panel=${p.panel}`).panel, p.panel);
  assert.equal(fromQuery('?panel=nonsense').panel, 'home');
  assert.equal(fromQuery('?n=300&autorun=1').panel, 'attention');
  assert.equal(fromQuery('?embed=1').panel, 'attention');
  assert.equal(fromQuery('?embed=1&panel=versus').panel, 'versus');
});

test('toQuery round-trips every panel, and home with settings says panel=home', () => {
  assert.equal(toQuery(defaults()), '');
  for (const p of PANELS) {
    const s = { ...defaults(), panel: p.panel, n: 300 };
    assert.equal(fromQuery(toQuery(s)).panel, p.panel);
  }
  const home = { ...defaults(), n: 300 };
  assert.match(toQuery(home), /panel=home/);
  assert.equal(fromQuery(toQuery(home)).panel, 'home');
  assert.equal(toQuery({ ...defaults(), theme: 'dark' }), '?theme=dark');
});

test('every form has URL keys of its own; links from before read a shared key as the form they ran', () => {
  const s = fromQuery('?panel=attention&td=32&tB=2&tthreads=1&d=16');
  assert.deepEqual([s.td, s.tB, s.tthreads, s.d], [32, 2, 1, 16]);
  const old = fromQuery('?run=sweep&d=32&B=2&threads=1');
  assert.deepEqual([old.td, old.tB, old.tthreads], [32, 2, 1]);
  assert.equal(fromQuery('?run=single&d=32').td, defaults().td);
  assert.equal(fromQuery('?run=pairs&autorun=1&panel=pairs').run, 'pairs');
});
