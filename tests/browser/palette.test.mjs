// Series colours: a method keeps its colour and dash whatever is ticked beside
// it, in every chart (web/app/palette.js through web/app/chart.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, waitReady, sharedBrowser } from './helpers.mjs';

const env = sharedBrowser({ isolate: false });

test('flash is drawn in the same colour and dash alone, after exact, and in any chart', async () => {
  const { context, page, problems } = await openPage(env.browser, `${env.server.url}?panel=attention`);
  await waitReady(page);
  const styles = await page.evaluate(async () => {
    const { LogLogChart } = await import('./app/chart.js');
    const draw = (names) => {
      const box = document.createElement('div');
      box.style.width = '600px';
      document.body.append(box);
      const chart = new LogLogChart(box, { xLabel: 'n', yLabel: 'ms' });
      for (const m of names) for (const n of [256, 512]) chart.add(m, n, n / 100, { method: m });
      const k = chart.plot.series.findIndex((s) => s.label.startsWith('flash'));
      const s = chart.plot.series[k];
      const stroke = typeof s.stroke === 'function' ? s.stroke(chart.plot, k) : s.stroke;
      box.remove();
      return { stroke, dash: JSON.stringify(s.dash ?? []) };
    };
    return [draw(['flash']), draw(['exact', 'flash']), draw(['linear', 'exact', 'polynomial', 'flash'])];
  });
  assert.deepEqual(styles[1], styles[0]);
  assert.deepEqual(styles[2], styles[0]);
  assert.equal(styles[0].stroke.toLowerCase(), '#d55e00');
  assert.deepEqual(problems, []);
  await context.close();
});
