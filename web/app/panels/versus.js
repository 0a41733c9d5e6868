// "Attention vs subquadratic": the Alman–Yu construction solved by exact
// attention and attempted by the substitutes, accuracy and time vs n.
import { mountSweep } from '../sweep.js';
import { pickOptions } from '../schema.js';
import { estimateConstruction } from '../plan.js';
import { panelEntry } from '../catalog.js';
import { plainAttention } from './attention.js';
import { $ } from '../ui.js';

const N_CHOICES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];

export function mountVersus({ client, info, methods, state, saveState }) {
  const choices = [
    ...methods.attention.filter((m) => m.name !== 'exact_reference' && plainAttention(m)),
    { name: 'sketch_reader', summary: 'a recurrent reader with a fixed state (sketches of what it has read)' },
  ];
  const sweep = mountSweep({
    id: 'versus',
    label: `${panelEntry('versus').title} sweep`,
    estimate: estimateConstruction,
    mount: $('#versus-sweep'),
    client, info, state, saveState,
    suite: 'construction',
    methods: choices,
    methodsKey: 'vmethods',
    x: { key: 'n', label: 'n (documents per set)', choices: N_CHOICES, minKey: 'vnmin', maxKey: 'vnmax' },
    y: { key: 'accuracy', label: 'instances solved exactly', range: [0, 1.05] },
    logY: false,
    fit: false,
    fitLast: 0,
    y2: { key: 'median_ms', label: 'median time (ms)', fitLast: 3 },
    controls: [
      { stateKey: 'vl', label: 'ℓ (words)', type: 'number' },
      { stateKey: 'vbeta', label: 'β / ln n', type: 'number', title: 'the construction uses β = c·ln n; try 0.05 to see it fail' },
      { stateKey: 'vstate', label: 'reader state N', type: 'number' },
      { stateKey: 'vseeds', label: 'instances', type: 'number' },
      { stateKey: 'vdegree', label: 'polynomial degree g', type: 'number',
        title: 'the polynomial method has rank C(ℓ+g, g): at ℓ = 64, g = 2 gives 2,145 features, g = 4 gives 814,385' },
      { stateKey: 'vthreads', label: 'threads', type: 'threads' },
    ],
    request: (method, n, s) => ({ suite: 'construction', method, n, l: s.vl, beta: s.vbeta, state: s.vstate,
      seeds: s.vseeds, threads: s.vthreads, ...pickOptions('attention', method, { degree: s.vdegree }) }),
    caption: (chart, records) => {
      const byMethod = new Map();
      for (const r of records) {
        if (!byMethod.has(r.method)) byMethod.set(r.method, []);
        byMethod.get(r.method).push(r);
      }
      const parts = [];
      for (const [m, rs] of byMethod) {
        const last = rs.reduce((a, b) => (b.n > a.n ? b : a));
        const ratio = Number.isFinite(last.ratio) ? ` (its pairs reach ${last.ratio.toFixed(2)} of the optimum on average)` : '';
        parts.push(`${m} solves ${Math.round(100 * last.accuracy)} % at n = ${last.n.toLocaleString('en')}${ratio}`);
      }
      return parts.length ? `${parts.join('; ')}.` : '';
    },
  });
  if (state.autorun && state.panel === 'versus') sweep.run();
}
