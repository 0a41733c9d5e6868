// sq.schema() and strict options through the JS API, in both flavours: every
// method of every family is described, refuses an unknown option by name and
// a wrong type, and one cost call answers for every family.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, load, disposeAll, randomMatrix, attentionReference, relativeError } from './helpers.mjs';

after(disposeAll);

// A small shape every family accepts, in its own dimensions (from the schema,
// so a family added later is covered too).
const small = (f) => Object.fromEntries(Object.entries(f.dims).map(([k, d]) => [k, Math.max(d.min, 4)]));

for (const flavour of FLAVOURS) {
  test(`${flavour}: sq.schema() describes every method of every family`, async () => {
    const sq = await load(flavour);
    const { families } = sq.schema();
    for (const name of ['attention', 'ssm', 'pairs', 'construction']) assert.ok(families[name], name);
    let methods = 0;
    let options = 0;
    for (const [fname, f] of Object.entries(families)) {
      assert.ok(f.summary && f.paper, fname);
      for (const [dim, spec] of Object.entries(f.dims)) assert.ok(spec.min <= spec.max && spec.doc, `${fname}.${dim}`);
      for (const [mname, m] of Object.entries(f.methods)) {
        methods++;
        assert.equal(typeof m.exact, 'boolean', mname);
        assert.ok(m.summary && m.paper, `${mname} has a summary and a paper`);
        assert.ok(m.inputs.length > 0 && m.inputs.every((i) => i.name && typeof i.shape === 'string'), mname);
        for (const [oname, o] of Object.entries(m.options)) {
          options++;
          assert.ok(['integer', 'number', 'boolean', 'enum'].includes(o.type), `${mname}.${oname}`);
          assert.ok(o.doc, `${mname}.${oname} has a doc line`);
          assert.ok('default' in o, `${mname}.${oname} has a default`);
          if (o.type === 'integer' || o.type === 'number') assert.ok(o.min <= o.max, `${mname}.${oname}`);
          if (o.type === 'enum') assert.ok(o.values.includes(o.default), `${mname}.${oname}`);
        }
      }
    }
    assert.deepEqual(Object.keys(families.attention.methods.window.options), ['scale', 'causal', 'threads', 'window']);
    assert.deepEqual(families.attention.methods.flash.inputs.map((i) => `${i.name}:${i.shape}`), ['Q:n×d', 'K:n_k×d', 'V:n_k×d']);
    console.log(`# schema: ${Object.keys(families).length} families, ${methods} methods, ${options} method options`);
  });

  test(`${flavour}: an unknown option is refused by every method of every family, naming it and the method's options`, async () => {
    const sq = await load(flavour);
    for (const [fname, f] of Object.entries(sq.schema().families)) {
      for (const [mname, m] of Object.entries(f.methods)) {
        const names = Object.keys(m.options);
        const list = names.length ? `options are ${names.join(', ')}` : 'it takes none';
        assert.throws(() => sq.cost(fname, mname, small(f), { windw: 3 }),
          (e) => e instanceof sq.SubquadError && e.param === 'windw' &&
            e.message === `windw: unknown option for ${mname}; ${list}`, `${fname}.${mname}`);
        // Every default is accepted as given, and the cost model answers.
        const defaults = Object.fromEntries(Object.entries(m.options).map(([k, o]) => [k, o.default]));
        const c = sq.cost(fname, mname, small(f), defaults);
        assert.ok(c.flops >= 0 && c.bytes > 0 && c.memory_bytes >= 0, `${fname}.${mname}`);
      }
    }
  });

  test(`${flavour}: a typo or a wrong type never runs the default; the module keeps working`, async () => {
    const sq = await load(flavour);
    const n = 40;
    const d = 4;
    const Q = randomMatrix(n, d, 1, 1);
    assert.throws(() => sq.attention('window', { Q, K: Q, V: Q, n, d }, { windw: 3 }),
      { message: 'windw: unknown option for window; options are scale, causal, threads, window' });
    assert.throws(() => sq.attention('flash', { Q, K: Q, V: Q, n, d }, { causal: 'yes' }),
      { message: "causal: got 'yes', must be true or false" });
    assert.throws(() => sq.attention('polynomial', { Q, K: Q, V: Q, n, d }, { degree: 2.5 }),
      { message: 'degree: got 2.5, must be an integer in [0, 12]' });
    assert.throws(() => sq.measure({ suite: 'attention', method: 'exact', n, d, degre: 3 }),
      { message: /^degre: unknown option for exact; options are scale, causal, diagonal, return_lse, threads$/ });
    assert.throws(() => sq.pairs('gram', { X: Q, n, d }, { tables: 4 }), { message: /^tables: unknown option for gram/ });
    assert.throws(() => sq.pairsGenerate('planted', { n: 10, d: 2, rh: 0.5 }), { message: /^rh: unknown option for pairsGenerate/ });
    const ref = attentionReference(Q, Q, Q, n, d, {});
    assert.ok(relativeError(sq.attention('flash', { Q, K: Q, V: Q, n, d }).O, ref) < 1e-5);
  });

  test(`${flavour}: attention with separate key counts and the row log-sum-exp`, async () => {
    const sq = await load(flavour);
    const n = 19;
    const nk = 70;
    const d = 6;
    const Q = randomMatrix(n, d, 1, 5);
    const K = randomMatrix(nk, d, 1, 6);
    const V = randomMatrix(nk, d, 1, 7);
    const scale = 1 / Math.sqrt(d);
    for (const causal of [false, true]) {
      // Double-precision reference from the definition, keys j ≤ i + nk − n when causal.
      const O = attentionReference(Q, K, V, n, d, { scale, causal, nk });
      const { lse } = O;
      for (const method of ['exact_reference', 'exact', 'flash']) {
        const r = sq.attention(method, { Q, K, V, n, n_k: nk, d }, { causal, return_lse: true });
        assert.ok(relativeError(r.O, O) < 1e-5, `${method} causal=${causal}: ${relativeError(r.O, O)}`);
        assert.equal(r.lse.length, n);
        for (let i = 0; i < n; i++) assert.ok(Math.abs(r.lse[i] - lse[i]) < 1e-5 * Math.max(1, Math.abs(lse[i])), `${method} lse[${i}]`);
        assert.ok(r.validate_ms >= 0 && r.ms >= 0);
      }
    }
    assert.throws(() => sq.attention('linear', { Q, K, V, n, n_k: nk, d }), { message: /^n_k: got 70 ≠ n = 19; method 'linear' needs n_k = n/ });
    assert.throws(() => sq.attention('flash', { Q, K: Q, V: Q, n, n_k: nk, d }), { message: /^K: length 114 does not match n_k·d = 420/ });
  });
}
