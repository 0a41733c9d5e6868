// The module as a library: loading both flavours, info(), errors, recovery.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSubquad } from '../../web/lib/subquad.mjs';
import { FLAVOURS, load, disposeAll, randomMatrix, attentionReference, relativeError } from './helpers.mjs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url)));
after(disposeAll);

for (const flavour of FLAVOURS) {
  test(`${flavour}: info() describes the loaded build`, async () => {
    const sq = await load(flavour);
    const info = sq.info();
    assert.equal(info.flavour, flavour);
    assert.equal(info.simd, true);
    assert.equal(info.version, pkg.version);
    assert.equal(info.crossOriginIsolated, true); // Node always has SharedArrayBuffer
    assert.equal(info.threads, flavour === 'mt' ? 2 : 1);
    assert.ok(info.memoryBudgetMB > 100, `budget ${info.memoryBudgetMB} MiB`);
    assert.ok(info.timerResolutionMs > 0 && info.timerResolutionMs < 1);
  });

  test(`${flavour}: bad input throws an Error naming the parameter, and the module keeps working`, async () => {
    const sq = await load(flavour);
    const n = 6;
    const d = 4;
    const Q = randomMatrix(n, d, 1, 1);
    const K = randomMatrix(n, d, 1, 2);
    const V = randomMatrix(n, d, 1, 3);
    const cases = [
      [() => sq.attention('exact', { Q, K, V, n: 0, d }), /^n: got 0/],
      [() => sq.attention('exact', { Q, K, V, n, d: 2.5 }), /^d: got 2.5/],
      [() => sq.attention('exact', { Q: Q.subarray(1), K, V, n, d }), /^Q: length 23 does not match n·d = 24/],
      [() => sq.attention('exact', { Q, K, V: 'x', n, d }), /^V: must be a Float32Array/],
      [() => sq.attention('nope', { Q, K, V, n, d }), /^method: unknown attention method 'nope'/],
      [() => sq.attention('exact', { Q, K, V, n, d }, { threads: 99 }), /^threads: got 99, must be in \[1, \d+\]/],
      [() => sq.attention('exact', { Q, K, V, n, d }, { scale: -1 }), /^scale: got -1/],
      [() => sq.attention('exact', { Q, K, V, n, d }, { scale: 'big' }), /^scale: got 'big', must be sqrt, inv_d, a number in \(0, 1000000\]$/],
      [() => sq.measure({ suite: 'nope' }), /^suite: got 'nope'/],
      [() => sq.measure({ suite: 'attention', n: -3 }), /^n: got -3/],
      [() => sq.measure({ suite: 'attention', dist: 'uniform', B: 'NaN' }), /^B: got nan/i],
    ];
    const withNaN = Float32Array.from(K);
    withNaN[7] = NaN;
    cases.push([() => sq.attention('exact', { Q, K: withNaN, V, n, d }), /^K: entry 7 is nan, must be finite/]);
    const withInf = Float32Array.from(V);
    withInf[23] = -Infinity;
    cases.push([() => sq.attention('exact', { Q, K, V: withInf, n, d }), /^V: entry 23 is -inf, must be finite/]);
    const huge = Float32Array.from(Q);
    huge[0] = 1e30;
    cases.push([() => sq.attention('exact', { Q: huge, K, V, n, d }), /^Q: entry 0 is 1e\+30, must satisfy \|x\| <= 1e\+15/]);
    for (const [call, message] of cases) {
      assert.throws(call, (e) => e instanceof sq.SubquadError && message.test(e.message), String(message));
    }
    // After all those errors the same module still answers correctly.
    const { O } = sq.attention('exact', { Q, K, V, n, d });
    assert.ok(relativeError(O, attentionReference(Q, K, V, n, d)) <= 1e-5);
  });

  test(`${flavour}: a call over the memory budget is refused before allocating`, async () => {
    const sq = await load(flavour);
    const n = 512;
    const d = 64;
    const Q = randomMatrix(n, d, 1, 4);
    sq.setMemoryBudget(64 * 1024);
    try {
      assert.throws(() => sq.attention('exact', { Q, K: Q, V: Q, n, d }), /memory budget is 0.1 MiB/);
      assert.throws(() => sq.measure({ suite: 'attention', n: 4096, d: 64 }), /needs .* MiB, memory budget/);
    } finally {
      sq.setMemoryBudget(0);
    }
    const { O } = sq.attention('exact', { Q, K: Q, V: Q, n, d });
    assert.equal(O.length, n * d);
  });

  test(`${flavour}: a cancel request stops the next kernel with a 'cancelled' error`, async () => {
    const sq = await load(flavour);
    sq.cancel();
    try {
      assert.throws(() => sq.measure({ suite: 'attention', n: 256, d: 16, min_ms: 1 }), { message: /^cancelled: / });
    } finally {
      sq.resetCancel();
    }
    assert.equal(sq.measure({ suite: 'attention', n: 64, d: 16, min_ms: 1 }).n, 64);
  });
}

test('mt exposes the cancel flag in shared memory; st does not', async () => {
  const mt = await load('mt');
  const st = await load('st');
  const h = mt.cancelHandle();
  assert.ok(h && h.buffer instanceof SharedArrayBuffer);
  Atomics.store(new Int32Array(h.buffer), h.index, 1);
  assert.throws(() => mt.measure({ suite: 'attention', n: 128, d: 8, min_ms: 1 }), { message: /^cancelled/ });
  Atomics.store(new Int32Array(h.buffer), h.index, 0);
  assert.equal(mt.measure({ suite: 'attention', n: 128, d: 8, min_ms: 1 }).n, 128);
  assert.equal(st.cancelHandle(), null);
});

test('createSubquad validates its own options', async () => {
  await assert.rejects(createSubquad({ flavour: 'gpu' }), { name: 'SubquadError', message: /^flavour: got 'gpu'/ });
  await assert.rejects(createSubquad({ threads: -1 }), /threads: got -1/);
});

test('a disposed instance refuses calls with a clear error', async () => {
  const sq = await createSubquad({ flavour: 'st' });
  sq.dispose();
  assert.throws(() => sq.info(), /module: this instance was disposed/);
});
