// "Pair search": exact and heuristic most-similar-pair search, time and recall
// vs n, on easy planted instances (turn ρ down and watch the heuristics lose
// the pair or do quadratic work) and on OV-hard ones.
import { mountSweep } from '../sweep.js';
import { estimatePairs } from '../plan.js';
import { panelEntry } from '../catalog.js';
import { $ } from '../ui.js';

const N_CHOICES = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
const REFERENCE_MAX_N = 4096; // double precision, all pairs, no SIMD
const GENERATORS = [
  ['planted', 'planted pair, Gaussian (easy when ρ is high)'],
  ['planted_sparse', 'planted pair, sparse 0/1'],
  ['ovhard', 'OV-hard 0/1 (unique best pair by a small margin)'],
];

function percent(x) {
  return `${(100 * x).toFixed(x < 0.01 ? 2 : 0)} %`;
}

export function mountPairs({ client, info, methods, state, saveState }) {
  if (!methods.pairs?.length) {
    const note = $('#pairs-missing');
    note.hidden = false;
    note.textContent = 'This build has no pair-search kernels yet, so there is nothing to measure here.';
    return;
  }
  const binary = new Set(methods.pairs.filter((m) => m.binary).map((m) => m.name));
  const sweep = mountSweep({
    id: 'pairs',
    label: `${panelEntry('pairs').title} sweep`,
    estimate: estimatePairs,
    mount: $('#pairs-sweep'),
    client, info, state, saveState,
    suite: 'pairs',
    methods: methods.pairs,
    methodsKey: 'pmethods',
    x: { key: 'n', label: 'n (vectors)', choices: N_CHOICES, minKey: 'pnmin', maxKey: 'pnmax' },
    y: { key: 'median_ms', label: 'median time (ms)' },
    y2: { key: 'found_best', label: 'instances where the true best pair was found', logY: false, fit: false, fitLast: 0, range: [0, 1.05] },
    controls: [
      { stateKey: 'pgen', label: 'instances', type: 'select', options: GENERATORS },
      { stateKey: 'prho', label: 'planted ρ', type: 'range', min: 0, max: 1, step: 0.01,
        title: 'correlation of the planted pair; the rest are independent' },
      { stateKey: 'pd', label: 'd (dimensions)', type: 'number' },
      { stateKey: 'pseeds', label: 'instances per point', type: 'number' },
      { stateKey: 'pthreads', label: 'threads', type: 'threads' },
    ],
    request: (method, n, s) => {
      if (method === 'reference' && n > REFERENCE_MAX_N) {
        return { skip: `reference at n = ${n.toLocaleString('en')} (double precision, all pairs: too slow)` };
      }
      if (binary.has(method) && s.pgen === 'planted') {
        return { skip: `${method} needs 0/1 vectors (choose sparse or OV-hard instances)` };
      }
      return { suite: 'pairs', method, problem: 'msd', gen: s.pgen, n, d: s.pd, rho: s.prho, seeds: s.pseeds,
        threads: s.pthreads, min_ms: 50 };
    },
    caption: (chart, records) => {
      const last = new Map();
      for (const r of records) if (!last.has(r.method) || r.n > last.get(r.method).n) last.set(r.method, r);
      const parts = [];
      for (const [m, r] of last) {
        const work = r.total_pairs > 0 ? r.candidates / r.total_pairs : NaN;
        parts.push(`${m}: found the best pair in ${percent(r.found_best)} of instances at n = ${r.n.toLocaleString('en')}, ` +
          `computing ${Number.isFinite(work) ? percent(work) : '?'} of the ${r.total_pairs.toLocaleString('en')} pairs`);
      }
      return parts.length ? `${parts.join('; ')}. 1 means time ∝ n, 2 means ∝ n².` : '1 means time ∝ n, 2 means ∝ n².';
    },
  });
  if (state.autorun && state.panel === 'pairs') sweep.run();
}
