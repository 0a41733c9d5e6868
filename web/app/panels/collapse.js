// "Layer collapse": the L-layer, H-head network of cpp/collapse/ run in the
// worker over a grid of η (suite "collapse", compare on), each record giving
// the deviation from identity, the merged one-layer and first-layer errors,
// the entry bound and res_norm per layer with and without skips. Charts vs η
// (errors; their ratios to the deviation, with the η where the entry bound
// passes √ln n and where the merged error sinks below the outputs' float32
// resolution marked) and res_norm vs depth at the slider's η. Every number in
// the caption is read from the records.
import { LogLogChart } from '../chart.js';
import { fitLogLog, slopeText } from '../fit.js';
import { estimateCollapse, estimatePoints, refusal, LONG_SWEEP_SECONDS } from '../plan.js';
import { SCHEMA } from '../state.js';
import { $, el, fmt, fmtSeconds, showError, runWithProgress, runControls, copyLinkButton, exportJSON, calibration } from '../ui.js';

// η from 1e-4 to 1, three points a decade (log-spaced), plus the slider's η.
const GRID = Array.from({ length: 13 }, (_, k) => Number((10 ** (-4 + k / 3)).toPrecision(3)));
// The issue's fit range for the collapse slope (below it float32 would decide, above it the ratio saturates).
const FIT_RANGE = [1e-3, 3e-2];

// A record drawn as one of several series: the chart takes its colour from `method` (web/app/palette.js).
const as = (method, r) => ({ ...r, method });

const fmtEta = (v) => Number(v.toPrecision(3)).toExponential().replace(/\.?0+e/, 'e').replace('e+0', '').replace('e-', 'e−');

/** Where log y(η) crosses log target between two grid points (log-linear interpolation); null if it never does. */
export function crossing(records, key, target) {
  const pts = records.filter((r) => Number.isFinite(r[key]) && Number.isFinite(typeof target === 'string' ? r[target] : target))
    .sort((a, b) => a.eta - b.eta);
  for (let i = 1; i < pts.length; i++) {
    const t = (r) => (typeof target === 'string' ? r[target] : target);
    const a = Math.log(pts[i - 1][key] / t(pts[i - 1])), b = Math.log(pts[i][key] / t(pts[i]));
    if (a < 0 && b >= 0) {
      const f = a / (a - b);
      return Math.exp(Math.log(pts[i - 1].eta) + f * (Math.log(pts[i].eta) - Math.log(pts[i - 1].eta)));
    }
  }
  return null;
}

export function mountCollapse({ client, info, methods, state, saveState }) {
  const mount = $('#collapse-mount');
  if (!methods.collapse?.length) {
    const note = $('#collapse-missing');
    note.hidden = false;
    note.textContent = 'This build has no collapse kernels, so there is nothing to measure here.';
    return;
  }
  const ui = runControls('collapse');
  const form = el('form', { id: 'collapse-form', class: 'controls', autocomplete: 'off' });
  const slider = el('input', { type: 'range', name: 'logeta', id: 'collapse-eta', min: '-4', max: '0', step: '0.05',
    'aria-label': 'η, log scale' });
  slider.value = String(Math.log10(state.ceta));
  const shown = el('output', { for: 'collapse-eta', id: 'collapse-eta-value' }, fmtEta(state.ceta));
  slider.addEventListener('input', () => { shown.textContent = fmtEta(10 ** Number(slider.value)); });
  form.append(el('label', { class: 'range', title: 'the weights are η·U[−1, 1]; this η is marked and its res_norm drawn vs depth' },
    'η (log scale) ', el('span', { class: 'range-row' }, slider, shown)));
  const number = (key, label, title) => {
    const spec = SCHEMA[key];
    const input = el('input', { name: key, type: 'number', min: spec.min, max: spec.max, step: 1, required: true });
    input.value = String(state[key]);
    form.append(el('label', { title }, `${label} `, input));
  };
  number('cL', 'L (layers)', 'layers of the network');
  number('cH', 'H (heads)', 'heads per layer');
  number('cd', 'd (width)', 'model width = head width');
  number('cn', 'n (tokens)', 'rows of X ~ N(0, 1)');
  const threads = el('select', { name: 'cthreads', class: 'threads-select' });
  for (let t = info.threads; t >= 1; t--) threads.append(el('option', { value: String(t) }, t === info.threads ? `${t} (all)` : String(t)));
  threads.value = String(state.cthreads && state.cthreads <= info.threads ? state.cthreads : info.threads);
  form.append(el('label', {}, 'threads ', threads));
  const fitBox = el('input', { type: 'checkbox', name: 'cfit', id: 'collapse-fit', checked: state.cfit });
  form.append(el('label', { class: 'check', title: 'a one-layer network of L·H heads trained by 300 Adam steps (from san_merged) on random inputs; about 1 s a point' },
    fitBox, ' also train fit_one_layer'));
  const read = () => {
    state.ceta = Number((10 ** Number(slider.value)).toPrecision(3));
    for (const k of ['cL', 'cH', 'cd', 'cn']) state[k] = Number(form.elements[k].value);
    state.cthreads = Number(threads.value) === info.threads ? 0 : Number(threads.value);
    state.cfit = fitBox.checked;
    saveState();
  };
  form.addEventListener('change', () => {
    read();
    drawDepth();
    if (records.length) describe();
  });
  form.append(el('div', { class: 'buttons' }, ui.runButton, ui.cancelButton,
    copyLinkButton({ id: 'collapse-copy-link', state, read, run: 'collapse' })));

  // Embedded in a slide, the ratio chart alone (the finding) stays: the other two are for the full page.
  const chartEl = el('div', { id: 'collapse-chart', class: 'embed-hide', 'aria-label': 'errors vs η, log-log' });
  const ratioEl = el('div', { id: 'collapse-ratio-chart', 'aria-label': 'errors over the deviation vs η, log-log' });
  const depthEl = el('div', { id: 'collapse-depth-chart', class: 'embed-hide', 'aria-label': 'res_norm over the largest entry vs layer, with and without skips' });
  const caption = el('p', { id: 'collapse-caption', class: 'caption', 'aria-live': 'polite' },
    'Run to measure the network at 13 values of η from 1e−4 to 1 (and the slider\'s η).');
  const exportButton = el('button', { type: 'button', 'data-export': 'json' }, 'JSON lines');
  const exportsBox = el('div', { class: 'exports', id: 'collapse-exports', hidden: true }, 'Export: ', exportButton);
  mount.append(form, el('div', { id: 'collapse-status' }, ui.progress, ui.errorBox),
    el('h3', { class: 'embed-hide' }, 'Errors vs η'), chartEl,
    el('h3', { class: 'embed-hide' }, 'Relative to the deviation from identity'), ratioEl,
    el('h3', { class: 'embed-hide' }, 'Rank collapse: res_norm vs depth at the slider\'s η'), depthEl, caption, exportsBox);
  const errors = new LogLogChart(chartEl, { xLabel: 'η', yLabel: 'max-norm error', fit: false });
  const ratios = new LogLogChart(ratioEl, { xLabel: 'η', yLabel: 'error / ‖S − X‖', fit: false });
  const depth = new LogLogChart(depthEl, { xLabel: 'layer ℓ', yLabel: 'res_norm(X_ℓ) / max|X_ℓ|', logX: false, logY: false, fit: false, yRange: [0, 1.05] });
  let records = [];  // san_forward's reports, one per η
  let fits = [];     // fit_one_layer's, when asked for
  exportButton.addEventListener('click', () => exportJSON('collapse', [...records, ...fits]));

  // The record nearest the slider's η (log distance): the slider moves the depth chart after a run.
  const selected = () => records.reduce((best, r) => (!best || Math.abs(Math.log(r.eta / state.ceta)) < Math.abs(Math.log(best.eta / state.ceta)) ? r : best), null);

  function drawDepth() {
    depth.clear();
    const r = selected();
    if (!r) return;
    for (let l = 0; l <= r.layers; l++) {
      const ratio = (key) => {
        const res = r[`res_norm_${key}_${l}`], norm = r[`norm_${key}_${l}`];
        return norm > 0 ? res / norm : (res === 0 ? 0 : NaN);
      };
      if (Number.isFinite(ratio('skip'))) depth.add('skips (residual)', l, ratio('skip'), as('skips', r));
      if (Number.isFinite(ratio('noskip'))) depth.add('no_skips (pure attention)', l, ratio('noskip'), as('no_skips', r));
    }
  }

  function refLines() {
    const lines = [];
    const bound = crossing(records, 'entry_bound', 'sqrt_ln_n');
    if (bound) lines.push({ x: bound, label: `max|XW| = √ln n at η ≈ ${fmtEta(bound)}` });
    // The merged error falls below the outputs' float32 resolution (as η decreases).
    const floor = crossing(records, 'merged_error', 'output_resolution');
    if (floor) lines.push({ x: floor, label: `float32 floor of S at η ≈ ${fmtEta(floor)}` });
    lines.push({ x: state.ceta, label: `slider η = ${fmtEta(state.ceta)}` });
    errors.setRefLines(lines);
    ratios.setRefLines(lines);
    return { bound, floor };
  }

  function describe() {
    const { bound, floor } = refLines();
    const parts = [];
    const inRange = records.filter((r) => r.eta >= FIT_RANGE[0] * 0.999 && r.eta <= FIT_RANGE[1] * 1.001);
    if (inRange.length >= 3) {
      const fit = (key) => fitLogLog(inRange.filter((r) => r[key] > 0).map((r) => [r.eta, r[key]]));
      const [dev, merged, ratio] = ['deviation', 'merged_error', 'merged_ratio'].map(fit);
      if (dev && merged && ratio) {
        parts.push(`Measured log-log slopes over η ∈ [1e−3, 3e−2]: deviation ${slopeText(dev)}, merged error ${slopeText(merged)}, ` +
          `their ratio ${slopeText(ratio)} — the deep network is one layer up to a relative error that falls like η${ratio.slope >= 0.7 && ratio.slope <= 1.3 ? '' : ' (here it does not: see the slope)'}.`);
      }
    }
    const r = selected();
    if (r) {
      parts.push(`At η = ${fmtEta(r.eta)} (L = ${r.layers}, H = ${r.heads}, d = ${r.d}, n = ${r.n}): ‖S − X‖ = ${fmt(r.deviation)}, ` +
        `‖S − S_merged‖ = ${fmt(r.merged_error)} (ratio ${fmt(r.merged_ratio)}), first layer alone ${fmt(r.first_layer_ratio)} of the deviation; ` +
        `entry bound ${fmt(r.entry_bound)} vs √ln n = ${fmt(r.sqrt_ln_n)}.`);
      const L = r.layers;
      const rel = (k) => (r[`norm_${k}_${L}`] > 0 ? r[`res_norm_${k}_${L}`] / r[`norm_${k}_${L}`] : 0);
      parts.push(`After ${L} layers res_norm is ${fmt(rel('skip'))} of the largest entry with skips and ${fmt(rel('noskip'))} without: skips stop rank collapse, not layer collapse.`);
    }
    const trained = r ? fits.find((f) => f.eta === r.eta) : null;
    if (trained) {
      parts.push(`Trained by ${trained.steps} Adam steps on random inputs, one layer gets to ${fmt(trained.fit_ratio)} of the deviation at that η ` +
        `(${fmt(trained.fit_ratio / r.merged_ratio)}× the merged layer's error; training loss ${fmt(trained.train_loss_first)} → ${fmt(trained.train_loss_last)}).`);
    }
    const half = crossing(records, 'merged_ratio', 0.5);
    if (half) parts.push(`The ratio passes 0.5 at η ≈ ${fmtEta(half)}${bound ? `; the entry bound passes √ln n at η ≈ ${fmtEta(bound)} (the Alman–Song threshold for fast attention)` : ''}.`);
    if (floor) parts.push(`Below η ≈ ${fmtEta(floor)} the merged error is smaller than the float32 resolution of the outputs: comparing two float32 outputs could not see it; the report measures it on the residual stream.`);
    const failed = records.length < requested;
    if (failed) parts.push(`${requested - records.length} of ${requested} points were refused (the network blows up past float32; see the message).`);
    caption.textContent = parts.join(' ');
  }

  let requested = 0;
  const env = { info, get peakGflops() { return calibration.gflops; }, cost: (fn, ...args) => client.call(fn, ...args) };

  async function run() {
    read();
    showError(ui.errorBox, '');
    if (!form.reportValidity()) return;
    const etas = [...new Set([...GRID, state.ceta])].sort((a, b) => a - b);
    const requests = etas.flatMap((eta) => {
      const shape = { suite: 'collapse', n: state.cn, d: state.cd, layers: state.cL, heads: state.cH, eta, dist: 'gaussian', min_ms: 0, threads: state.cthreads };
      return [{ ...shape, method: 'san_forward', compare: true }, ...(state.cfit ? [{ ...shape, method: 'fit_one_layer' }] : [])];
    });
    let estimate;
    try {
      estimate = await estimatePoints(requests, (r) => estimateCollapse(r, env));
    } catch (e) {
      showError(ui.errorBox, e.message);
      return;
    }
    const why = refusal(estimate, { budgetBytes: info.memoryBudgetMB * 1048576 });
    if (why === 'memory') {
      showError(ui.errorBox, `The largest point needs ${fmt(estimate.memory / 1048576)} MiB, more than the memory budget (${fmt(info.memoryBudgetMB)} MiB): lower n, d, L or H.`);
      return;
    }
    if (why === 'time') {
      showError(ui.errorBox, `About ${fmtSeconds(estimate.seconds)} estimated, more than ${fmtSeconds(LONG_SWEEP_SECONDS)}: lower n, d, L or H.`);
      return;
    }
    records = [];
    fits = [];
    requested = requests.filter((r) => r.method === 'san_forward').length;
    for (const c of [errors, ratios, depth]) c.clear();
    chartEl.dataset.count = '0';
    await runWithProgress(client, requests, {
      ui,
      label: 'Layer collapse',
      weights: estimate.weights,
      onRecord: (r) => {
        if (r.method === 'fit_one_layer') {
          fits.push(r);
          if (r.fit_error > 0) errors.add('fit_one_layer ‖S − S_fit‖', r.eta, r.fit_error, as('fit_one_layer', r));
          if (r.fit_ratio > 0) ratios.add('fit_one_layer / deviation', r.eta, r.fit_ratio, as('fit_one_layer', r));
          describe();
          return;
        }
        records.push(r);
        errors.add('san_forward ‖S − X‖', r.eta, r.deviation, as('san_forward', r));
        if (r.merged_error > 0) errors.add('san_merged ‖S − S_merged‖', r.eta, r.merged_error, as('san_merged', r));
        errors.add('first_layer ‖S − S_first‖', r.eta, r.first_layer_error, as('first_layer', r));
        errors.add('float32 resolution of S', r.eta, r.output_resolution, as('float32', r));
        if (r.merged_ratio > 0) ratios.add('san_merged / deviation', r.eta, r.merged_ratio, as('san_merged', r));
        ratios.add('first_layer / deviation', r.eta, r.first_layer_ratio, as('first_layer', r));
        chartEl.dataset.count = String(records.length);
        drawDepth();
        describe();
      },
    });
    describe();
    exportsBox.hidden = !records.length;
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  ui.runButton.disabled = false;
  if (state.autorun && state.panel === 'collapse') run();
}
