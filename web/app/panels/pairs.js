// "Pair search": exact and heuristic most-similar-pair search, time and recall
// vs n, on easy planted instances (turn ρ down and watch the heuristics lose
// the pair or do quadratic work) and on OV-hard ones.
import { mountSweep } from '../sweep.js';
import { estimatePairs } from '../plan.js';
import { panelEntry } from '../catalog.js';
import { measuredCrossover } from '../fit.js';
import { $ } from '../ui.js';

const N_CHOICES = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
const REFERENCE_MAX_N = 4096; // double precision, all pairs, no SIMD
const GENERATORS = [
  ['planted', 'planted pair, Gaussian (easy when ρ is high)'],
  ['planted_sparse', 'planted pair, sparse 0/1'],
  ['ovhard', 'OV-hard 0/1 (unique best pair by a small margin)'],
];

function percent(x) {
  return `${(100 * x).toFixed(x > 0 && x < 0.01 ? 2 : 0)} %`;
}

/** "2 of 3": instances are few, a count says it plainly. */
export function foundText(r) {
  const seeds = r.seeds ?? r.instances;
  return Number.isInteger(seeds) && seeds > 0 ? `${Math.round(r.found_best * seeds)} of ${seeds} instances` : `${percent(r.found_best)} of instances`;
}

const seriesMaps = (chart) => new Map([...chart.series].map(([name, pts]) => [name, new Map([...pts].map(([x, p]) => [x, p.y]))]));

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
    y2: { key: 'found_best', label: 'best pair found (share of instances)', logY: false, fit: false, fitLast: 0, range: [0, 1.05] },
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
        parts.push(`${m}: found the best pair in ${foundText(r)} at n = ${r.n.toLocaleString('en')}, ` +
          `computing ${Number.isFinite(work) ? percent(work) : '?'} of the ${r.total_pairs.toLocaleString('en')} pairs`);
      }
      // Where a hashing method overtakes the exact one, as measured.
      const series = seriesMaps(chart);
      const exact = ['gram', 'bitset'].find((m) => series.has(m));
      const cross = [];
      for (const h of ['simhash', 'minhash']) {
        if (!exact || !series.has(h)) continue;
        const x = measuredCrossover(series.get(exact), series.get(h));
        cross.push(x ? `${h} is faster than ${exact} from n = ${x.toLocaleString('en')} on` : `${h} has not overtaken ${exact} in the measured range`);
      }
      const crossText = cross.length ? ` ${cross.join('; ')} (measured).` : '';
      return parts.length ? `${parts.join('; ')}.${crossText} 1 means time ∝ n, 2 means ∝ n².` : '1 means time ∝ n, 2 means ∝ n².';
    },
  });
  // The planted pair's correlation means nothing for OV-hard instances.
  const form = $('#pairs-form');
  const syncRho = () => {
    form.elements.prho.disabled = form.elements.pgen.value === 'ovhard';
    form.elements.prho.closest('label').title = form.elements.prho.disabled
      ? 'OV-hard instances have no planted pair: ρ does not apply' : 'correlation of the planted pair; the rest are independent';
  };
  form.addEventListener('change', syncRho);
  syncRho();
  if (state.autorun && state.panel === 'pairs') sweep.run();
}
