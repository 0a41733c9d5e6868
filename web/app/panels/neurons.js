// "Which neurons fire": a two-layer shifted-ReLU network trained dense or
// with per-point max-trees over the weight–data correlations (cpp/neurons/,
// our reconstruction of Alman, Liang, Song, Zhang & Zhuo). Everything drawn is
// measured in the worker: the bench suite across b (forward and whole step,
// the tree's query / forward-gradient / repair split, the firing fraction),
// short training runs (neurons moved per step, full vs mini-batch; loss
// curves at several b) and a planted Max-IP instance. The Gaussian tail is a
// formula and is labelled so.
import { LogLogChart } from '../chart.js';
import { el, $, fmt, showError, runWithProgress, runControls, copyLinkButton, exportJSON, calibration } from '../ui.js';
import { estimateNeurons, estimatePoints, refusal } from '../plan.js';
import { SCHEMA } from '../state.js';
import { panelEntry } from '../catalog.js';

const B_SWEEP = [1, 1.5, 2, 2.5, 3, 3.5];
const LOSS_B = [0.5, 1.5, 2.5];
// The planted Max-IP instance: d = 8·log₂ n, so the n·m random pairs stay below b.
const PLANTED = { n: 256, m: 4096, d: 64, b: 0.8 };

const tail = (b) => 0.5 * erfc(b / Math.SQRT2);
// erfc by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): for the slider's label only.
function erfc(x) {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return x >= 0 ? y : 2 - y;
}
const pct = (p) => `${fmt(100 * p, 3)} %`;

export function mountNeurons({ client, info, methods, state, saveState }) {
  if (!methods.neurons?.length) {
    const note = $('#neurons-missing');
    note.hidden = false;
    note.textContent = 'This build has no neurons kernels, so there is nothing to measure here.';
    return;
  }
  const mount = $('#neurons-lab');
  const ui = runControls('neurons');
  const form = el('form', { id: 'neurons-form', class: 'controls', autocomplete: 'off' });
  const number = (key, label, title) => {
    const spec = SCHEMA[key] ?? {};
    const input = el('input', { name: key, id: `neurons-${key}`, type: 'number', min: spec.min, max: spec.max,
      step: spec.type === 'int' ? 1 : 'any', required: true });
    input.value = String(state[key]);
    form.append(el('label', { title }, `${label} `, input));
    return input;
  };
  number('nn', 'n (points)');
  number('nm', 'm (neurons)');
  number('nd', 'd (input dimension)');
  const slider = el('input', { name: 'nb', id: 'neurons-nb', type: 'range', min: 0, max: 4, step: 0.25 });
  slider.value = String(state.nb);
  const shown = el('span', { id: 'neurons-nb-shown' });
  const showB = () => { shown.textContent = `b = ${slider.value} · Gaussian tail Φ̄(b) = ${pct(tail(Number(slider.value)))}`; };
  showB();
  slider.addEventListener('input', showB);
  form.append(el('label', { class: 'range', title: 'threshold of the shifted ReLU max(z − b, 0)' }, 'threshold b ',
    el('span', { class: 'range-row' }, slider, shown)));
  number('ns', 'mini-batch s', 'points per step in the mini-batch runs');
  number('nsteps', 'training steps');
  number('nthreads', 'threads (0 = all)');
  const read = () => {
    for (const key of ['nn', 'nm', 'nd', 'nb', 'ns', 'nsteps', 'nthreads']) state[key] = Number(form.elements[key].value);
    saveState();
  };
  const exportButton = el('button', { type: 'button', id: 'neurons-export', hidden: true }, 'Export JSON');
  form.append(el('div', { class: 'buttons' }, ui.runButton, ui.cancelButton,
    copyLinkButton({ id: 'neurons-copy-link', state, read, run: 'neurons' }), exportButton));
  form.addEventListener('change', read);

  // Embedded in a slide, the time chart alone (dense vs trees: the finding) stays; the others are for the full page.
  const chartBox = (id, title, embed = false) => {
    const hide = embed ? {} : { class: 'embed-hide' };
    const box = el('div', { id, ...hide });
    const caption = el('p', { class: embed ? 'caption' : 'caption embed-hide', id: `${id}-caption` });
    mount.append(el('h3', hide, title), box, caption);
    return { box, caption };
  };
  mount.append(form, el('div', { id: 'neurons-status' }, ui.progress, ui.errorBox));
  const fire = chartBox('neurons-fire', 'Firing fraction vs b');
  const time = chartBox('neurons-time', 'Time per full-batch step: dense vs trees', true);
  const moved = chartBox('neurons-moved', 'Neurons moved per step: full batch vs mini-batch');
  const loss = chartBox('neurons-loss', 'Training loss at several b (trees, full batch)');
  const planted = el('p', { id: 'neurons-planted', class: 'note embed-hide' },
    'The planted Max-IP instance is measured with the rest.');
  mount.append(el('h3', { class: 'embed-hide' }, 'A planted Max-IP pair'), planted);
  const charts = {
    fire: new LogLogChart(fire.box, { xLabel: 'threshold b', yLabel: 'fraction of (point, neuron) pairs firing', logX: false, fit: false }),
    time: new LogLogChart(time.box, { xLabel: 'threshold b', yLabel: 'median ms', logX: false, fit: false }),
    moved: new LogLogChart(moved.box, { xLabel: 'step', yLabel: 'neurons moved', logX: false, logY: false, fit: false }),
    loss: new LogLogChart(loss.box, { xLabel: 'step', yLabel: 'loss (1/2s)·Σ(f − y)²', logX: false, fit: false }),
  };
  let records = [];
  exportButton.addEventListener('click', () => exportJSON('neurons', records));

  function requests() {
    const { nn: n, nm: m, nd: d, nb: b, ns: s, nsteps: steps, nthreads: threads } = state;
    const bs = [...new Set([...B_SWEEP, b])].sort((x, y) => x - y);
    const out = [];
    for (const bb of bs) {
      for (const method of ['dense', 'dtree']) out.push({ suite: 'neurons', method, n, m, d, b: bb, batch: 0, steps: 1, min_ms: 50, threads });
    }
    for (const batch of [0, Math.min(s, n)]) out.push({ op: 'neuronsTrain', kind: 'moved', method: 'dtree', n, m, d, b, steps, batch, threads });
    for (const bb of [...new Set([...LOSS_B, b])].sort((x, y) => x - y)) {
      out.push({ op: 'neuronsTrain', kind: 'loss', method: 'dtree', n, m, d, b: bb, steps, batch: 0, threads });
    }
    out.push({ op: 'neuronsTrain', kind: 'planted', method: 'dtree', ...PLANTED, data: 'planted', steps: 1, update: false, threads });
    return out;
  }

  function onRecord(r) {
    records.push(r);
    if (r.suite === 'neurons') {
      if (r.method === 'dtree') {
        charts.fire.add('measured (dtree)', r.b, r.firing_fraction, r);
        charts.fire.add('Gaussian tail Φ̄(b) (formula)', r.b, r.gaussian_tail, { method: 'reference' });
        charts.time.add('dtree query', r.b, r.step_query_ms, r);
        charts.time.add('dtree query + forward/gradient', r.b, r.step_query_ms + r.step_forward_gradient_ms, { method: 'dtree_qf' });
        charts.time.add('dtree whole step (+ repair)', r.b, r.median_ms, { method: 'dtree_step' });
        charts.time.add('dtree forward', r.b, r.forward_median_ms, { method: 'dtree_forward' });
      } else {
        charts.time.add('dense whole step', r.b, r.median_ms, r);
        charts.time.add('dense forward', r.b, r.forward_median_ms, { method: 'dense_forward' });
      }
    } else if (r.kind === 'moved') {
      const name = r.batch ? `mini-batch s = ${r.batch}` : 'full batch';
      r.records.forEach((x, t) => charts.moved.add(name, t + 1, x.moved, { ...x, method: r.batch ? 'dtree' : 'dense' }));
    } else if (r.kind === 'loss') {
      r.records.forEach((x, t) => charts.loss.add(`b = ${r.b}`, t + 1, x.loss, { ...x, method: `b${r.b}` }));
    } else if (r.kind === 'planted') {
      const x = r.records[0];
      planted.textContent = `Planted Max-IP (n = ${r.n}, m = ${r.m.toLocaleString('en')}, d = ${r.d}, b = ${r.b}: one pair w = x, ` +
        `the rest ±1/√d vectors): the trees report ${x.fired} firing pair${x.fired === 1 ? '' : 's'} after ` +
        `${Math.round(x.visits).toLocaleString('en')} node visits in ${fmt(x.ms_query, 3)} ms — but building them took ` +
        `${fmt(x.ms_build, 3)} ms, the ${(r.n * r.m).toLocaleString('en')} inner products a brute-force search pays. ` +
        'Under SETH no structure answers such threshold queries much faster without that preprocessing (the Max-IP hardness of the Alman–Yu panel).';
    }
    captions();
  }

  function captions() {
    const suite = records.filter((r) => r.suite === 'neurons');
    const at = (method, b) => suite.find((r) => r.method === method && r.b === b);
    const b = state.nb;
    const here = at('dtree', b);
    fire.caption.textContent = here
      ? `At b = ${b}: ${pct(here.firing_fraction)} of pairs fire, the Gaussian tail Φ̄(b) is ${pct(here.gaussian_tail)} ` +
        `(w ~ N(0, I), ‖x‖ = 1 make each correlation N(0, 1)); ${Math.round(here.visits_per_point).toLocaleString('en')} node visits per query of a ${state.nm.toLocaleString('en')}-leaf tree.`
      : '';
    const bs = [...new Set(suite.map((r) => r.b))].sort((x, y) => x - y);
    const pays = (key) => bs.filter((bb) => at('dense', bb) && at('dtree', bb) && at('dtree', bb)[key] < at('dense', bb)[key]);
    const fwd = pays('forward_median_ms'), step = pays('median_ms');
    const parts = [];
    if (here && at('dense', b)) {
      parts.push(`At b = ${b} the trees' forward (query + sparse sum) is ${fmt(at('dense', b).forward_median_ms / here.forward_median_ms, 3)}× faster than dense's; ` +
        `a whole step ${fmt(at('dense', b).median_ms / here.median_ms, 3)}× (repair ${fmt(here.step_repair_ms, 3)} ms of ${fmt(here.median_ms, 3)}, ${Math.round(here.moved).toLocaleString('en')} of ${state.nm.toLocaleString('en')} neurons moved).`);
    }
    if (bs.length > 1) {
      parts.push((fwd.length ? `The forward pays from b = ${fwd[0]} on; ` : 'The forward does not pay at any b measured; ') +
        (step.length ? `the whole full-batch step from b = ${step[0]} on.` : 'the whole full-batch step at none: repairing the moved neurons costs more than dense.'));
    }
    time.caption.textContent = parts.join(' ');
    const mv = records.filter((r) => r.kind === 'moved');
    if (mv.length === 2) {
      const avg = (r) => r.records.reduce((t, x) => t + x.moved, 0) / r.records.length;
      const [full, mini] = mv[0].batch ? [mv[1], mv[0]] : mv;
      moved.caption.textContent = `b = ${b}: full batch moves ${Math.round(avg(full)).toLocaleString('en')} neurons per step on average, ` +
        `mini-batch s = ${mini.batch} moves ${Math.round(avg(mini)).toLocaleString('en')} (of ${state.nm.toLocaleString('en')}): ` +
        'the tree repair only pays when few neurons move, i.e. n·Φ̄(b) ≲ 1 or small batches.';
    }
    const ls = records.filter((r) => r.kind === 'loss');
    if (ls.length) {
      loss.caption.textContent = ls.map((r) => `b = ${r.b}: ${fmt(r.records[0].loss, 3)} → ${fmt(r.records.at(-1).loss, 3)}`).join('; ') +
        ` after ${state.nsteps} steps — fewer firing neurons, slower learning.`;
    }
  }

  async function run() {
    read();
    showError(ui.errorBox, '');
    if (!form.reportValidity()) return;
    const list = requests();
    const env = { info, get peakGflops() { return calibration.gflops; }, cost: (fn, ...args) => client.call(fn, ...args) };
    let estimate;
    try {
      estimate = await estimatePoints(list, (r) => estimateNeurons(r, env));
      if (refusal(estimate, { budgetBytes: info.memoryBudgetMB * 1048576, maxSeconds: Infinity }) === 'memory') {
        showError(ui.errorBox, `The largest network needs ${fmt(estimate.memory / 1048576, 3)} MiB (its trees are n·2m floats); the memory budget is ${fmt(info.memoryBudgetMB, 3)} MiB. Choose a smaller n or m.`);
        return;
      }
    } catch (e) {
      showError(ui.errorBox, e.message);
      return;
    }
    records = [];
    for (const c of Object.values(charts)) c.clear();
    exportButton.hidden = true;
    await runWithProgress(client, list, { ui, label: `${panelEntry('neurons').title} run`, weights: estimate.weights, onRecord });
    exportButton.hidden = records.length === 0;
    mount.dataset.count = String(records.length);
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  ui.runButton.disabled = false;
  if (state.autorun && state.panel === 'neurons') run();
}
