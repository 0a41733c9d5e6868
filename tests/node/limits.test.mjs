// One source of limits: every limit the page offers (web/app/state.js) comes
// from the library's schema, the C++ side accepts it, and one past it is
// refused by name — checked end to end through the st build.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { load, disposeAll } from './helpers.mjs';
import { SCHEMA, librarySpec, resolve } from '../../web/app/state.js';
import LIBRARY from '../../web/app/library.js';

after(disposeAll);

// The page keys that set a library parameter, with their refs.
const LIB_KEYS = Object.entries(SCHEMA).filter(([, s]) => s.lib);

// A small valid shape of a family, in its own dimensions.
const small = (f) => Object.fromEntries(Object.entries(f.dims).map(([k, d]) => [k, Math.max(d.min, 4)]));

test('the page\'s limits are the running library\'s, key by key', async () => {
  const sq = await load('st');
  const live = sq.schema();
  assert.deepEqual(LIBRARY, live, 'web/app/library.js is the schema of the build');
  assert.ok(LIB_KEYS.length >= 30, `${LIB_KEYS.length} library-backed keys`);
  for (const [key, spec] of LIB_KEYS) {
    const lib = librarySpec(spec.lib, live);
    assert.ok(lib, `${key}: ${spec.lib}`);
    if (spec.type === 'int' || spec.type === 'number') {
      assert.equal(spec.min, lib.min, key);
      assert.equal(spec.max, lib.max, key);
    }
    if (spec.type === 'enum') for (const v of spec.values) assert.ok((lib.values ?? lib.names).includes(v), `${key}: ${v}`);
  }
  // The vocabulary limit was 8,192 on the page and 4,096 in C++: one source now.
  assert.equal(SCHEMA.dvocab.max, 4096);
  // A ref the library lacks is an error at load, not a silent page limit.
  assert.throws(() => resolve('x', { lib: 'dim:attention.nope' }, live), /names dim:attention\.nope/);
});

test('every limit the page offers is accepted by the C++ side, and one past it is refused by name', async () => {
  const sq = await load('st');
  const { families } = sq.schema();
  const refusedBy = (fn, name) => assert.throws(fn, (e) => e instanceof sq.SubquadError && e.message.startsWith(`${name}: got`),
    `${name} past its limit`);
  let checked = 0;
  for (const [key, spec] of LIB_KEYS) {
    const [kind, path] = spec.lib.split(':');
    const parts = path.split('.');
    if (kind === 'dim') {
      const [fname, dim] = parts;
      const f = families[fname];
      const method = Object.keys(f.methods)[0];
      sq.cost(fname, method, { ...small(f), [dim]: spec.min });
      sq.cost(fname, method, { ...small(f), [dim]: spec.max, ...(dim === 'n' && 'n_k' in f.dims ? { n_k: spec.max } : {}) });
      refusedBy(() => sq.cost(fname, method, { ...small(f), [dim]: spec.max + 1 }), dim);
    } else if (kind === 'option') {
      const [fname, method, option] = parts;
      const f = families[fname];
      if (spec.type === 'enum') {
        for (const v of spec.values) sq.cost(fname, method, small(f), { [option]: v });
        assert.throws(() => sq.cost(fname, method, small(f), { [option]: 'nope' }), { message: new RegExp(`^${option}: got 'nope'`) });
      } else if (spec.type === 'bool') {
        sq.cost(fname, method, small(f), { [option]: true });
        assert.throws(() => sq.cost(fname, method, small(f), { [option]: 'yes' }), { message: new RegExp(`^${option}: got 'yes'`) });
      } else {
        // threads past the pool is refused by the run, not the schema: its limit is the schema's.
        if (option !== 'threads') sq.cost(fname, method, small(f), { [option]: spec.max });
        refusedBy(() => sq.cost(fname, method, small(f), { [option]: spec.max + (spec.type === 'int' ? 1 : Math.max(1, spec.max * 1e-6)) }), option);
      }
    } else if (kind === 'suite') {
      const [suite, option] = parts;
      if (spec.type === 'enum') {
        assert.throws(() => sq.measure({ suite, [option]: 'nope', min_ms: 0 }), { message: new RegExp(`^${option}: got 'nope'`) });
      } else {
        refusedBy(() => sq.measure({ suite, [option]: spec.max + (spec.type === 'int' ? 1 : Math.max(1, spec.max * 1e-6)), min_ms: 0 }), option);
        if (spec.minExclusive || spec.min > -1e300) {
          const below = spec.minExclusive ? spec.min : spec.min - 1;
          refusedBy(() => sq.measure({ suite, [option]: below, min_ms: 0 }), option);
        }
      }
    } else if (kind === 'limit' && path.startsWith('training.')) {
      // The training run (sq.attentionTraining): its own option name is the limit's last part.
      const option = parts[1];
      const small = { n: 64, d: 2, steps: 1 };
      if (option !== 'n' && option !== 'd') sq.attentionTraining({ ...small, [option]: spec.max });
      refusedBy(() => sq.attentionTraining({ ...small, [option]: spec.max + (spec.type === 'int' ? 1 : Math.max(1, spec.max * 1e-6)) }), option);
      if (spec.minExclusive) refusedBy(() => sq.attentionTraining({ ...small, [option]: spec.min }), option);
    } else if (kind === 'limit' && path === 'documents.vocab') {
      assert.equal(sq.documents(['one two', 'two three'], { vocab: spec.max }).vocab.length, 3);
      refusedBy(() => sq.documents(['one two'], { vocab: spec.max + 1 }), 'vocab');
    }
    checked++;
  }
  assert.equal(checked, LIB_KEYS.length);
});

test('the bench CLI routes a shared sweep option to the methods that take it, and keeps typos for the library to refuse', async () => {
  const { routed } = await import('../../build/bench.mjs');
  const sq = await load('st');
  const schema = sq.schema();
  const point = { suite: 'attention', method: 'flash', n: 512, d: 8, degree: 4, scale: 'inv_d', threads: 1 };
  assert.deepEqual(routed(point, schema), { suite: 'attention', method: 'flash', n: 512, d: 8, scale: 'inv_d', threads: 1 });
  assert.equal(routed({ ...point, method: 'polynomial' }, schema).degree, 4);
  // A typo is no option of any method: it stays, and the library names it.
  const typo = routed({ ...point, degre: 4 }, schema);
  assert.equal(typo.degre, 4);
  assert.throws(() => sq.measure({ ...typo, min_ms: 0 }), { message: /^degre: unknown option for flash/ });
});
