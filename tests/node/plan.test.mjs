// The pure planning module of the page (web/app/plan.js): a sweep's points,
// its time and memory estimate, the refusal and the largest range that fits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  sweepPoints, estimatePoints, refusal, largestFit, timedSeconds, methodSpeed, threadsOf,
  estimateAttention, estimateSsm, estimatePairs, estimateConstruction, estimatePolyDegree, estimateGrad, estimateTraining, estimateTensor, estimateTensorThreshold, estimateMatch3, estimateKernel, LONG_SWEEP_SECONDS, DEFAULT_PEAK_GFLOPS,
} from '../../web/app/plan.js';

const CHOICES = [256, 512, 1024, 2048, 4096];
const request = (method, n) => ({ method, n });

test('sweepPoints: methods × x within the range, in x order, either bound first', () => {
  const { requests, skipped } = sweepPoints({ methods: ['a', 'b'], choices: CHOICES, lo: 1024, hi: 512, request });
  assert.deepEqual(requests, [{ method: 'a', n: 512 }, { method: 'b', n: 512 }, { method: 'a', n: 1024 }, { method: 'b', n: 1024 }]);
  assert.deepEqual(skipped, []);
  assert.deepEqual(sweepPoints({ methods: ['a'], choices: CHOICES, lo: 256, hi: 4096, upTo: 512, request }).requests.map((r) => r.n), [256, 512]);
});

test('sweepPoints keeps the reasons of skipped points and leaves them out', () => {
  const skipping = (m, n) => (n > 512 ? { skip: `${m} at ${n}` } : { m, n });
  const { requests, skipped } = sweepPoints({ methods: ['ref'], choices: CHOICES, lo: 256, hi: 1024, request: skipping });
  assert.equal(requests.length, 2);
  assert.deepEqual(skipped, ['ref at 1024']);
});

test('estimatePoints sums seconds, takes the largest memory, keeps weights; async estimators too', async () => {
  const e = await estimatePoints([{ n: 1 }, { n: 3 }, { n: 2 }], async (r) => ({ seconds: r.n, memory: 10 * r.n }));
  assert.deepEqual(e, { seconds: 6, memory: 30, weights: [1, 3, 2], memories: [10, 30, 20] });
  assert.deepEqual(await estimatePoints([], () => ({ seconds: 1, memory: 1 })), { seconds: 0, memory: 0, weights: [], memories: [] });
});

test('refusal: memory first, time unless confirmed', () => {
  const budget = { budgetBytes: 100 };
  assert.equal(refusal({ seconds: 1, memory: 101 }, budget), 'memory');
  assert.equal(refusal({ seconds: 1e6, memory: 101 }, { ...budget, confirmed: true }), 'memory');
  assert.equal(refusal({ seconds: LONG_SWEEP_SECONDS + 1, memory: 1 }, budget), 'time');
  assert.equal(refusal({ seconds: LONG_SWEEP_SECONDS + 1, memory: 1 }, { ...budget, confirmed: true }), null);
  assert.equal(refusal({ seconds: LONG_SWEEP_SECONDS, memory: 100 }, budget), null);
});

test('largestFit: the largest "to" below the chosen one whose whole sweep fits', async () => {
  // Quadratic points: n = 256 costs 1 s; the sweep to 1024 costs 1 + 4 + 16 = 21 s.
  const estimateOne = (r) => ({ seconds: (r.n / 256) ** 2, memory: r.n });
  const pointsUpTo = (x) => sweepPoints({ methods: ['a'], choices: CHOICES, lo: 256, hi: 4096, upTo: x, request }).requests;
  const base = { choices: CHOICES, lo: 256, hi: 4096, pointsUpTo, estimateOne, budgetBytes: 1e9 };
  assert.deepEqual(await largestFit({ ...base, maxSeconds: 30 }), { x: 1024, seconds: 21 });
  assert.deepEqual(await largestFit({ ...base, maxSeconds: 100 }), { x: 2048, seconds: 85 });
  assert.deepEqual(await largestFit({ ...base, maxSeconds: 1e9, budgetBytes: 600 }), { x: 512, seconds: 5 });
  assert.equal(await largestFit({ ...base, maxSeconds: 0.5 }), null);
  // Nothing below "from": no offer.
  assert.equal(await largestFit({ ...base, lo: 256, hi: 256, maxSeconds: 1e9 }), null);
});

test('timedSeconds: a warm-up call, then calls until min_ms, at least 5 when one is under 1 s (time_median)', () => {
  assert.equal(timedSeconds(0.01, 100), 0.11);
  assert.equal(timedSeconds(2, 100), 4);
  assert.equal(timedSeconds(0.5, 100), 3); // 1 + 5 calls
  assert.equal(timedSeconds(0.5, 100, 2), 1.5);
  assert.equal(timedSeconds(0, 0), 0);
});

test('methodSpeed follows the calibrated peak, threads in mt only, references stay scalar', () => {
  const st = methodSpeed('exact', { peakGflops: 20 });
  assert.equal(st, 20 * 0.25);
  assert.equal(methodSpeed('exact', { peakGflops: null }), DEFAULT_PEAK_GFLOPS * 0.25);
  assert.ok(methodSpeed('exact', { peakGflops: 20, threads: 4, flavour: 'mt' }) > 2 * st);
  assert.equal(methodSpeed('exact', { peakGflops: 20, threads: 4, flavour: 'st' }), st);
  assert.equal(methodSpeed('exact_reference', { peakGflops: 20, threads: 4, flavour: 'mt' }), 20 * 0.01);
  assert.ok(methodSpeed('linear', { peakGflops: 20 }) < st);
});

test('threadsOf: the request\'s threads (0 = all) in mt, 1 in st', () => {
  const mt = { flavour: 'mt', threads: 4 };
  assert.equal(threadsOf({ threads: 0 }, mt), 4);
  assert.equal(threadsOf({ threads: 2 }, mt), 2);
  assert.equal(threadsOf({ threads: 16 }, mt), 4);
  assert.equal(threadsOf({ threads: 2 }, { flavour: 'st', threads: 1 }), 1);
});

// A cost model that records its calls, like the library's { flops, memory_bytes }.
function fakeCost(table) {
  const calls = [];
  return { calls, cost: async (fn, ...args) => { calls.push([fn, ...args]); return table(fn, ...args); } };
}
const INFO_ST = { flavour: 'st', threads: 1, memoryBudgetMB: 1024 };

test('estimateAttention: the cost model at the request\'s shape, inputs and output beside its memory', async () => {
  const { calls, cost } = fakeCost(() => ({ flops: 8e9, memory_bytes: 1000 }));
  const env = { info: INFO_ST, peakGflops: 32, cost };
  const r = { method: 'exact', n: 1024, d: 64, threads: 0, min_ms: 100, check_rows: 0 };
  const e = await estimateAttention(r, env);
  assert.deepEqual(calls[0].slice(0, 4), ['cost', 'attention', 'exact', { n: 1024, d: 64 }]);
  assert.equal(e.seconds, timedSeconds(1, 100)); // 8 GFLOP at 32 × 0.25 GFLOP/s
  assert.equal(e.memory, 1000 + 16 * 1024 * 64);
  const checked = await estimateAttention({ ...r, check_rows: 64 }, env);
  assert.ok(checked.seconds > e.seconds);
});

test('estimateSsm asks the ssm cost model: a scan at (L, D, N), a block at (L, D) with its option N', async () => {
  const { calls, cost } = fakeCost(() => ({ flops: 1e9, memory_bytes: 5 }));
  const e = await estimateSsm({ method: 'mamba_block', L: 4096, D: 256, N: 16, threads: 0, min_ms: 100 }, { info: INFO_ST, peakGflops: 32, cost });
  assert.deepEqual(calls[0].slice(0, 4), ['cost', 'ssm', 'mamba_block', { L: 4096, D: 256 }]);
  assert.equal(calls[0][4].N, 16);
  await estimateSsm({ method: 'scan', L: 64, D: 8, N: 4, threads: 0 }, { info: INFO_ST, peakGflops: 32, cost });
  assert.deepEqual(calls[1].slice(0, 4), ['cost', 'ssm', 'scan', { L: 64, D: 8, N: 4 }]);
  assert.ok(e.seconds > 0.1 && e.memory > 4 * 3 * 4096 * 256);
});

test('estimateGrad asks the grad cost model with the options the method takes, and the flash forward beside it', async () => {
  const { calls, cost } = fakeCost((fn, family) => ({ flops: 1e9, memory_bytes: family === 'grad' ? 7e6 : 3e6 }));
  const opts = (...names) => ({ options: Object.fromEntries(names.map((k) => [k, {}])) });
  const schema = { families: {
    grad: { methods: { flash: opts('scale', 'causal', 'threads'), polynomial: opts('scale', 'threads', 'degree', 'poly', 'R') } },
    attention: { methods: { flash: opts('scale', 'causal', 'threads') } } } };
  const env = { info: INFO_ST, peakGflops: 32, cost, schema };
  const e = await estimateGrad({ method: 'polynomial', n: 4096, d: 8, degree: 4, threads: 0, min_ms: 100 }, env);
  assert.deepEqual(calls[0].slice(0, 4), ['cost', 'grad', 'polynomial', { n: 4096, d: 8 }]);
  assert.equal(calls[0][4].degree, 4);
  assert.deepEqual(calls[1].slice(0, 4), ['cost', 'attention', 'flash', { n: 4096, d: 8 }]);
  await estimateGrad({ method: 'flash', n: 4096, d: 64, degree: 4, threads: 0 }, env);
  assert.equal(calls[2][4].degree, undefined); // flash takes no degree
  assert.ok(e.seconds > 0 && e.memory >= 7e6 + 4 * 8 * 4096 * 8);
});

test('estimateGrad with a loss_* method: the method and the check the bench runs beside it; estimateTraining: 2 exact + 1 polynomial per step', async () => {
  const { calls, cost } = fakeCost((fn, family, method) => ({ flops: method === 'loss_exact' ? 4e9 : 1e9, memory_bytes: 5e6 }));
  const opts = (...names) => ({ options: Object.fromEntries(names.map((k) => [k, {}])) });
  const schema = { families: { grad: { methods: {
    loss_reference: opts('scale'), loss_exact: opts('scale', 'threads'), loss_polynomial: opts('scale', 'threads', 'degree', 'poly', 'R') } } } };
  const env = { info: INFO_ST, peakGflops: 32, cost, schema };
  const p = await estimateGrad({ method: 'loss_polynomial', n: 4096, d: 8, degree: 4, threads: 0, min_ms: 100 }, env);
  assert.deepEqual(calls.map((c) => c[2]), ['loss_polynomial', 'loss_exact']);
  assert.equal(calls[0][4].degree, 4);
  assert.equal(calls[1][4].degree, undefined); // loss_exact takes no degree
  assert.ok(p.seconds > 4e9 / (methodSpeed('flash', { peakGflops: 32 }) * 1e9) && p.memory >= 5e6 + 4 * 4 * 4096 * 8);
  calls.length = 0;
  await estimateGrad({ method: 'loss_exact', n: 4096, d: 8, threads: 0 }, env);
  assert.deepEqual(calls.map((c) => c[2]), ['loss_exact']); // no double reference past n = 2,048
  const t = await estimateTraining({ n: 1024, d: 4, steps: 199, degree: 3, threads: 0 }, env);
  const step = 2 * 4e9 / (methodSpeed('flash', { peakGflops: 32 }) * 1e9) + 1e9 / (methodSpeed('polynomial', { peakGflops: 32 }) * 1e9);
  assert.ok(Math.abs(t.seconds - 200 * step) <= 1e-9 * t.seconds, `${t.seconds} vs ${200 * step}`);
});

test('pairs: the library cost model per instance, the exact judge beside it; seeds multiply', async () => {
  // All-pairs flops, as the library's model counts them (2·d per pair).
  const { calls, cost } = fakeCost((fn, family, method, dims) => ({ flops: 2 * dims.d * dims.n * (dims.n - 1) / 2, memory_bytes: 8 }));
  const env = { info: INFO_ST, peakGflops: 32, cost };
  const one = await estimatePairs({ method: 'gram', n: 8192, d: 128, seeds: 1, min_ms: 50 }, env);
  assert.deepEqual(calls[0].slice(0, 4), ['cost', 'pairs', 'gram', { n: 8192, d: 128 }]);
  const three = await estimatePairs({ method: 'gram', n: 8192, d: 128, seeds: 3, min_ms: 50 }, env);
  assert.ok(three.seconds > 2.5 * one.seconds);
  // Up to n = 2,048 every instance is also judged by the double-precision reference.
  const judged = await estimatePairs({ method: 'simhash', n: 2048, d: 128, seeds: 1, min_ms: 50 }, env);
  assert.ok(calls.some((c) => c[2] === 'reference'));
  assert.ok(judged.seconds > 1, `${judged.seconds}`);
});

test('construction: attention methods by their cost model, the reader by its state, the brute-force check for both', async () => {
  const { calls, cost } = fakeCost(() => ({ flops: 1e6, memory_bytes: 7 }));
  const env = { info: INFO_ST, peakGflops: 32, cost };
  const flash = await estimateConstruction({ method: 'flash', n: 1024, l: 64, seeds: 5, threads: 0, degree: 2 }, env);
  assert.deepEqual(calls[0].slice(0, 4), ['cost', 'construction', 'maxip', { n: 1024, l: 64 }]);
  assert.equal(calls[0][4].attention, 'flash');
  const reader = await estimateConstruction({ method: 'sketch_reader', n: 1024, l: 64, seeds: 5, state: 2048 }, env);
  assert.deepEqual(calls[1].slice(0, 4), ['cost', 'construction', 'sketch_reader', { n: 1024, l: 64 }]);
  assert.ok(flash.seconds > 0 && reader.seconds > 0);
  const { cost: quadratic } = fakeCost((fn, family, method, dims) => ({ flops: 2 * dims.n * dims.n, memory_bytes: 8 }));
  const big = await estimateConstruction({ method: 'sketch_reader', n: 16384, l: 64, seeds: 100, state: 2048 }, { ...env, cost: quadratic });
  assert.ok(big.seconds > LONG_SWEEP_SECONDS, `${big.seconds}`);
});

test('poly_degree: the polynomial method\'s cost at degrees 0…8 (the search stops somewhere there) and flash\'s', async () => {
  const { calls, cost } = fakeCost((fn, family, method, dims, options) => ({
    flops: method === 'flash' ? 1e9 : 1e6 * 2 ** (options.degree ?? 0), memory_bytes: 100 * ((options.degree ?? 0) + 1) }));
  const env = { info: INFO_ST, peakGflops: 32, cost };
  const e = await estimatePolyDegree({ n: 4096, d: 8, B: 1, target: 1e-3, threads: 0, min_ms: 50 }, env);
  const degrees = calls.filter((c) => c[2] === 'polynomial').map((c) => c[4].degree);
  assert.deepEqual(degrees, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.ok(calls.some((c) => c[2] === 'flash'));
  assert.equal(e.memory, 900 + 16 * 4096 * 8);
  assert.ok(e.seconds > 2 * timedSeconds(1e9 / (methodSpeed('flash', env) * 1e9), 50) - 1e-9);
});

test('estimateTensor asks the tensor cost model with the options the method takes; threshold and match3 their layer', async () => {
  const { calls, cost } = fakeCost((fn, family, method, dims) => ({ flops: 4 * dims.n ** 3 * dims.d, memory_bytes: 5e5 }));
  const opts = (...names) => ({ options: Object.fromEntries(names.map((k) => [k, {}])) });
  const schema = { families: {
    tensor: { methods: { exact: opts('scale', 'causal', 'threads'), windowed: opts('scale', 'causal', 'threads', 'w1', 'w2'),
      polynomial: opts('scale', 'threads', 'degree', 'poly', 'R') } },
    attention: { methods: { exact: opts('scale', 'causal', 'threads'), polynomial: opts('scale', 'threads', 'degree', 'poly', 'R') } } } };
  const env = { info: INFO_ST, peakGflops: 32, cost, schema };
  const w = await estimateTensor({ method: 'windowed', n: 256, d: 8, causal: true, w1: 512, w2: 32, degree: 4, threads: 0 }, env);
  assert.deepEqual(calls[0].slice(0, 4), ['cost', 'tensor', 'windowed', { n: 256, d: 8 }]);
  assert.equal(calls[0][4].w1, 512);
  assert.equal(calls[0][4].degree, undefined);  // not an option of windowed
  assert.equal(w.memory, 5e5 + 24 * 256 * 8);
  // Cubic: doubling n multiplies the kernel's time by 8 (both under a second, so both are
  // timed the same 5 + 1 times: timedSeconds' floor for fast calls).
  const a = await estimateTensor({ method: 'exact', n: 128, d: 8, check_rows: 0, min_ms: 0 }, env);
  const b = await estimateTensor({ method: 'exact', n: 256, d: 8, check_rows: 0, min_ms: 0 }, env);
  assert.ok(Math.abs(b.seconds / a.seconds - 8) < 1e-9);
  await estimateTensorThreshold({ layer: 'matrix', n: 1024, d: 4, degree: 4 }, env);
  assert.deepEqual(calls.at(-1).slice(0, 3), ['cost', 'attention', 'polynomial']);
  const m = await estimateMatch3({ layer: 'tensor', n: 16, instances: 10 }, env);
  assert.deepEqual(calls.at(-1).slice(0, 4), ['cost', 'tensor', 'exact', { n: 16, d: 4 }]);
  assert.ok(m.seconds > 0);
});

import { estimateCollapse } from '../../web/app/plan.js';

test('estimateCollapse asks the collapse cost model with the network\'s options, and the reference check up to check_n', async () => {
  const { calls, cost } = fakeCost((fn, family, method) => ({ flops: method === 'reference' ? 2e8 : 1e9, memory_bytes: 5e6 }));
  const opts = (...names) => ({ options: Object.fromEntries(names.map((k) => [k, {}])) });
  const schema = { families: { collapse: { methods: {
    san_forward: opts('layers', 'heads', 'eta', 'residual', 'seed', 'scale', 'attention', 'compare', 'threads'),
    reference: opts('layers', 'heads', 'eta', 'residual', 'seed', 'scale', 'compare') } } } };
  const env = { info: INFO_ST, peakGflops: 32, cost, schema };
  const small = await estimateCollapse({ method: 'san_forward', n: 64, d: 16, layers: 6, heads: 2, compare: true, threads: 0, min_ms: 0 }, env);
  assert.deepEqual(calls[0].slice(0, 4), ['cost', 'collapse', 'san_forward', { n: 64, d: 16 }]);
  assert.equal(calls[0][4].layers, 6);
  assert.equal(calls[0][4].compare, true);
  assert.deepEqual(calls[1].slice(0, 3), ['cost', 'collapse', 'reference']);
  assert.equal(calls[1][4].compare, false);
  const large = await estimateCollapse({ method: 'san_forward', n: 4096, d: 16, layers: 6, heads: 2, compare: true, threads: 0, min_ms: 0 }, env);
  assert.equal(calls.length, 3); // no reference check past check_n = 256
  assert.ok(small.seconds > large.seconds && large.seconds > 0 && large.memory >= 5e6);
});
test('estimateKernel: the kernel cost model with the options each method takes, the degree from B, exact beside it', async () => {
  const { calls, cost } = fakeCost((fn, family, method) => ({ flops: 1e9, memory_bytes: method === 'exact' ? 2e6 : 5e6 }));
  const opts = (...names) => ({ options: Object.fromEntries(names.map((k) => [k, {}])) });
  const schema = { families: { kernel: { methods: {
    exact: opts('bandwidth', 'op', 'threads'),
    polynomial: opts('bandwidth', 'op', 'threads', 'error', 'degree', 'factor'),
    fgt: opts('bandwidth', 'op', 'threads', 'error', 'order', 'radius', 'clusters') } } } };
  const env = { info: INFO_ST, peakGflops: 32, cost, schema };
  const e = await estimateKernel({ method: 'polynomial', n: 16384, d: 4, B: 16, error: 1e-6, threads: 0, compare_exact: true, min_ms: 30 }, env);
  assert.deepEqual(calls[0].slice(0, 4), ['cost', 'kernel', 'polynomial', { n: 16384, d: 4 }]);
  assert.equal(calls[0][4].degree, 16); // ⌈√(16·ln 1e6)⌉ + 1; measured: 15
  assert.equal(calls[0][4].error, 1e-6);
  assert.deepEqual(calls[1].slice(0, 3), ['cost', 'kernel', 'exact']);
  assert.equal(calls[1][4].error, undefined); // exact takes no error
  assert.ok(e.seconds > 0 && e.memory >= 5e6);
  await estimateKernel({ method: 'fgt', n: 4096, d: 3, B: 1, error: 1e-4, threads: 0 }, env);
  assert.equal(calls[2][4].degree, undefined);
  assert.equal(calls[2][4].error, 1e-4);
});

