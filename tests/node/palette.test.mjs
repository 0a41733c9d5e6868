// One colour + dash per method (web/app/palette.js): every method of the
// library has one, the methods a chart can show together differ, and a
// method's style does not depend on what is drawn beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import LIBRARY from '../../web/app/library.js';
import { STYLES, COLORS, DASHES, styleFor, styleKey } from '../../web/app/palette.js';

// Charts that mix families: the construction panel draws attention's methods beside its reader.
const MIXED = { versus: [...Object.keys(LIBRARY.families.attention.methods), 'sketch_reader'] };

test('every method of every family has a style in the one table, distinct within what one chart can show', () => {
  const sets = { ...Object.fromEntries(Object.entries(LIBRARY.families).map(([f, v]) => [f, Object.keys(v.methods)])), ...MIXED };
  for (const [set, methods] of Object.entries(sets)) {
    const seen = new Map();
    for (const m of methods) {
      assert.ok(STYLES[m], `${set}.${m}: no entry in web/app/palette.js STYLES (add one: a colour and a dash)`);
      const [c, d] = STYLES[m];
      assert.ok(c in COLORS && d in DASHES, `${m}: ${c}/${d}`);
      const k = styleKey(styleFor(m));
      assert.ok(!seen.has(k), `${set}: ${m} and ${seen.get(k)} look the same (${k})`);
      seen.set(k, m);
    }
  }
});

test("a method's style is the same whatever is beside it; decorated series names keep their method's", () => {
  const alone = styleFor('flash');
  const taken = new Set(['exact', 'linear', 'polynomial'].map((m) => styleKey(styleFor(m))));
  assert.deepEqual(styleFor('flash', taken), alone);
  assert.deepEqual(styleFor('polynomial g=4 (chebyshev)'), styleFor('polynomial'));
  assert.equal(alone.color, '#D55E00');
});

test('methods missing from the table still get distinct styles in one chart, never grey', () => {
  const taken = new Set();
  for (const m of ['new_a', 'new_b', 'new_c', 'new_d', 'new_e', 'new_f', 'new_g', 'new_h']) {
    const s = styleFor(m, taken);
    assert.ok(!taken.has(styleKey(s)), m);
    assert.notEqual(s.color, COLORS.grey);
    taken.add(styleKey(s));
  }
  assert.deepEqual(styleFor('new_a'), styleFor('new_a'), 'deterministic');
});
