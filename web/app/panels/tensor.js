// "Tensor attention": triple-wise attention (cpp/tensor/) — time vs n for the
// cubic exact kernel, 2-simplicial windows and the polynomial method (our
// reconstruction); the polynomial method's error vs B for tensor and matrix
// attention at equal rank on nonnegative inputs, with ∛ln n and √ln n marked;
// and Match3 accuracy vs n, one hand-set tensor layer against a one-layer
// matrix-attention baseline, both checked against brute force. Every caption
// is written from the records.
import { mountSweep } from '../sweep.js';
import { estimateTensor, estimateTensorThreshold, estimateMatch3 } from '../plan.js';
import { panelEntry } from '../catalog.js';
import { $ } from '../ui.js';

const N_CHOICES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
const EXACT_MAX_N = 1024; // the cubic kernel: n = 1,024 is seconds, 4,096 minutes
const B_CHOICES = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4];
const MATCH3_N = [4, 6, 8, 12, 16, 24, 32, 48]; // the automatic M stays below 2,048 up to n = 53

const fmtN = (n) => n.toLocaleString('en');

export function mountTensor({ client, info, methods, state, saveState }) {
  if (!methods.tensor?.length) {
    const note = $('#tensor-missing');
    note.hidden = false;
    note.textContent = 'This build has no tensor-attention kernels, so there is nothing to measure here.';
    return;
  }
  const title = panelEntry('tensor').title;
  const timed = methods.tensor.filter((m) => m.name !== 'reference');
  const time = mountSweep({
    id: 'tensor',
    label: `${title} time sweep`,
    estimate: estimateTensor,
    mount: $('#tensor-sweep'),
    client, info, state, saveState,
    suite: 'tensor',
    methods: timed,
    methodsKey: 'xmethods',
    x: { key: 'n', label: 'n (tokens)', choices: N_CHOICES, minKey: 'xnmin', maxKey: 'xnmax' },
    y: { key: 'median_ms', label: 'median time (ms)' },
    y2: { key: 'error', label: 'relative error vs the triple loop', logY: true, fit: false },
    fitLast: 3,
    seriesName: (r) => (r.method === 'windowed' ? `windowed w1=${r.w1}, w2=${r.w2}` : r.method === 'polynomial' ? `polynomial g=${r.degree}` : r.method),
    controls: [
      { stateKey: 'xd', label: 'd (head width)', type: 'number' },
      { stateKey: 'xdegree', label: 'degree g (polynomial)', type: 'number' },
      { stateKey: 'xthreads', label: 'threads', type: 'threads' },
    ],
    request: (method, n, s) => {
      if (method === 'exact' && n > EXACT_MAX_N) return { skip: `exact beyond n = ${fmtN(EXACT_MAX_N)} (cubic)` };
      const r = { suite: 'tensor', method, n, d: s.xd, threads: s.xthreads, min_ms: 100, check_rows: 2, vs: 'none' };
      if (method === 'windowed') Object.assign(r, { causal: true, w1: 512, w2: 32 });
      if (method === 'polynomial') Object.assign(r, { degree: s.xdegree, dist: 'nonnegative' });
      return r;
    },
    caption: (chart, records) => {
      const exact = records.filter((r) => r.method === 'exact').sort((a, b) => a.n - b.n);
      const poly = records.filter((r) => r.method === 'polynomial').sort((a, b) => a.n - b.n);
      let text = '3 means time ∝ n³ (exact), 1 means ∝ n (windowed with fixed windows, polynomial).';
      const faster = poly.find((p) => exact.some((e) => e.n === p.n && p.median_ms < e.median_ms));
      if (faster) text += ` The polynomial method (rank ${faster.rank}) is faster than exact from n = ${fmtN(faster.n)} measured here; its error there is ${faster.error?.toExponential(1) ?? '—'} (nonnegative entries in [0, 1]).`;
      else if (poly.length && exact.length) text += ' The polynomial method was not faster than exact at any n measured here.';
      return text;
    },
  });

  const threshold = mountSweep({
    id: 'tensor-threshold',
    label: `${title} error-vs-B sweep`,
    estimate: estimateTensorThreshold,
    mount: $('#tensor-threshold-sweep'),
    client, info, state, saveState,
    suite: 'tensor_threshold',
    methods: [
      { name: 'tensor', summary: 'tensor attention, polynomial method: scores up to scale·d·B³' },
      { name: 'matrix', summary: 'matrix attention on Q, K1, V1, polynomial method at the same degree (equal rank): scores up to scale·d·B²' },
    ],
    methodsKey: 'xemethods',
    x: { key: 'B', label: 'B (entries in [0, B])', choices: B_CHOICES, minKey: 'xeBmin', maxKey: 'xeBmax', format: (v) => String(v) },
    y: { key: 'error', label: 'relative error vs exact', range: [1e-8, 10] },
    fit: false,
    fitLast: 0,
    seriesName: (r) => `${r.method} g=${r.degree} (rank ${r.rank})`,
    controls: [
      { stateKey: 'xen', label: 'n', type: 'number' },
      { stateKey: 'xed', label: 'd', type: 'number' },
      { stateKey: 'xedegree', label: 'degree g', type: 'number' },
      { stateKey: 'xethreads', label: 'threads', type: 'threads' },
    ],
    request: (layer, B, s) => ({ suite: 'tensor_threshold', layer, n: s.xen, d: s.xed, B, degree: s.xedegree,
      threads: s.xethreads, scale: 'inv_d', min_ms: 0, check_rows: 8 }),
    refLines: (chart, s) => {
      const ln = Math.log(s.xen);
      return [
        { x: Math.cbrt(ln), label: `∛ln n = ${Math.cbrt(ln).toFixed(2)}` },
        { x: Math.sqrt(ln), label: `√ln n = ${Math.sqrt(ln).toFixed(2)}` },
      ];
    },
    caption: (chart, records) => {
      const cliff = (layer) => {
        const rs = records.filter((r) => r.method === layer && Number.isFinite(r.error)).sort((a, b) => a.B - b.B);
        const bad = rs.find((r) => r.error >= 1e-2);
        return bad ? `from B = ${bad.B} (error ${bad.error.toExponential(1)}, R = ${bad.R.toFixed(2)})` : rs.length ? 'nowhere measured' : null;
      };
      const t = cliff('tensor'), m = cliff('matrix');
      if (!t && !m) return 'Both use the same degree g, hence the same rank C(d+g, g).';
      return `Error ≥ 1e-2: tensor ${t ?? '—'}; matrix ${m ?? '—'}. At a fixed degree the cliff sits where the score range R outgrows what g covers: B³ for tensor, B² for matrix attention, so tensor falls off at smaller B once B > 1 (below 1 the trilinear scores are the smaller ones). The lines mark ∛ln n and √ln n, where the theorems put the thresholds for almost linear time as n grows; at one fixed g and n this chart shows their order, not their constants.`;
    },
  });

  const match3 = mountSweep({
    id: 'tensor-match3',
    label: `${title} Match3 sweep`,
    estimate: estimateMatch3,
    mount: $('#tensor-match3-sweep'),
    client, info, state, saveState,
    suite: 'match3',
    methods: [
      { name: 'tensor', summary: 'one tensor-attention layer, width 4 (hand-set)' },
      { name: 'matrix', summary: 'one matrix-attention layer, width 2: finds the triples with j = k' },
    ],
    methodsKey: 'xmmethods',
    x: { key: 'n', label: 'n (tokens)', choices: MATCH3_N, minKey: 'xmnmin', maxKey: 'xmnmax' },
    y: { key: 'accuracy', label: 'accuracy vs brute force', range: [0, 1.05] },
    logY: false,
    fit: false,
    fitLast: 0,
    controls: [
      { stateKey: 'xminstances', label: 'instances per n', type: 'number' },
      { stateKey: 'xmthreads', label: 'threads', type: 'threads' },
    ],
    request: (layer, n, s) => ({ suite: 'match3', layer, n, instances: s.xminstances, threads: s.xmthreads, min_ms: 0 }),
    caption: (chart, records) => {
      const tensor = records.filter((r) => r.method === 'tensor');
      const matrix = records.filter((r) => r.method === 'matrix').sort((a, b) => a.n - b.n);
      if (!tensor.length && !matrix.length) return '';
      const parts = [];
      if (tensor.length) {
        const worst = tensor.reduce((a, b) => (b.accuracy < a.accuracy ? b : a));
        parts.push(worst.accuracy === 1 ? `The tensor layer answered every position right (${tensor.reduce((s, r) => s + r.positions, 0).toLocaleString('en')} positions)`
          : `The tensor layer's worst accuracy: ${(100 * worst.accuracy).toFixed(1)} % at n = ${worst.n}`);
      }
      if (matrix.length) {
        const last = matrix[matrix.length - 1];
        parts.push(`the matrix baseline ${(100 * last.accuracy).toFixed(1)} % at n = ${last.n} (${(100 * last.positive_rate).toFixed(0)} % of positions positive, ${last.false_positives} false positives)`);
      }
      return `${parts.join('; ')}. M = round(n(n+1)/(2 ln 2)) keeps about half the positions positive, so 50 % is what always answering “no” scores.`;
    },
  });
  if (state.autorun && state.panel === 'tensor') {
    if (state.run === 'tensor-threshold') threshold.run();
    else if (state.run === 'tensor-match3') match3.run();
    else time.run();
  }
}
