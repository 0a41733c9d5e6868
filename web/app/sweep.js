// A generic sweep experiment: methods × values of one x parameter, measured
// in the worker, streamed into a log-log chart with fitted slopes. Panels
// describe their experiment (suite, x, y, fixed controls) and get the form,
// progress/ETA/cancel, chart, caption and exports.
import { LogLogChart } from './chart.js';
import { el, fmt, fmtSeconds, showError, runWithProgress, runControls, exportCSV, exportJSON, exportPNG, calibration } from './ui.js';

/**
 * @param {object} cfg
 *   id          prefix for element ids (e.g. 'sweep' → #sweep-run, #sweep-chart)
 *   mount       element to build into
 *   client, info, state, saveState
 *   suite       measure suite name
 *   methods     [{ name, summary }] to choose from; stateKeys.methods holds the choice
 *   x           { key, label, choices: [numbers], minKey, maxKey }  (state keys for the range)
 *   y           { key: 'median_ms', label, range: [min, max] (optional, fixed) }
 *   y2          an optional second chart from the same records: { key, label, logY, fit, range }
 *   controls    [{ key, label, type: 'number'|'select'|'threads', min, max, step, options, stateKey }]
 *   request(method, x, state) → the measure request for one point (or null to skip, with a reason)
 *   estimate(request) → Promise<{ seconds, memory }> (optional)
 *   caption(chart, records) → text (optional), refLines(chart, state) → [{x, label}] (optional)
 *   seriesName(record) → the series a record belongs to (default: its method)
 *   fitLast     fit slopes over this many largest x (0 = all)
 *   logY        default true
 */
const LONG_SWEEP_SECONDS = 120; // longer sweeps are offered a smaller range first

export function mountSweep(cfg) {
  const { id, mount, client, info, state, saveState } = cfg;
  const form = el('form', { id: `${id}-form`, class: 'controls', autocomplete: 'off' });
  const methodBox = el('div', { id: `${id}-methods` });
  const chosen = new Set(String(state[cfg.methodsKey] || '').split(',').filter((m) => cfg.methods.some((x) => x.name === m)));
  if (!chosen.size && cfg.methods.length) chosen.add(cfg.methods[0].name);
  for (const m of cfg.methods) {
    methodBox.append(el('label', { class: 'check', title: m.summary },
      el('input', { type: 'checkbox', name: 'method', value: m.name, checked: chosen.has(m.name) }), ` ${m.name}`));
  }
  form.append(el('fieldset', { class: 'methods' }, el('legend', {}, 'methods'), methodBox));

  const rangeSelect = (name, key) => {
    const sel = el('select', { name, id: `${id}-${name}` });
    for (const v of cfg.x.choices) sel.append(el('option', { value: String(v) }, cfg.x.format ? cfg.x.format(v) : v.toLocaleString('en')));
    const value = Number(state[key]);
    sel.value = String(cfg.x.choices.includes(value) ? value : cfg.x.choices[0]);
    return sel;
  };
  form.append(el('label', {}, `${cfg.x.label} from `, rangeSelect('xmin', cfg.x.minKey)));
  form.append(el('label', {}, 'to ', rangeSelect('xmax', cfg.x.maxKey)));

  for (const c of cfg.controls) {
    let input;
    if (c.type === 'threads') {
      input = el('select', { name: c.stateKey, class: 'threads-select' });
      for (let t = info.threads; t >= 1; t--) input.append(el('option', { value: String(t) }, t === info.threads ? `${t} (all)` : String(t)));
      const v = Number(state[c.stateKey]);
      input.value = String(v && v <= info.threads ? v : info.threads);
    } else if (c.type === 'select') {
      input = el('select', { name: c.stateKey });
      for (const [value, label] of c.options) input.append(el('option', { value }, label));
      input.value = String(state[c.stateKey]);
    } else if (c.type === 'range') {
      // A slider with its value beside it (e.g. the planted pair's correlation ρ).
      input = el('input', { name: c.stateKey, type: 'range', min: c.min, max: c.max, step: c.step || 'any' });
      input.value = String(state[c.stateKey]);
      const shown = el('output', { for: `${id}-${c.stateKey}` }, input.value);
      input.id = `${id}-${c.stateKey}`;
      input.addEventListener('input', () => { shown.textContent = input.value; });
      form.append(el('label', { title: c.title, class: 'range' }, `${c.label} `, el('span', { class: 'range-row' }, input, shown)));
      continue;
    } else {
      input = el('input', { name: c.stateKey, type: 'number', min: c.min, max: c.max, step: c.step || 'any', required: true });
      input.value = String(state[c.stateKey]);
    }
    form.append(el('label', { title: c.title }, `${c.label} `, input));
  }
  const ui = runControls(id);
  form.append(el('div', { class: 'buttons' }, ui.runButton, ui.cancelButton));
  const chartEl = el('div', { id: `${id}-chart`, 'aria-label': `${cfg.y.label} vs ${cfg.x.label}, log-log, one series per method` });
  const captionEl = el('p', { id: `${id}-caption`, class: 'caption', 'aria-live': 'polite' });
  const exports = el('div', { class: 'exports', id: `${id}-exports`, hidden: true },
    el('button', { type: 'button', 'data-export': 'csv' }, 'Export CSV'),
    el('button', { type: 'button', 'data-export': 'json' }, 'Export JSON'),
    el('button', { type: 'button', 'data-export': 'png' }, 'Chart as PNG'));
  mount.append(form, el('div', { id: `${id}-status` }, ui.progress, ui.errorBox), chartEl, captionEl, exports);
  ui.runButton.disabled = false;

  // In embed mode the chart(s) take the height left on the slide.
  const height = () => {
    if (!state.embed) return 320;
    const top = chartEl.getBoundingClientRect().top;
    const left = window.innerHeight - top - 140 * state.fontscale;
    return Math.max(cfg.y2 ? 120 : 160, Math.round(cfg.y2 ? left / 2 - 50 * state.fontscale : left));
  };
  const chart = new LogLogChart(chartEl, { xLabel: cfg.x.label, yLabel: cfg.y.label, fitLast: cfg.fitLast ?? 4,
    logY: cfg.logY ?? true, fit: cfg.fit ?? true, height: height(), yRange: cfg.y.range });
  // An optional second chart from the same records (e.g. time beside accuracy).
  let chart2 = null;
  if (cfg.y2) {
    const el2 = el('div', { id: `${id}-chart2`, 'aria-label': `${cfg.y2.label} vs ${cfg.x.label}` });
    chartEl.after(el2);
    chart2 = new LogLogChart(el2, { xLabel: cfg.x.label, yLabel: cfg.y2.label, fitLast: cfg.y2.fitLast ?? 4,
      logY: cfg.y2.logY ?? true, fit: cfg.y2.fit ?? true, height: height(), yRange: cfg.y2.range });
  }
  chart.initialHeight = chart.o.height;
  if (chart2) chart2.initialHeight = chart2.o.height;
  let records = [];

  function read() {
    state[cfg.methodsKey] = [...form.querySelectorAll('input[name=method]:checked')].map((i) => i.value).join(',');
    state[cfg.x.minKey] = Number(form.xmin.value);
    state[cfg.x.maxKey] = Number(form.xmax.value);
    for (const c of cfg.controls) {
      const v = form.elements[c.stateKey].value;
      if (c.type === 'threads') state[c.stateKey] = Number(v) === info.threads ? 0 : Number(v);
      else if (c.type === 'select') state[c.stateKey] = v;
      else state[c.stateKey] = Number(v);
    }
    saveState();
  }
  form.addEventListener('change', read);

  // The requests of the sweep (up to `upTo` instead of the chosen "to").
  function plan(upTo) {
    const methods = String(state[cfg.methodsKey]).split(',').filter(Boolean);
    const lo = Math.min(state[cfg.x.minKey], state[cfg.x.maxKey]);
    const hi = upTo ?? Math.max(state[cfg.x.minKey], state[cfg.x.maxKey]);
    const xs = cfg.x.choices.filter((v) => v >= lo && v <= hi);
    const requests = [];
    const skipped = [];
    for (const x of xs) {
      for (const m of methods) {
        const r = cfg.request(m, x, state);
        if (r && r.skip) skipped.push(r.skip);
        else if (r) requests.push(r);
      }
    }
    return { requests, skipped };
  }

  // Embed mode has no scroll bars: when a longer caption pushes the panel
  // past the slide's bottom, the chart(s) give up that height.
  // Measured on this sweep's own block (tooltips and legends positioned
  // elsewhere do not count); charts grow back, up to their first height, when
  // the caption shrinks again.
  function fitSlide() {
    const over = mount.getBoundingClientRect().bottom - (window.innerHeight - 8);
    const charts = [chart, chart2].filter(Boolean);
    for (const c of charts) {
      const target = Math.min(c.initialHeight, c.o.height - over / charts.length);
      const h = Math.max(100, Math.floor(target));
      if (Math.abs(h - c.o.height) >= 2) c.setHeight(h);
    }
  }

  // The fastest record's share of the machine's peak (threads × the per-core
  // ceiling the worker measures right after loading; Environment re-runs it).
  function peakShare() {
    const rated = records.filter((r) => Number.isFinite(r.gflops) && r.gflops > 0);
    if (!rated.length) return '';
    const best = rated.reduce((a, b) => (b.gflops > a.gflops ? b : a));
    const where = `${best.method} at ${cfg.x.label.split(' ')[0]} = ${Number(best[cfg.x.key]).toLocaleString('en')}`;
    if (!calibration.gflops) return `Fastest: ${where}, ${fmt(best.gflops)} GFLOP/s.`;
    const peak = calibration.gflops * (best.threads || 1);
    return `Fastest: ${where}, ${fmt(best.gflops)} GFLOP/s = ${Math.round((100 * best.gflops) / peak)} % of this machine's peak (${best.threads || 1} × ${fmt(calibration.gflops)} GFLOP/s).`;
  }

  function update() {
    const extra = cfg.caption ? cfg.caption(chart, records) : '';
    const fits = chart.fits();
    const parts = [];
    for (const [name, f] of fits) if (f) parts.push(`${name} ${f.slope.toFixed(2)}`);
    const slopes = cfg.fit !== false && parts.length
      ? `Measured log-log slopes${cfg.fitLast ? ` over the ${cfg.fitLast} largest ${cfg.x.label}` : ''}: ${parts.join(', ')}. `
      : '';
    captionEl.textContent = `${slopes}${extra || ''} ${peakShare()}`.trim();
    chart.setRefLines(cfg.refLines ? cfg.refLines(chart, state, records) : []);
    if (state.embed) fitSlide();
  }

  // Time (s, the sum of points) and memory (bytes, the largest point) of a plan.
  async function estimateAll(requests) {
    let seconds = 0;
    let memory = 0;
    const weights = [];
    for (const r of requests) {
      const e = await cfg.estimate(r);
      seconds += e.seconds;
      memory = Math.max(memory, e.memory);
      weights.push(e.seconds);
    }
    return { seconds, memory, weights };
  }

  // A sweep too long or too large is not started: the error box says why and
  // offers the largest "to" that fits (and, when only time is the problem,
  // running it anyway).
  async function offerSmaller(estimate, budget) {
    const lo = Math.min(state[cfg.x.minKey], state[cfg.x.maxKey]);
    const hi = Math.max(state[cfg.x.minKey], state[cfg.x.maxKey]);
    let fit = null;
    for (const x of cfg.x.choices.filter((v) => v >= lo && v < hi).reverse()) {
      const e = await estimateAll(plan(x).requests);
      if (e.memory <= budget && e.seconds <= LONG_SWEEP_SECONDS) {
        fit = { x, seconds: e.seconds };
        break;
      }
    }
    const name = cfg.x.label.split(' ')[0];
    const why = estimate.memory > budget
      ? `The largest point needs ${fmt(estimate.memory / 1048576)} MiB, more than the memory budget of ${fmt(info.memoryBudgetMB)} MiB.`
      : `This sweep would take about ${fmtSeconds(estimate.seconds)} on this machine.`;
    const buttons = [];
    if (fit) {
      buttons.push(el('button', { type: 'button', 'data-offer': 'smaller', onclick: () => {
        form.xmax.value = String(fit.x);
        read();
        run();
      } }, `Run to ${name} = ${fit.x.toLocaleString('en')} (about ${fmtSeconds(fit.seconds)})`));
    }
    if (estimate.memory <= budget) {
      buttons.push(el('button', { type: 'button', 'data-offer': 'anyway', onclick: () => run({ confirmed: true }) }, 'Run it anyway'));
    }
    ui.errorBox.hidden = false;
    ui.errorBox.replaceChildren(el('span', {}, `${why} ${fit ? '' : `Even the smallest range is too much: lower "from" or the other sizes.`}`.trim()),
      ...(buttons.length ? [el('span', { class: 'offer' }, ...buttons)] : []));
  }

  async function run({ confirmed = false } = {}) {
    read();
    showError(ui.errorBox, '');
    if (!form.reportValidity()) return;
    const { requests, skipped } = plan();
    if (!requests.length) {
      showError(ui.errorBox, skipped.length ? `Nothing to run: ${skipped.join('; ')}` : 'Choose at least one method.');
      return;
    }
    let weights;
    if (cfg.estimate) {
      const estimate = await estimateAll(requests);
      const budget = info.memoryBudgetMB * 1048576;
      if (estimate.memory > budget || (estimate.seconds > LONG_SWEEP_SECONDS && !confirmed)) {
        await offerSmaller(estimate, budget);
        return;
      }
      weights = estimate.weights;
    }
    chart.clear();
    chart2?.clear();
    records = [];
    exports.hidden = true;
    if (skipped.length) showError(ui.errorBox, `Skipped: ${skipped.join('; ')}.`);
    await runWithProgress(client, requests, {
      ui,
      weights,
      onRecord: (r) => {
        records.push(r);
        const y = r[cfg.y.key];
        const series = cfg.seriesName ? cfg.seriesName(r) : r.method;
        const x = r[cfg.x.recordKey || cfg.x.key];
        if (Number.isFinite(y) && (y > 0 || cfg.logY === false)) chart.add(series, x, y, r);
        const y2 = cfg.y2 ? r[cfg.y2.key] : NaN;
        if (chart2 && Number.isFinite(y2) && (y2 > 0 || cfg.y2.logY === false)) chart2.add(series, x, y2, r);
        update();
        exports.hidden = false;
        chartEl.dataset.count = String(records.length);
      },
    });
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  exports.addEventListener('click', (e) => {
    const kind = e.target.dataset.export;
    const name = `subquad-${id}`;
    if (kind === 'csv') exportCSV(name, records);
    if (kind === 'json') exportJSON(name, records);
    if (kind === 'png') exportPNG(name, chart.toPNG());
  });
  return { run, chart, chart2, records: () => records };
}
