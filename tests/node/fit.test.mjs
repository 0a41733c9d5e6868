import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLogLog, predict, crossover, measuredCrossover } from '../../web/app/fit.js';

test('fitLogLog recovers exponent and constant of an exact power law', () => {
  const pts = [256, 512, 1024, 4096].map((n) => [n, 3e-6 * n ** 2]);
  const f = fitLogLog(pts);
  assert.ok(Math.abs(f.slope - 2) < 1e-12);
  assert.ok(Math.abs(predict(f, 2048) - 3e-6 * 2048 ** 2) < 1e-6);
  assert.ok(Math.abs(f.r2 - 1) < 1e-12);
});

test('fitLogLog ignores non-positive points and needs two distinct x', () => {
  assert.equal(fitLogLog([[1, 1]]), null);
  assert.equal(fitLogLog([[2, 1], [2, 3]]), null);
  assert.equal(fitLogLog([[0, 1], [-1, 3], [4, 0]]), null);
  assert.equal(fitLogLog([[1, 1], [2, 2], [0, 5]]).slope, 1);
});

test('crossover of n² and 1000·n is at n = 1000', () => {
  const quad = fitLogLog([[10, 100], [100, 1e4]]);
  const lin = fitLogLog([[10, 1e4], [100, 1e5]]);
  assert.ok(Math.abs(crossover(quad, lin) - 1000) < 1e-6);
  assert.equal(crossover(lin, lin), null);
});

test('measuredCrossover needs the fast series to stay faster', () => {
  const slow = new Map([[1, 1], [2, 4], [4, 16], [8, 64]]);
  const fast = new Map([[1, 2], [2, 3], [4, 20], [8, 30]]);
  assert.equal(measuredCrossover(slow, fast), 8);
  assert.equal(measuredCrossover(fast, slow), null);
});
