// "Kernel graphs": the Gaussian kernel family (cpp/kernel/). Three sweeps —
// time vs n (exact, polynomial, fgt), the polynomial's rank and speed-up over
// exact as B = diam²/h² grows across B = ln n, fgt's time vs d — and a demo:
// a 2-D cloud labelled from a few seeds by Laplacian solves, drawn as points.
// Every caption is written from the records.
import { mountSweep } from '../sweep.js';
import { estimateKernel } from '../plan.js';
import { pickOptions } from '../schema.js';
import { panelEntry } from '../catalog.js';
import { COLORS } from '../palette.js';
import { $, el, fmt, showError, runWithProgress, runControls, copyLinkButton } from '../ui.js';

const N_CHOICES = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144];
const B_CHOICES = [0.25, 0.5, 1, 2, 4, 6, 8, 10, 12, 16, 24, 32];
const D_CHOICES = [1, 2, 3, 4, 5, 6, 7, 8];
const EXACT_MAX_N = 65536; // n² pairs: 4.3e9 at 65,536 (seconds); past it the sweep skips exact

/** The kernel suite's request for one point: the method gets only the options it takes. */
function kernelRequest(method, shape, options) {
  return { suite: 'kernel', method, ...shape, min_ms: 30, check_rows: 8, threads: options.threads,
    ...pickOptions('kernel', method, { error: options.error }) };
}

/** Where the polynomial method starts to beat exact in a time-vs-n sweep (from the records). */
export function kernelTimeCaption(records) {
  const at = (m) => new Map(records.filter((r) => r.method === m).map((r) => [r.n, r.median_ms]));
  const exact = at('exact'), poly = at('polynomial'), fgt = at('fgt');
  if (!records.length) return 'Slopes: 1 means time ∝ n, 2 means ∝ n². B and d are fixed; the rank does not grow with n.';
  const parts = [];
  const both = [...poly.keys()].filter((n) => exact.has(n)).sort((a, b) => a - b);
  if (both.length) {
    const first = both.find((n) => poly.get(n) < exact.get(n));
    parts.push(first === undefined
      ? `polynomial was slower than exact at every n measured (up to ${both.at(-1).toLocaleString('en')})`
      : first === both[0]
        ? `polynomial was faster than exact from the smallest n measured (${first.toLocaleString('en')})`
        : `polynomial overtook exact at n = ${first.toLocaleString('en')} (measured crossover)`);
  }
  const fgtBoth = [...fgt.keys()].filter((n) => exact.has(n)).sort((a, b) => a - b);
  if (fgtBoth.length) {
    const n = fgtBoth.at(-1);
    parts.push(`fgt / exact at n = ${n.toLocaleString('en')}: ${fmt(fgt.get(n) / exact.get(n), 3)}×`);
  }
  const r = records.find((x) => x.method === 'polynomial');
  if (r) parts.push(`polynomial at B ≤ ${fmt(r.B_bound, 3)}: degree ${r.degree}, rank ${r.rank.toLocaleString('en')}, δ = ${r.delta.toExponential(1)}`);
  return `${parts.join('; ')}.`;
}

/** Where the polynomial's speed-up over exact vanishes in a B sweep, against ln n (from the records). */
export function kernelBCaption(records, n) {
  const rs = records.filter((r) => Number.isFinite(r.speedup)).sort((a, b) => a.B - b.B);
  const ln = Math.log(n);
  if (!rs.length) return `B = ln n = ${fmt(ln, 3)} is marked: the theory puts the end of the speed-up there.`;
  const lastWin = [...rs].reverse().find((r) => r.speedup >= 1);
  const firstLoss = rs.find((r) => r.speedup < 1);
  let where;
  if (!firstLoss) where = `polynomial stayed faster than exact up to B = ${rs.at(-1).B} (speed-up ${fmt(rs.at(-1).speedup, 2)}×)`;
  else if (!lastWin) where = `polynomial was slower than exact from the smallest B measured (${rs[0].B})`;
  else where = `the speed-up over exact vanished between B = ${lastWin.B} (${fmt(lastWin.speedup, 2)}×) and B = ${firstLoss.B} (${fmt(firstLoss.speedup, 2)}×)`;
  const a = rs[0], b = rs.at(-1);
  return `At n = ${n.toLocaleString('en')} (ln n = ${fmt(ln, 3)}): ${where}; the degree went from ${a.degree} to ${b.degree} ` +
    `(rank ${a.rank.toLocaleString('en')} → ${b.rank.toLocaleString('en')}).`;
}

/** fgt's growth per dimension (from the records). */
export function kernelDCaption(records) {
  const f = records.filter((r) => r.method === 'fgt').sort((a, b) => a.d - b.d);
  if (f.length < 2) return 'fgt keeps C(p+d, d) Taylor terms per cluster: exponential in d. exact does not care about d.';
  const a = f[0], b = f.at(-1);
  const per = Math.pow(b.median_ms / a.median_ms, 1 / (b.d - a.d));
  const exact = new Map(records.filter((r) => r.method === 'exact').map((r) => [r.d, r.median_ms]));
  const loses = f.find((r) => exact.has(r.d) && r.median_ms > exact.get(r.d));
  return `fgt: ${fmt(a.median_ms, 3)} ms at d = ${a.d} → ${fmt(b.median_ms, 3)} ms at d = ${b.d}, ×${fmt(per, 2)} per dimension ` +
    `(${a.terms.toLocaleString('en')} → ${b.terms.toLocaleString('en')} terms per cluster)` +
    (loses ? `; slower than exact from d = ${loses.d}.` : '.');
}

function mountTimeSweep({ client, info, methods, state, saveState }) {
  const sweep = mountSweep({
    id: 'kernel',
    label: `${panelEntry('kernel').title} time sweep`,
    estimate: estimateKernel,
    mount: $('#kernel-sweep'),
    client, info, state, saveState,
    suite: 'kernel',
    methods: methods.kernel.filter((m) => ['exact', 'polynomial', 'fgt'].includes(m.name)),
    methodsKey: 'kmethods',
    x: { key: 'n', label: 'n (points)', choices: N_CHOICES, minKey: 'knmin', maxKey: 'knmax' },
    y: { key: 'median_ms', label: 'median time (ms)' },
    y2: { key: 'error_l1', label: 'error |Aw − ỹ|∞ / ‖w‖₁ (sampled rows)', logY: true, fit: false },
    controls: [
      { stateKey: 'kd', label: 'd', type: 'number' },
      { stateKey: 'kB', label: 'B = diam²/h²', type: 'number' },
      { stateKey: 'kerror', label: 'error δ (polynomial, fgt)', type: 'number' },
      { stateKey: 'kthreads', label: 'threads', type: 'threads' },
    ],
    request: (method, n, s) => (method === 'exact' && n > EXACT_MAX_N
      ? { skip: `exact above n = ${EXACT_MAX_N.toLocaleString('en')}` }
      : kernelRequest(method, { n, d: s.kd, B: s.kB }, { threads: s.kthreads, error: s.kerror })),
    caption: (chart, records) => kernelTimeCaption(records || []),
  });
  if (state.autorun && state.panel === 'kernel' && state.run === 'kernel') sweep.run();
}

function mountBSweep({ client, info, methods, state, saveState }) {
  const sweep = mountSweep({
    id: 'kernelB',
    label: `${panelEntry('kernel').title} B sweep`,
    estimate: estimateKernel,
    mount: $('#kernel-B-sweep'),
    client, info, state, saveState,
    suite: 'kernel',
    methods: methods.kernel.filter((m) => m.name === 'polynomial'),
    methodsKey: 'kbmethods',
    x: { key: 'B', label: 'B = diam²/h²', choices: B_CHOICES, minKey: 'kBmin', maxKey: 'kBmax', format: (v) => String(v) },
    y: { key: 'rank', label: 'rank C(d+2+g, g) the error needs' },
    y2: { key: 'speedup', label: 'speed-up over exact (time ratio)', fit: false, fitLast: 0 },
    fit: false,
    fitLast: 0,
    controls: [
      { stateKey: 'kbn', label: 'n', type: 'number' },
      { stateKey: 'kbd', label: 'd', type: 'number' },
      { stateKey: 'kberror', label: 'error δ', type: 'number' },
      { stateKey: 'kbthreads', label: 'threads', type: 'threads' },
    ],
    request: (method, B, s) => ({ ...kernelRequest(method, { n: s.kbn, d: s.kbd, B }, { threads: s.kbthreads, error: s.kberror }),
      compare_exact: true, check_rows: 4 }),
    refLines: (chart, s) => [{ x: Math.log(s.kbn), label: `B = ln n = ${fmt(Math.log(s.kbn), 3)}` }],
    caption: (chart, records) => kernelBCaption(records || [], state.kbn),
  });
  if (state.autorun && state.panel === 'kernel' && state.run === 'kernelB') sweep.run();
}

function mountDSweep({ client, info, methods, state, saveState }) {
  const sweep = mountSweep({
    id: 'kernelD',
    label: `${panelEntry('kernel').title} fgt-vs-d sweep`,
    estimate: estimateKernel,
    mount: $('#kernel-d-sweep'),
    client, info, state, saveState,
    suite: 'kernel',
    methods: methods.kernel.filter((m) => ['fgt', 'exact'].includes(m.name)),
    methodsKey: 'kfmethods',
    x: { key: 'd', label: 'd (dimension)', choices: D_CHOICES, minKey: 'kfdmin', maxKey: 'kfdmax', format: (v) => String(v) },
    y: { key: 'median_ms', label: 'median time (ms)' },
    fit: false,
    fitLast: 0,
    controls: [
      { stateKey: 'kfn', label: 'n', type: 'number' },
      { stateKey: 'kfB', label: 'B = diam²/h²', type: 'number' },
      { stateKey: 'kferror', label: 'error δ (fgt)', type: 'number' },
      { stateKey: 'kfthreads', label: 'threads', type: 'threads' },
    ],
    request: (method, d, s) => kernelRequest(method, { n: s.kfn, d, B: s.kfB }, { threads: s.kfthreads, error: s.kferror }),
    caption: (chart, records) => kernelDCaption(records || []),
  });
  if (state.autorun && state.panel === 'kernel' && state.run === 'kernelD') sweep.run();
}

// ---- the demo: labels on a 2-D cloud by Laplacian solves ----------------------

const LABEL_COLORS = [COLORS.blue, COLORS.vermillion, COLORS.green, COLORS.purple, COLORS.orange, COLORS.sky];

function drawCloud(canvas, record) {
  const ctx = canvas.getContext('2d');
  const { X, labels, truth, seeds } = record;
  const n = labels.length;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, X[2 * i]);
    x1 = Math.max(x1, X[2 * i]);
    y0 = Math.min(y0, X[2 * i + 1]);
    y1 = Math.max(y1, X[2 * i + 1]);
  }
  const w = canvas.width, h = canvas.height, pad = 12;
  const s = Math.min((w - 2 * pad) / (x1 - x0 || 1), (h - 2 * pad) / (y1 - y0 || 1));
  const px = (i) => [pad + (X[2 * i] - x0) * s, h - pad - (X[2 * i + 1] - y0) * s];
  ctx.clearRect(0, 0, w, h);
  for (let i = seeds; i < n; i++) {
    const [a, b] = px(i);
    ctx.fillStyle = LABEL_COLORS[labels[i] % LABEL_COLORS.length];
    ctx.globalAlpha = labels[i] === truth[i] ? 0.75 : 1;
    ctx.beginPath();
    if (labels[i] === truth[i]) ctx.arc(a, b, 2.2, 0, 2 * Math.PI);
    else ctx.rect(a - 3, b - 3, 6, 6); // a point labelled against its cluster: a square
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  const fg = getComputedStyle(canvas).color || '#000';
  for (let i = 0; i < seeds; i++) { // the seeds: large, outlined
    const [a, b] = px(i);
    ctx.fillStyle = LABEL_COLORS[truth[i] % LABEL_COLORS.length];
    ctx.strokeStyle = fg;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.arc(a, b, 6, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
}

function mountDemo({ client, state, saveState }) {
  const mount = $('#kernel-demo');
  const form = el('form', { id: 'kernel-demo-form', class: 'controls', autocomplete: 'off' });
  const nInput = el('input', { name: 'kgn', type: 'number', min: 100, max: 5000, step: 1, required: true, value: String(state.kgn) });
  const seedsInput = el('input', { name: 'kgseeds', type: 'number', min: 1, max: 50, step: 1, required: true, value: String(state.kgseeds) });
  const product = el('select', { name: 'kgproduct' },
    ...['exact', 'fgt', 'polynomial'].map((p) => el('option', { value: p }, p)));
  product.value = state.kgproduct;
  const ui = runControls('kernel-demo');
  ui.runButton.disabled = false;
  const read = () => {
    state.kgn = Number(nInput.value);
    state.kgseeds = Number(seedsInput.value);
    state.kgproduct = product.value;
    saveState();
  };
  form.addEventListener('change', read);
  form.append(el('label', {}, 'n (points) ', nInput), el('label', {}, 'seeds per cluster ', seedsInput),
    el('label', { title: 'the product every CG iteration uses' }, 'product ', product),
    el('div', { class: 'buttons' }, ui.runButton, ui.cancelButton, copyLinkButton({ id: 'kernel-demo-copy-link', state, read, run: 'kernel-demo' })));
  const canvas = el('canvas', { id: 'kernel-demo-canvas', width: 560, height: 420, class: 'cloud',
    'aria-label': 'the 2-D points coloured by the label the Laplacian solves gave them; seeds large and outlined, mislabelled points square' });
  const caption = el('p', { id: 'kernel-demo-caption', class: 'caption', 'aria-live': 'polite' },
    'Four Gaussian clusters in 2-D (B = 64, h = 1), a few seeds per cluster; each class c solves L z = 1_{S_c}/|S_c| − 1/n and every point takes the class of its largest potential.');
  mount.append(form, el('div', {}, ui.progress, ui.errorBox), canvas, caption);

  async function run() {
    read();
    if (!form.reportValidity()) return;
    showError(ui.errorBox, '');
    const request = { op: 'kernelLabels', n: state.kgn, seeds: state.kgseeds, product: state.kgproduct, clusters: 4, B: 64, sigma: 0.6 };
    await runWithProgress(client, [request], {
      ui,
      label: `${panelEntry('kernel').title} labels`,
      onRecord: (r) => {
        drawCloud(canvas, r);
        const its = r.solves.map((s) => s.iterations);
        const unconverged = r.solves.filter((s) => !s.converged).length;
        canvas.dataset.accuracy = String(r.accuracy);
        caption.textContent = `${(100 * r.accuracy).toFixed(1)} % of ${r.n.toLocaleString('en')} points labelled as their cluster from ` +
          `${r.seeds} seeds: ${r.solves.length} Laplacian solves through ${r.product} (CG iterations ${its.join(', ')}) in ${fmt(r.ms, 3)} ms` +
          (unconverged ? `; ${unconverged} solve${unconverged > 1 ? 's' : ''} stopped at the iteration cap without reaching the tolerance.` : '.') +
          (r.product !== 'exact' ? ` B here is far above ln n = ${fmt(Math.log(r.n), 3)}: the fast products lose to exact in this regime.` : '');
      },
    });
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  if (state.autorun && state.panel === 'kernel' && state.run === 'kernel-demo') run();
}

export function mountKernel(ctx) {
  if (!ctx.methods.kernel?.length) {
    const note = $('#kernel-missing');
    note.hidden = false;
    note.textContent = 'This build has no kernel-graph methods, so there is nothing to measure here.';
    return;
  }
  mountTimeSweep(ctx);
  mountBSweep(ctx);
  mountDSweep(ctx);
  mountDemo(ctx);
}
