// What the charts draw: log axes labelled at powers of ten only (1e-5 style,
// never "0"), lighter minor lines at 2 and 5; reference-line labels that do
// not cover points; the spread (quartiles) behind each timed median.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, waitReady, sharedBrowser } from './helpers.mjs';

const env = sharedBrowser({ isolate: false });

test('log y axis: labels at powers of ten only, in 1e-5 style, no 0; minor lines at 2 and 5', async () => {
  const { context, page, problems } = await openPage(env.browser, `${env.server.url}?panel=attention`);
  await waitReady(page);
  const axes = await page.evaluate(async () => {
    const { LogLogChart } = await import('./app/chart.js');
    const box = document.createElement('div');
    box.style.width = '700px';
    document.body.append(box);
    const chart = new LogLogChart(box, { xLabel: 'B', yLabel: 'relative error', fit: false });
    // Errors near 1e-5, as the error-vs-B chart shows them.
    [[0.25, 3e-6], [0.5, 8e-6], [1, 2e-5], [2, 4e-4], [4, 2e-3]].forEach(([x, y]) => chart.add('polynomial', x, y, { method: 'polynomial' }));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))); // uPlot draws on the next frame
    const u = chart.plot;
    return { labels: u.axes[1]._values, splits: u.axes[1]._splits, minor: u.axes[2]?._splits ?? [] };
  });
  assert.ok(axes.labels.length >= 3, JSON.stringify(axes));
  for (const [k, v] of axes.splits.entries()) assert.equal(Math.log10(v) % 1 === 0 || Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9, true, `tick ${v}`);
  assert.ok(!axes.labels.includes('0'), JSON.stringify(axes.labels));
  assert.ok(axes.labels.includes('1e-5'), JSON.stringify(axes.labels));
  assert.ok(axes.minor.length > 0 && axes.minor.every((v) => [2, 5].includes(Number((v / 10 ** Math.floor(Math.log10(v))).toPrecision(3)))), JSON.stringify(axes.minor));
  assert.deepEqual(problems, []);
  await context.close();
});

test('reference-line labels dodge the points; timed medians show their quartiles', async () => {
  const { context, page, problems } = await openPage(env.browser, `${env.server.url}?panel=attention`);
  await waitReady(page);
  const r = await page.evaluate(async () => {
    const { LogLogChart } = await import('./app/chart.js');
    const box = document.createElement('div');
    box.style.width = '700px';
    document.body.append(box);
    const chart = new LogLogChart(box, { xLabel: 'B', yLabel: 'rank', fit: false, spread: true });
    // A point right where the first row of a label at B = 2 would go.
    [[1, 10], [1.5, 30], [2, 1000], [2.5, 1100], [3, 1200]].forEach(([x, y]) => chart.add('polynomial', x, y, { method: 'polynomial', q1_ms: y * 0.9, q3_ms: y * 1.1 }));
    chart.setRefLines([{ x: 2, label: 'B = √ln n = 2.00' }]);
    chart.plot.redraw();
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return { labels: chart.refLabels, points: chart.refPoints };
  });
  assert.equal(r.labels.length, 1);
  const b = r.labels[0].box;
  for (const [x, y] of r.points) assert.ok(!(x >= b.x0 - 2 && x <= b.x1 + 2 && y >= b.y0 - 2 && y <= b.y1 + 2), `label ${JSON.stringify(b)} covers the point at ${x}, ${y}`);
  assert.deepEqual(problems, []);
  await context.close();
});
