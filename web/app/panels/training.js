// The live training run of the "Attention gradients" panel: gradient descent
// on X for a planted teacher (sq.attentionTraining, web/lib/grad.js), exact
// and polynomial gradients side by side. The worker runs one step per request
// (its trainStep op), so records stream into the charts and Cancel stops the
// run between steps. Charts draw only the records: losses (both measured
// exactly, and the polynomial's own estimate), the entry bound ‖A₁X‖∞ of each
// trajectory beside √ln n, and two marks — the first step the polynomial
// trajectory leaves the regime, the first step the two losses differ by 10 %.
import { LogLogChart } from '../chart.js';
import { estimateTraining, refusal, LONG_SWEEP_SECONDS } from '../plan.js';
import { el, fmt, fmtSeconds, showError, runWithProgress, runControls, exportJSON, copyLinkButton, calibration } from '../ui.js';
import { SCHEMA } from '../state.js';

// The form's fields: state key, label, the training option it sets.
const FIELDS = [
  ['trn', 'n (tokens)', 'n'],
  ['trd', 'd (width)', 'd'],
  ['trsteps', 'steps', 'steps'],
  ['trlr', 'learning rate', 'lr'],
  ['trteacher', 'teacher ‖A₁X*‖∞ / √ln n', 'teacher'],
  ['trdegree', 'degree g (polynomial)', 'degree'],
];

// Series named by the method whose gradient drives them (the palette's colours).
const SERIES = {
  exact: 'loss_exact gradient',
  poly: 'loss_polynomial gradient (its loss measured exactly)',
  estimate: "estimate: loss_polynomial's own loss",
  threshold: '√ln n (the threshold, not measured)',
};

export function mountTraining({ mount, client, info, state, saveState }) {
  const id = 'gradtrain';
  const form = el('form', { id: `${id}-form`, class: 'controls', autocomplete: 'off' });
  for (const [key, label] of FIELDS) {
    const spec = SCHEMA[key] ?? {};
    const input = el('input', { name: key, type: 'number', min: spec.minExclusive ? undefined : spec.min, max: spec.max,
      step: spec.type === 'int' ? 1 : 'any', required: true, title: spec.doc });
    input.value = String(state[key]);
    form.append(el('label', {}, `${label} `, input));
  }
  const threads = el('select', { name: 'trthreads', class: 'threads-select' });
  for (let t = info.threads; t >= 1; t--) threads.append(el('option', { value: String(t) }, t === info.threads ? `${t} (all)` : String(t)));
  threads.value = String(state.trthreads && state.trthreads <= info.threads ? state.trthreads : info.threads);
  form.append(el('label', {}, 'threads ', threads));
  const ui = runControls(id);
  const read = () => {
    for (const [key] of FIELDS) state[key] = Number(form.elements[key].value);
    state.trthreads = Number(threads.value) === info.threads ? 0 : Number(threads.value);
    saveState();
  };
  form.append(el('div', { class: 'buttons' }, ui.runButton, ui.cancelButton,
    copyLinkButton({ id: `${id}-copy-link`, state, read, run: id })));
  const estimateEl = el('p', { id: `${id}-estimate`, class: 'note' });
  const lossEl = el('div', { id: `${id}-chart`, 'aria-label': 'loss vs step, exact and polynomial gradients (log y)' });
  const boundEl = el('div', { id: `${id}-bound`, 'aria-label': 'entry bound ‖A₁X‖∞ vs step, both trajectories, and √ln n' });
  const captionEl = el('p', { id: `${id}-caption`, class: 'caption', 'aria-live': 'polite' });
  const exportButton = el('button', { type: 'button', 'data-export': 'json' }, 'Export JSON');
  const exportsEl = el('div', { class: 'exports', id: `${id}-exports`, hidden: true }, exportButton);
  mount.append(form, estimateEl, el('div', { id: `${id}-status`, class: 'sweep-status' }, ui.progress, ui.errorBox, ui.note),
    lossEl, boundEl, captionEl, exportsEl);

  const height = state.embed ? 200 : 300;
  const lossChart = new LogLogChart(lossEl, { xLabel: 'step', yLabel: 'loss L(X)', logX: false, logY: true, fit: false, height });
  const boundChart = new LogLogChart(boundEl, { xLabel: 'step', yLabel: '‖A₁X‖∞', logX: false, logY: false, fit: false, height });
  let records = [];
  ui.runButton.disabled = false;

  const config = () => {
    const cfg = { threads: Number(threads.value) === info.threads ? 0 : Number(threads.value) };
    for (const [key, , option] of FIELDS) cfg[option] = Number(form.elements[key].value);
    return cfg;
  };
  const env = { info, get peakGflops() { return calibration.gflops; }, cost: (fn, ...args) => client.call(fn, ...args) };

  async function estimate() {
    const cfg = config();
    const e = await estimateTraining(cfg, env);
    estimateEl.textContent = `${cfg.steps + 1} steps, each two loss_exact calls and one loss_polynomial: about ${fmtSeconds(e.seconds)} on this machine (estimated from the cost models${calibration.gflops ? ' and the calibrated peak' : ''}).`;
    return e;
  }
  form.addEventListener('change', () => {
    read();
    if (form.checkValidity()) estimate().catch((e) => { estimateEl.textContent = e.message; });
  });
  estimate().catch(() => {});

  function marks(key) {
    const hit = records.find((r) => r[key]);
    return hit ? hit.step : null;
  }

  function draw(r) {
    records.push(r);
    const x = r.step;
    if (r.loss_exact > 0) lossChart.add(SERIES.exact, x, r.loss_exact, r);
    if (r.loss_poly > 0) lossChart.add(SERIES.poly, x, r.loss_poly, r);
    if (r.loss_poly_estimate > 0) lossChart.add(SERIES.estimate, x, r.loss_poly_estimate, r);
    boundChart.add(SERIES.exact, x, r.bound_exact, r);
    if (r.bound_poly !== null) boundChart.add(SERIES.poly, x, r.bound_poly, r);
    boundChart.add(SERIES.threshold, x, r.threshold, r);
    const left = marks('left_regime'), differ = marks('losses_differ');
    const lines = [];
    if (left !== null) lines.push({ x: left, label: `leaves the regime (step ${left})` });
    if (differ !== null) lines.push({ x: differ, label: `losses differ > 10 % (step ${differ})`, color: '#D55E00' });
    // Step 0 cannot sit on the chart's left edge as a line; the caption says it.
    lossChart.setRefLines(lines);
    boundChart.setRefLines(lines);
    lossEl.dataset.count = String(records.length);
    captionEl.textContent = caption(records, left, differ);
    exportsEl.hidden = false;
  }

  async function run({ confirmed = false } = {}) {
    read();
    showError(ui.errorBox, '');
    if (!form.reportValidity()) return;
    const cfg = config();
    let e;
    try {
      e = await estimate();
    } catch (err) {
      showError(ui.errorBox, err.message);
      return;
    }
    const why = refusal(e, { budgetBytes: info.memoryBudgetMB * 1048576, maxSeconds: LONG_SWEEP_SECONDS, confirmed });
    if (why) {
      ui.errorBox.hidden = false;
      ui.errorBox.dataset.refused = why;
      ui.errorBox.replaceChildren(el('span', {}, why === 'memory'
        ? `A step needs ${fmt(e.memory / 1048576)} MiB, more than the memory budget of ${fmt(info.memoryBudgetMB)} MiB: lower n or d.`
        : `This run would take about ${fmtSeconds(e.seconds)}: lower n or the steps, or `),
      ...(why === 'time' ? [el('button', { type: 'button', 'data-offer': 'anyway', onclick: () => run({ confirmed: true }) }, 'run it anyway')] : []));
      return;
    }
    delete ui.errorBox.dataset.refused;
    records = [];
    lossChart.clear();
    boundChart.clear();
    exportsEl.hidden = true;
    captionEl.textContent = '';
    const requests = Array.from({ length: cfg.steps + 1 }, (_, step) => ({ op: 'trainStep', step, scale: 'inv_d', ...cfg }));
    let failed = false;
    const job = runWithProgress(client, requests, {
      ui,
      label: 'training run',
      onRecord: (r) => draw(r),
      // A step that fails (a refused option) would fail every later step: stop there.
      onError: () => {
        if (!failed) ui.cancelButton.click();
        failed = true;
      },
    });
    await job;
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run();
  });
  exportButton.addEventListener('click', () => exportJSON('subquad-training', records));
  return { run, records: () => records, lossChart, boundChart };
}

function caption(records, left, differ) {
  const last = records[records.length - 1];
  const first = records[0];
  const parts = [];
  const poly = last.loss_poly !== null ? `, polynomial ${fmt(last.loss_poly)}` : '';
  parts.push(`Step ${last.step}: loss with the exact gradient ${fmt(last.loss_exact)} (from ${fmt(first.loss_exact)})${poly}` +
    (last.loss_poly > 0 && last.loss_exact > 0 ? ` — ${fmt(last.loss_poly / last.loss_exact)}× the exact one.` : '.'));
  parts.push(left !== null
    ? `The polynomial trajectory's ‖A₁X‖∞ passed √ln n = ${fmt(last.threshold)} at step ${left}.`
    : `‖A₁X‖∞ of the polynomial trajectory has stayed below √ln n = ${fmt(last.threshold)} (now ${fmt(last.bound_poly)}).`);
  parts.push(differ !== null
    ? `The two losses first differed by more than 10 % at step ${differ}.`
    : 'The two losses have stayed within 10 % of each other.');
  if (last.poly_stopped || records.some((r) => r.poly_stopped)) {
    const stop = records.find((r) => r.poly_stopped);
    parts.push(`The polynomial gradient stopped at step ${stop.step}: ${stop.poly_stopped}.`);
  }
  return parts.join(' ');
}
