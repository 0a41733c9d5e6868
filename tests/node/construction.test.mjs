// The construction through the WASM build: the same answers as native, in both flavours.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, load, disposeAll } from './helpers.mjs';

after(disposeAll);

for (const flavour of FLAVOURS) {
  test(`${flavour}: exact attention solves planted Max-IP; bad options are named errors`, async () => {
    const sq = await load(flavour);
    const r = sq.measure({ suite: 'construction', method: 'exact', n: 200, l: 32, seeds: 5 });
    assert.equal(r.accuracy, 1);
    assert.equal(r.ratio, 1);
    assert.equal(r.value, r.optimum);
    const reader = sq.measure({ suite: 'construction', method: 'sketch_reader', n: 200, l: 32, state: 64, seeds: 3 });
    assert.ok(reader.accuracy >= 0 && reader.accuracy <= 1);
    assert.throws(() => sq.measure({ suite: 'construction', n: 1 }), { message: /^n: got 1, must be an integer in \[2, 65536\]/ });
    assert.throws(() => sq.measure({ suite: 'construction', beta: -2 }), { message: /^beta: got -2/ });
    assert.throws(() => sq.measure({ suite: 'construction', method: 'sketch_reader', state: 0 }), { message: /^state: got 0/ });
    assert.throws(() => sq.measure({ suite: 'construction', method: 'nope' }), { message: /^method: unknown attention method/ });
  });
}

test('st and mt find the same pair on the same seed', async () => {
  const a = (await load('st')).measure({ suite: 'construction', n: 150, l: 24, seed: 9 });
  const b = (await load('mt')).measure({ suite: 'construction', n: 150, l: 24, seed: 9, threads: 2 });
  assert.deepEqual([a.i, a.j, a.value], [b.i, b.j, b.value]);
});
