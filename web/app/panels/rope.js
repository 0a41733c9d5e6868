// "RoPE attention": rope_flash (exact), rope_polynomial (pre-rotation, then the
// polynomial method), positional_exact (exact, flash's tiles) and positional_fft
// (diagonal position matrices by the polynomial method + FFT) beside the dense
// references, time vs n, with the measured crossovers in the caption.
import { mountSweep } from '../sweep.js';
import { estimateAttention } from '../plan.js';
import { panelEntry } from '../catalog.js';
import { measuredCrossover } from '../fit.js';
import { pickOptions } from '../schema.js';
import { $ } from '../ui.js';

const N_CHOICES = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
const REFERENCE_MAX_N = 4096; // the O(n²d) double-precision references take seconds beyond

function seriesMaps(chart) {
  return new Map([...chart.series].map(([name, pts]) => [name, new Map([...pts].map(([x, p]) => [x, p.y]))]));
}

// "a is faster than b from n = x on" for the pairs the panel is about.
const PAIRS = [['rope_polynomial', 'rope_flash'], ['positional_fft', 'positional_exact']];

export function mountRope({ client, info, methods, state, saveState }) {
  const choices = (methods.attention ?? []).filter((m) => m.name.startsWith('rope_') || m.name.startsWith('positional_'));
  if (!choices.length) {
    const note = $('#rope-missing');
    note.hidden = false;
    note.textContent = 'This build has no RoPE or positional attention methods yet, so there is nothing to measure here.';
    return;
  }
  const sweep = mountSweep({
    id: 'rope',
    label: `${panelEntry('rope').title} sweep`,
    estimate: estimateAttention,
    mount: $('#rope-sweep'),
    client, info, state, saveState,
    suite: 'attention',
    methods: choices,
    methodsKey: 'rmethods',
    x: { key: 'n', label: 'n (tokens)', choices: N_CHOICES, minKey: 'rnmin', maxKey: 'rnmax' },
    y: { key: 'median_ms', label: 'median time (ms)' },
    controls: [
      { stateKey: 'rd', label: 'd (rope_*, even)', type: 'number' },
      { stateKey: 'rpd', label: 'd (positional_*)', type: 'number' },
      { stateKey: 'rdegree', label: 'degree g', type: 'number' },
      { stateKey: 'rlayout', label: 'RoPE pairs', type: 'select', options: [['interleaved', '(2t, 2t+1)'], ['half', '(t, t + d/2)']] },
      { stateKey: 'rthreads', label: 'threads', type: 'threads' },
    ],
    request: (method, n, s) => {
      if (method.endsWith('_reference') && n > REFERENCE_MAX_N)
        return { skip: `${method} at n = ${n.toLocaleString('en')} (the O(n²d) double-precision reference would take too long)` };
      const d = method.startsWith('positional_') ? s.rpd : s.rd;
      return { suite: 'attention', method, n, d, min_ms: 100, check_rows: 8,
        ...pickOptions('attention', method, { scale: 'inv_d', threads: s.rthreads, degree: s.rdegree,
          rope_layout: s.rlayout, rope_base: s.rbase }) };
    },
    caption: (chart) => {
      const series = seriesMaps(chart);
      let text = '2 means time ∝ n², 1 means ∝ n (n log n fits just above 1).';
      for (const [fast, slow] of PAIRS) {
        if (!series.has(fast) || !series.has(slow)) continue;
        const x = measuredCrossover(series.get(slow), series.get(fast));
        text += x ? ` ${fast} is faster than ${slow} from n = ${x.toLocaleString('en')} on (measured).`
          : ` ${fast} has not overtaken ${slow} in the measured range.`;
      }
      return text;
    },
    refLines: (chart) => {
      const series = seriesMaps(chart);
      const lines = [];
      for (const [fast, slow] of PAIRS) {
        if (!series.has(fast) || !series.has(slow)) continue;
        const x = measuredCrossover(series.get(slow), series.get(fast));
        if (x) lines.push({ x, label: `${fast} < ${slow}` });
      }
      return lines;
    },
  });
  if (state.autorun && state.panel === 'rope' && !['errors', 'rerrors'].includes(state.run)) sweep.run();
  mountRopeErrors({ client, info, methods: choices, state, saveState });
}

const B_CHOICES = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6];

// The same bounded-entry cliff for both fast methods: error vs B at a fixed
// degree, each against its own double-precision reference (sampled rows).
function mountRopeErrors({ client, info, methods, state, saveState }) {
  const fast = methods.filter((m) => m.name === 'rope_polynomial' || m.name === 'positional_fft');
  if (!fast.length) return;
  const sweep = mountSweep({
    id: 'rerrors',
    label: `${panelEntry('rope').title} error-vs-B sweep`,
    estimate: estimateAttention,
    mount: $('#rope-error-sweep'),
    client, info, state, saveState,
    suite: 'attention',
    methods: fast,
    methodsKey: 'remethods',
    x: { key: 'B', label: 'B (entries in [−B, B])', choices: B_CHOICES, minKey: 'rBmin', maxKey: 'rBmax', format: (v) => String(v) },
    y: { key: 'error', label: 'relative error vs its reference' },
    fit: false,
    fitLast: 0,
    seriesName: (r) => `${r.method} g=${r.degree ?? state.redegree}${r.pieces ? ` (${r.pieces.toLocaleString('en')} pieces)` : r.rank ? ` (rank ${r.rank.toLocaleString('en')})` : ''}`,
    controls: [
      { stateKey: 'ren', label: 'n', type: 'number' },
      { stateKey: 'red', label: 'd (rope_*, even)', type: 'number' },
      { stateKey: 'repd', label: 'd (positional_*)', type: 'number' },
      { stateKey: 'redegree', label: 'degree g', type: 'number' },
      { stateKey: 'rw', label: 'position weights', type: 'select', options: [['uniform', 'uniform in [−1, 1]'], ['smooth', 'smooth e^{−|Δ|/τ}·cos(Δθ)']] },
      { stateKey: 'rethreads', label: 'threads', type: 'threads' },
    ],
    request: (method, B, s) => {
      const d = method.startsWith('positional_') ? s.repd : s.red;
      return { suite: 'attention', method, n: s.ren, d, B, min_ms: 0, check_rows: 64,
        ...(method.startsWith('positional_') ? { w: s.rw } : {}),
        ...pickOptions('attention', method, { scale: 'inv_d', threads: s.rethreads, degree: s.redegree }) };
    },
    caption: (chart, records) => {
      const parts = [];
      for (const name of ['rope_polynomial', 'positional_fft']) {
        const rs = records.filter((r) => r.method === name).sort((a, b) => a.B - b.B);
        if (!rs.length) continue;
        const good = rs.filter((r) => r.error <= 1e-3).map((r) => r.B);
        const bad = rs.filter((r) => r.error >= 0.1).map((r) => r.B);
        parts.push(`${name} (g = ${rs[0].degree ?? state.redegree}): ` +
          (good.length ? `error ≤ 1e-3 up to B = ${Math.max(...good)}` : 'error above 1e-3 everywhere measured') +
          (bad.length ? `, ≥ 0.1 from B = ${Math.min(...bad)}` : ''));
      }
      return parts.length ? `${parts.join('; ')}. At a fixed degree the error jumps where B² outgrows g — the same cliff as the plain polynomial method.` : '';
    },
  });
  if (state.autorun && state.panel === 'rope' && ['errors', 'rerrors'].includes(state.run)) sweep.run();
}
