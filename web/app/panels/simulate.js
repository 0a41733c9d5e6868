// "Large from small" (the simulate family; Yu & Alman, arXiv 2506.12220):
// length-N attention from calls to a length-M exact attention. One run shows
// the grid of oracle calls (from the record's call trace, in call order),
// calls made vs predicted, flops, time and error; the float32/float64 toggle
// shows the synthetic-token normaliser failing. A second form measures the
// sampled mode's error vs M on bounded data and with one planted needle.
import LIBRARY from '../library.js';
import { $, el, fmt, showError, runWithProgress, runControls, copyLinkButton, calibration } from '../ui.js';
import { LogLogChart } from '../chart.js';
import { styleFor } from '../palette.js';
import { estimateSimulate } from '../plan.js';

const N_CHOICES = [256, 512, 1024, 2048, 4096, 8192, 16384];
const SAMPLED_M = [16, 32, 64, 128, 256, 512];
const GRID_PX = 320;
const ANIMATE_MS = 1200;

/** The options `mode` takes, from the library's schema. */
function takes(mode, option) {
  return option in (LIBRARY.families.simulate?.methods?.[mode]?.options ?? {});
}

function field(label, control) {
  return el('label', {}, label, ' ', control);
}

/** "q0:rows:k0:keys …" → [[q0, rows, k0, keys], …] */
export function parseTrace(text) {
  if (!text) return [];
  return text.split(' ').map((c) => c.split(':').map(Number));
}

function textColour() {
  return getComputedStyle(document.documentElement).getPropertyValue('--fg').trim() || '#222';
}

/** Draws calls [0, upTo) of the trace on an N×N square (query rows down, keys across). */
function drawGrid(canvas, record, calls, upTo) {
  const ctx = canvas.getContext('2d');
  const n = record.n;
  const s = GRID_PX / n;
  ctx.clearRect(0, 0, GRID_PX, GRID_PX);
  // The block lattice of the oracle's length M.
  ctx.strokeStyle = 'rgba(128,128,128,0.35)';
  ctx.lineWidth = 1;
  if (n / record.M <= 128) {
    for (let x = 0; x <= n; x += record.M) {
      ctx.beginPath();
      ctx.moveTo(x * s, 0);
      ctx.lineTo(x * s, GRID_PX);
      ctx.moveTo(0, x * s);
      ctx.lineTo(GRID_PX, x * s);
      ctx.stroke();
    }
  }
  const style = styleFor(record.method);
  ctx.fillStyle = style.color === 'fg' ? textColour() : style.color;
  ctx.globalAlpha = 0.35;
  for (let k = 0; k < upTo; k++) {
    const [q0, rows, k0, keys] = calls[k];
    ctx.fillRect(k0 * s, q0 * s, Math.max(1, Math.min(keys, n - k0) * s), Math.max(1, rows * s));
  }
  ctx.globalAlpha = 1;
  canvas.dataset.drawn = String(upTo);
}

export function mountSimulate({ client, info, methods, state, saveState }) {
  if (!methods.simulate?.length || !LIBRARY.families.simulate) {
    const note = $('#simulate-missing');
    note.hidden = false;
    note.textContent = 'This build has no simulate family, so there is nothing to run here.';
    return;
  }
  const env = { info, get peakGflops() { return calibration.gflops; }, cost: (fn, ...args) => client.call(fn, ...args) };

  // ---- one run: the grid, the counters ----------------------------------------
  const ui = runControls('simulate');
  const modes = methods.simulate.map((m) => m.name);
  const mode = el('select', { name: 'simmode', id: 'simulate-mode' }, ...modes.map((m) => el('option', { value: m }, m)));
  const nSel = el('select', { name: 'simn', id: 'simulate-n' }, ...N_CHOICES.map((n) => el('option', { value: String(n) }, n.toLocaleString('en'))));
  const dIn = el('input', { type: 'number', name: 'simd', id: 'simulate-d', min: '1', max: '256', step: '1' });
  const mSlider = el('input', { type: 'range', name: 'simMlog', id: 'simulate-M', min: '1', max: '14', step: '1' });
  const mOut = el('output', { id: 'simulate-M-value' });
  const causal = el('input', { type: 'checkbox', name: 'simcausal', id: 'simulate-causal' });
  const rIn = el('input', { type: 'number', name: 'simr', id: 'simulate-window', min: '1', step: '1' });
  const sIn = el('input', { type: 'number', name: 'sims', id: 'simulate-sinks', min: '1', step: '1' });
  const prec = el('select', { name: 'simprec', id: 'simulate-precision' }, el('option', { value: 'float32' }, 'float32'), el('option', { value: 'float64' }, 'float64'));
  const bIn = el('input', { type: 'number', name: 'simB', id: 'simulate-B', min: '0.05', max: '16', step: '0.05' });
  const scale = el('select', { name: 'simscale', id: 'simulate-scale' },
    el('option', { value: 'sqrt' }, '1/√d (practice)'), el('option', { value: '1' }, '1 (the paper: unscaled)'));
  const threads = el('input', { type: 'number', name: 'simthreads', id: 'simulate-threads', min: '0', max: String(info.threads || 1), step: '1' });
  const form = el('form', { id: 'simulate-form', class: 'controls' },
    field('mode', mode), field('N', nSel), field('d', dIn),
    field('M', mSlider), mOut,
    field('causal', causal), field('window r', rIn), field('sinks s', sIn),
    field('precision', prec), field('entries uniform in ±B, B =', bIn), field('scale', scale), field('threads', threads),
    ui.runButton, ui.cancelButton);
  const canvas = el('canvas', { id: 'simulate-grid', width: String(GRID_PX), height: String(GRID_PX),
    'aria-label': 'oracle calls: query rows down, keys across; each call a rectangle' });
  const counters = el('dl', { id: 'simulate-counters', class: 'counters' });
  const caption = el('p', { id: 'simulate-caption', class: 'caption' },
    'Run to see the calls light up: each rectangle is one oracle call (its query rows down, its keys across).');
  $('#simulate-one').replaceChildren(form, ui.progress, ui.errorBox, ui.note,
    el('div', { class: 'simulate-view', style: 'display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start' }, canvas, counters), caption);

  const mOf = () => 2 ** Number(mSlider.value);
  const sync = () => {
    const m = mode.value;
    const n = Number(nSel.value);
    mSlider.max = String(Math.log2(n));
    mOut.value = `M = ${mOf().toLocaleString('en')} (N/M = ${fmt(n / mOf())})`;
    causal.disabled = !takes(m, 'causal');
    rIn.disabled = !takes(m, 'window');
    sIn.disabled = !takes(m, 'sinks');
  };
  const read = () => {
    state.simmode = mode.value;
    state.simn = Number(nSel.value);
    state.simd = Number(dIn.value);
    state.simM = mOf();
    state.simcausal = causal.checked;
    state.simr = Number(rIn.value);
    state.sims = Number(sIn.value);
    state.simprec = prec.value;
    state.simB = Number(bIn.value);
    state.simscale = scale.value;
    state.simthreads = Number(threads.value);
    saveState();
  };
  mode.value = modes.includes(state.simmode) ? state.simmode : modes[0];
  nSel.value = String(N_CHOICES.includes(state.simn) ? state.simn : 2048);
  dIn.value = String(state.simd);
  mSlider.max = String(Math.log2(Number(nSel.value)));
  mSlider.value = String(Math.max(1, Math.round(Math.log2(state.simM))));
  causal.checked = !!state.simcausal;
  rIn.value = String(state.simr);
  sIn.value = String(state.sims);
  prec.value = state.simprec;
  bIn.value = String(state.simB);
  scale.value = state.simscale === '1' ? '1' : 'sqrt';
  threads.value = String(state.simthreads);
  sync();
  form.addEventListener('input', sync);
  form.addEventListener('change', () => {
    sync();
    read();
  });
  ui.cancelButton.after(copyLinkButton({ id: 'simulate-copy-link', state, read, run: 'simulate' }));

  let animation = 0;
  function show(r) {
    const calls = parseTrace(r.trace);
    cancelAnimationFrame(animation);
    const t0 = performance.now();
    const step = () => {
      const upTo = Math.min(calls.length, Math.ceil(calls.length * (performance.now() - t0) / ANIMATE_MS));
      drawGrid(canvas, r, calls, upTo);
      if (upTo < calls.length) animation = requestAnimationFrame(step);
    };
    step();
    const direct = 4 * r.n * r.n * r.d;
    const err = r.error === null || r.error === undefined ? Infinity : r.error;
    const rows = [
      ['oracle calls made', r.calls.toLocaleString('en')],
      ['predicted by the construction', r.calls_predicted.toLocaleString('en')],
      ['oracle length M', r.M.toLocaleString('en')],
      ['flops in the calls', `${fmt(r.flops / 1e9)} GFLOP = ${fmt(r.flops / direct)} × 4N²d`],
      ['time (whole simulation)', `${fmt(r.median_ms)} ms`],
      ...(r.direct_median_ms ? [['direct flash', `${fmt(r.direct_median_ms)} ms (ratio ${fmt(r.over_direct)})`]] : []),
      [`max rel. error vs ${r.error_against}`, Number.isFinite(err) ? fmt(err, 2) : 'not finite'],
      ...(r.failures ? [['failures', r.failures.toLocaleString('en')]] : []),
    ];
    counters.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
    counters.dataset.calls = String(r.calls);
    counters.dataset.predicted = String(r.calls_predicted);
    counters.dataset.error = String(err);
    const traced = calls.length < r.calls ? ` (the first ${calls.length.toLocaleString('en')} drawn)` : '';
    let text = `${r.method} at N = ${r.n.toLocaleString('en')}, M = ${r.M.toLocaleString('en')}, ${r.precision}: ` +
      `${r.calls.toLocaleString('en')} oracle calls${traced}, ${r.calls === r.calls_predicted ? 'exactly' : 'not'} the ${r.calls_predicted.toLocaleString('en')} predicted; ` +
      `${fmt(r.flops / direct)}× the flops of one direct attention — no saving in work, only a smaller machine. `;
    if (r.method === 'blocks' && r.failures > 0) {
      text += `The synthetic-token normaliser failed in ${r.failures.toLocaleString('en')} (row, block) pairs: y = A/(A+1) rounded to 1 in ${r.precision}, ` +
        'so A = y/(1−y) is infinite and the output is not finite. blocks_lse (ours) merges by log-sum-exp and has no such limit.';
    } else if ((r.method === 'window' || r.method === 'sinks') && r.failures > 0) {
      text += `${r.failures.toLocaleString('en')} rows lost more than 10 bits to the prefix difference (the keys before the window outweigh it).`;
    } else if (Number.isFinite(err)) {
      text += `Max relative error ${fmt(err, 2)} against ${r.error_against === 'flash' ? 'direct flash' : 'the double-precision reference'}` +
        (r.method === 'sampled' ? ' — an estimate, not exact.' : '.');
    }
    caption.textContent = text;
  }

  function requestOf() {
    const m = mode.value;
    const r = { suite: 'simulate', method: m, n: Number(nSel.value), d: Number(dIn.value), M: mOf(), B: Number(bIn.value),
      min_ms: 50, check_rows: 16 };
    if (scale.value === '1') r.scale = 1;
    if (takes(m, 'precision')) r.precision = prec.value;
    if (takes(m, 'causal')) r.causal = causal.checked;
    if (takes(m, 'window')) r.window = Number(rIn.value);
    if (takes(m, 'sinks')) r.sinks = Number(sIn.value);
    if (Number(threads.value) > 0) r.threads = Number(threads.value);
    return r;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    read();
    showError(ui.errorBox, '');
    const request = requestOf();
    let weights;
    try {
      weights = [(await estimateSimulate(request, env)).seconds];
    } catch (err) {
      showError(ui.errorBox, err.message);
      return;
    }
    await runWithProgress(client, [request], { ui, label: 'Large from small run', weights, onRecord: (r) => show(r) });
  });
  ui.runButton.disabled = false;

  // ---- sampled: error vs M, bounded vs a needle --------------------------------
  const ui2 = runControls('simulate-sampled');
  const sn = el('select', { name: 'simsn', id: 'simulate-sampled-n' }, ...N_CHOICES.filter((n) => n >= 1024).map((n) => el('option', { value: String(n) }, n.toLocaleString('en'))));
  const sthreads = el('input', { type: 'number', name: 'simsthreads', id: 'simulate-sampled-threads', min: '0', max: String(info.threads || 1), step: '1' });
  const form2 = el('form', { id: 'simulate-sampled-form', class: 'controls' },
    el('h3', {}, 'The average case and its limit: sampled, error vs M'),
    field('N', sn), field('threads', sthreads), ui2.runButton, ui2.cancelButton);
  const chartEl = el('div', { id: 'simulate-sampled-chart', 'aria-label': 'sampled: max relative error vs M' });
  const caption2 = el('p', { id: 'simulate-sampled-caption', class: 'caption' },
    'bounded: entries in ±1, values ≥ 0 (Thm 4.1\'s conditions); needle: one key every query scores 8 with, value 10. d = 4.');
  $('#simulate-sampled-box').replaceChildren(form2, ui2.progress, ui2.errorBox, ui2.note, chartEl, caption2);
  sn.value = String([1024, 2048, 4096, 8192, 16384].includes(state.simsn) ? state.simsn : 4096);
  sthreads.value = String(state.simsthreads);
  const read2 = () => {
    state.simsn = Number(sn.value);
    state.simsthreads = Number(sthreads.value);
    saveState();
  };
  form2.addEventListener('change', read2);
  ui2.cancelButton.after(copyLinkButton({ id: 'simulate-sampled-copy-link', state, read: read2, run: 'simulate-sampled' }));
  const chart = new LogLogChart(chartEl, { xLabel: 'M (keys sampled per query block)', yLabel: 'max relative error vs flash', fit: true, fitLast: 0, height: 280 });
  chartEl.dataset.count = '0';

  form2.addEventListener('submit', async (e) => {
    e.preventDefault();
    read2();
    showError(ui2.errorBox, '');
    chart.clear();
    chartEl.dataset.count = '0';
    const n = Number(sn.value);
    const requests = [];
    for (const kind of ['bounded', 'needle']) {
      for (const M of SAMPLED_M.filter((m) => m <= n)) {
        requests.push({ suite: 'simulate', method: 'sampled', n, d: 4, M, min_ms: 0, seed: 1,
          ...(kind === 'needle' ? { needle: true } : { positive: true }),
          ...(Number(sthreads.value) > 0 ? { threads: Number(sthreads.value) } : {}) });
      }
    }
    const weights = await Promise.all(requests.map(async (r) => (await estimateSimulate(r, env)).seconds));
    const records = [];
    await runWithProgress(client, requests, {
      ui: ui2, label: 'Large from small: sampled vs M', weights,
      onRecord: (r) => {
        const kind = r.needle ? 'needle' : 'bounded';
        records.push(r);
        chart.add(kind, r.M, r.error, { ...r, method: kind });
        chartEl.dataset.count = String(records.length);
      },
    });
    const fit = chart.fits().get('bounded');
    const needle = records.filter((r) => r.needle);
    const worst = needle.length ? needle.reduce((a, b) => (b.M > a.M ? b : a)) : null;
    const bounded = records.filter((r) => !r.needle);
    const best = bounded.length ? bounded.reduce((a, b) => (b.M > a.M ? b : a)) : null;
    const parts = [];
    if (fit) parts.push(`bounded data: error ∝ M^${fmt(fit.slope, 2)} (measured; the 1/√M law is −0.5)`);
    if (best) parts.push(`${fmt(best.error, 2)} at M = ${best.M}`);
    if (worst) parts.push(`with a needle: ${fmt(worst.error, 2)} at M = ${worst.M} — sampling misses the one key that matters (probability 1 − M/N), the worst case that forces (N/M)² calls`);
    caption2.textContent = parts.length ? `${parts.join('; ')}.` : caption2.textContent;
  });
  ui2.runButton.disabled = false;

  if (state.autorun && state.panel === 'simulate') {
    if (state.run === 'simulate-sampled') form2.requestSubmit();
    else form.requestSubmit();
  }
}
