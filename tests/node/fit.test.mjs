import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLogLog, predict, crossover, measuredCrossover, slopeText, spreadOf, t975, tickLabel, logTicks } from '../../web/app/fit.js';

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

test('fitLogLog gives the slope\'s standard error and 95 % interval, checked against residuals written out', () => {
  // Noisy power law y = 3·x^1.9 · e^{ε}: the interval must contain what a
  // direct computation from the residuals gives, and r² must match too.
  const eps = [0.05, -0.08, 0.02, 0.07, -0.04, -0.01];
  const pts = eps.map((e, i) => [2 ** (i + 4), 3 * 2 ** ((i + 4) * 1.9) * Math.exp(e)]);
  const f = fitLogLog(pts);
  const lx = pts.map(([x]) => Math.log(x));
  const ly = pts.map(([, y]) => Math.log(y));
  const mean = (a) => a.reduce((p, q) => p + q, 0) / a.length;
  const res = ly.map((y, i) => y - (f.intercept + f.slope * lx[i]));
  const rss = res.reduce((p, r) => p + r * r, 0);
  const sxx = lx.reduce((p, x) => p + (x - mean(lx)) ** 2, 0);
  const se = Math.sqrt(rss / (pts.length - 2) / sxx);
  assert.ok(Math.abs(f.se - se) < 1e-12);
  assert.ok(Math.abs((f.ci95[1] - f.ci95[0]) / 2 - 2.776 * se) < 1e-12);  // t(0.975, 4 df) = 2.776
  const tss = ly.reduce((p, y) => p + (y - mean(ly)) ** 2, 0);
  assert.ok(Math.abs(f.r2 - (1 - rss / tss)) < 1e-12);
  assert.ok(f.ci95[0] < 1.9 && 1.9 < f.ci95[1], `1.9 in [${f.ci95}]`);
  assert.match(slopeText(f), /^1\.\d\d ± 0\.\d\d \(r² 0\.\d{3}, 6 points\)$/);
  // Two points: a slope but no interval; an exact law: zero width.
  assert.equal(fitLogLog([[1, 1], [2, 4]]).ci95, null);
  const exact = fitLogLog([[1, 2], [2, 8], [4, 32]]);
  assert.ok(Math.abs(exact.ci95[1] - exact.ci95[0]) < 1e-9);
  assert.equal(t975(40), 1.96 + 2.4 / 40);
  assert.deepEqual(spreadOf({ min_ms: 1, q1_ms: 2, median_ms: 3, q3_ms: 4, max_ms: 5 }), { min: 1, q1: 2, median: 3, q3: 4, max: 5 });
});

test('tickLabel: small values in exponent form, never "0"; others to 3 digits', () => {
  assert.equal(tickLabel(1e-5), '1e-5');
  assert.equal(tickLabel(2e-7), '2e-7');
  assert.equal(tickLabel(0.001), '0.001');
  assert.equal(tickLabel(0.5), '0.5');
  assert.equal(tickLabel(1234.5), '1230');
  assert.equal(tickLabel(0), '0');
  assert.equal(tickLabel(null), '');
});

test('logTicks: labels at powers of ten only, minor lines at 2 and 5; 2 and 5 labelled when under two decades', () => {
  const t = logTicks(3e-6, 0.002);
  assert.deepEqual(t.major, [1e-5, 1e-4, 1e-3]);
  assert.deepEqual(t.minor, [5e-6, 2e-5, 5e-5, 2e-4, 5e-4, 0.002]);
  assert.deepEqual(t.major.map(tickLabel), ['1e-5', '1e-4', '0.001']);
  assert.deepEqual(logTicks(1.5, 30).major, [2, 5, 10, 20]);
  assert.deepEqual(logTicks(1.5, 30).minor, []);
  assert.ok(!logTicks(1e-7, 1).major.includes(0));
  assert.deepEqual(logTicks(0, 1), { major: [], minor: [] });
});
