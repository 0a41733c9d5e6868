// A generic sweep experiment: methods × values of one x parameter, measured
// in the worker, streamed into a log-log chart with fitted slopes. Panels
// describe their experiment (suite, x, y, fixed controls, estimate) and get
// the form, the plan and its estimate (refused or offered smaller when too
// long or too large), progress/ETA/cancel, chart, caption and exports.
// What to run and what it costs is decided in ./plan.js (pure, tested in Node).
import { LogLogChart } from './chart.js';
import { slopeText } from './fit.js';
import { el, fmt, fmtMiB, fmtSeconds, showError, showNote, runWithProgress, runControls, copyLinkButton, exportCSV, exportJSON, exportPNG, calibration } from './ui.js';
import { sweepPoints, estimatePoints, refusal, largestFit, LONG_SWEEP_SECONDS } from './plan.js';
import { SCHEMA } from './state.js';

/**
 * @param {object} cfg
 *   id          prefix for element ids (e.g. 'sweep' → #sweep-run, #sweep-chart)
 *   label       names the run for panels queued behind it ("Attention sweep")
 *   mount       element to build into
 *   client, info, state, saveState
 *   methods     [{ name, summary }] to choose from; cfg.methodsKey is the state key of the choice
 *   x           { key, label, choices: [numbers], minKey, maxKey }  (state keys for the range)
 *   y           { key: 'median_ms', label, range: [min, max] (optional, fixed) }
 *   y2          an optional second chart from the same records: { key, label, logY, fit, range }
 *   controls    [{ key, label, type: 'number'|'select'|'threads'|'range', min, max, step, options, stateKey }]
 *   request(method, x, state) → the measure request for one point (or { skip: reason })
 *   estimate(request, env) → { seconds, memory } or a promise (env: info, peakGflops, cost);
 *               required: every sweep is estimated before it starts (./plan.js has one per suite)
 *   caption(chart, records) → text (optional), refLines(chart, state) → [{x, label}] (optional)
 *   seriesName(record) → the series a record belongs to (default: its method)
 *   fitLast     fit slopes over this many largest x (0 = all)
 *   logY        default true
 */
export function mountSweep(cfg) {
  if (typeof cfg.estimate !== 'function') throw new Error(`sweep ${cfg.id}: needs an estimate`);
  const { id, mount, client, info, state, saveState } = cfg;
  const form = sweepForm(cfg);
  const ui = runControls(id);
  const read = () => {
    form.read();
    saveState();
  };
  const copy = copyLinkButton({ id: `${id}-copy-link`, state, read, run: id });
  const charts = sweepCharts(cfg);
  const exports = sweepExports(cfg, charts);
  const status = el('div', { id: `${id}-status`, class: 'sweep-status' }, ui.progress, ui.errorBox, ui.note);
  if (state.embed) {
    // On a slide the chart is the point: settings and exports fold into one
    // button each, run status floats over the chart's corner.
    form.settings.append(copy);
    form.el.append(el('div', { class: 'buttons' }, ui.runButton, ui.cancelButton, exports.el));
    mount.append(form.el, el('div', { class: `chart-area${cfg.y2 ? ' two' : ''}` }, status, charts.chartEl), charts.captionEl);
  } else {
    form.el.append(el('div', { class: 'buttons' }, ui.runButton, ui.cancelButton, copy));
    mount.append(form.el, status, charts.chartEl, charts.captionEl, exports.el);
  }
  charts.create();
  const hint = () => charts.setXHint(cfg.x.choices.filter((v) => v >= state[cfg.x.minKey] && v <= state[cfg.x.maxKey]));
  hint();
  form.el.addEventListener('change', hint);
  ui.runButton.disabled = false;
  const planner = sweepPlanner(cfg);

  form.el.addEventListener('change', read, { capture: true });

  async function run({ confirmed = false } = {}) {
    read();
    showError(ui.errorBox, '');
    showNote(ui.note, '');
    delete ui.errorBox.dataset.refused;
    if (!form.el.reportValidity()) return;
    const { requests, skipped } = planner.points();
    if (!requests.length) {
      showError(ui.errorBox, skipped.length ? `Nothing to run: ${skipped.join('; ')}` : 'Choose at least one method.');
      return;
    }
    let estimate;
    try {
      estimate = await planner.estimate(requests);
    } catch (e) {
      showError(ui.errorBox, e.message); // a cost model refused the shape, with its numbers
      return;
    }
    const why = refusal(estimate, { budgetBytes: planner.budgetBytes, confirmed });
    if (why) {
      await offerSmaller(why, estimate, requests);
      return;
    }
    charts.clear();
    exports.hide();
    // Points left out on purpose are information, not an error.
    if (skipped.length) showNote(ui.note, `Skipped: ${skipped.join('; ')}.`);
    await runWithProgress(client, requests, {
      ui,
      label: cfg.label,
      weights: estimate.weights,
      onRecord: (r) => {
        charts.add(r);
        exports.show();
      },
    });
  }

  // A sweep too long or too large is not started: the error box says why and
  // offers what would fit — the largest "to"; for memory, the method at
  // fault and a smaller value of the option that sizes it, or the sweep
  // without that method; for time, running it anyway.
  async function offerSmaller(why, estimate, requests) {
    const fit = await planner.largestFit();
    const name = cfg.x.label.split(' ')[0];
    const buttons = [];
    let reason;
    if (why === 'memory') {
      const k = estimate.memories.indexOf(Math.max(...estimate.memories));
      const worst = requests[k];
      reason = `${worst.method} at ${name} = ${Number(worst[cfg.x.key]).toLocaleString('en')} needs ${fmtMiB(estimate.memory / 1048576)}, ` +
        `more than the memory budget of ${fmtMiB(planner.budgetBytes / 1048576)}.`;
      const smaller = await planner.smallerOption(worst);
      if (smaller) {
        reason += ` It fits with ${smaller.label} = ${smaller.value.toLocaleString('en')}.`;
        buttons.push(el('button', { type: 'button', 'data-offer': 'option', onclick: () => {
          form.el.elements[smaller.key].value = String(smaller.value);
          read();
          run();
        } }, `Run with ${smaller.label} = ${smaller.value.toLocaleString('en')}`));
      }
      const others = String(state[cfg.methodsKey]).split(',').filter((m) => m && m !== worst.method);
      if (others.length) {
        buttons.push(el('button', { type: 'button', 'data-offer': 'without', onclick: () => {
          for (const box of form.el.querySelectorAll('input[name=method]')) if (box.value === worst.method) box.checked = false;
          read();
          run();
        } }, `Run without ${worst.method}`));
      }
    } else {
      reason = `This sweep would take about ${fmtSeconds(estimate.seconds)} on this machine.`;
    }
    if (fit) {
      buttons.push(el('button', { type: 'button', 'data-offer': 'smaller', onclick: () => {
        form.el.xmax.value = String(fit.x);
        read();
        run();
      } }, `Run to ${name} = ${fit.x.toLocaleString('en')} (about ${fmtSeconds(fit.seconds)})`));
    }
    if (why === 'time') {
      buttons.push(el('button', { type: 'button', 'data-offer': 'anyway', onclick: () => run({ confirmed: true }) }, 'Run it anyway'));
    }
    ui.errorBox.hidden = false;
    ui.errorBox.dataset.refused = why;
    ui.errorBox.replaceChildren(el('span', {}, `${reason} ${buttons.length ? '' : 'Even the smallest range is too much: lower "from" or the other sizes.'}`.trim()),
      ...(buttons.length ? [el('span', { class: 'offer' }, ...buttons)] : []));
  }

  form.el.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  return { run, chart: charts.chart, chart2: charts.chart2, records: () => charts.records };
}

// ---- the form: methods, the x range, the panel's controls ↔ state -------------

function sweepForm({ id, methods, methodsKey, x, controls, info, state }) {
  const form = el('form', { id: `${id}-form`, class: 'controls', autocomplete: 'off' });
  // Embedded, everything but the range sits behind one "Settings" button.
  const settings = state.embed ? el('div', { class: 'popover-body' }) : form;
  const methodBox = el('div', { id: `${id}-methods` });
  const chosen = new Set(String(state[methodsKey] || '').split(',').filter((m) => methods.some((c) => c.name === m)));
  if (!chosen.size && methods.length) chosen.add(methods[0].name);
  for (const m of methods) {
    methodBox.append(el('label', { class: 'check', title: m.summary },
      el('input', { type: 'checkbox', name: 'method', value: m.name, checked: chosen.has(m.name) }), ` ${m.name}`));
  }
  settings.append(el('fieldset', { class: 'methods' }, el('legend', {}, 'methods'), methodBox));

  const rangeSelect = (name, key) => {
    const sel = el('select', { name, id: `${id}-${name}` });
    for (const v of x.choices) sel.append(el('option', { value: String(v) }, x.format ? x.format(v) : v.toLocaleString('en')));
    const value = Number(state[key]);
    sel.value = String(x.choices.includes(value) ? value : x.choices[0]);
    return sel;
  };
  form.append(el('label', {}, `${x.label} from `, rangeSelect('xmin', x.minKey)), el('label', {}, 'to ', rangeSelect('xmax', x.maxKey)));
  if (state.embed) form.append(el('details', { class: 'popover settings', id: `${id}-settings` }, el('summary', {}, 'Settings'), settings));

  for (const c of controls) {
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
      input = el('input', { name: c.stateKey, type: 'range', min: c.min ?? SCHEMA[c.stateKey]?.min, max: c.max ?? SCHEMA[c.stateKey]?.max, step: c.step || 'any' });
      input.value = String(state[c.stateKey]);
      const shown = el('output', { for: `${id}-${c.stateKey}` }, input.value);
      input.id = `${id}-${c.stateKey}`;
      input.addEventListener('input', () => { shown.textContent = input.value; });
      settings.append(el('label', { title: c.title, class: 'range' }, `${c.label} `, el('span', { class: 'range-row' }, input, shown)));
      continue;
    } else {
      // Limits from the state schema, i.e. from the library's (state.js).
      const spec = SCHEMA[c.stateKey] ?? {};
      input = el('input', { name: c.stateKey, type: 'number', min: spec.min, max: spec.max, step: c.step || (spec.type === 'int' ? 1 : 'any'), required: true });
      input.value = String(state[c.stateKey]);
    }
    settings.append(el('label', { title: c.title }, `${c.label} `, input));
  }

  function read() {
    state[methodsKey] = [...form.querySelectorAll('input[name=method]:checked')].map((i) => i.value).join(',');
    state[x.minKey] = Number(form.xmin.value);
    state[x.maxKey] = Number(form.xmax.value);
    for (const c of controls) {
      const v = form.elements[c.stateKey].value;
      if (c.type === 'threads') state[c.stateKey] = Number(v) === info.threads ? 0 : Number(v);
      else if (c.type === 'select') state[c.stateKey] = v;
      else state[c.stateKey] = Number(v);
    }
  }
  return { el: form, read, settings };
}

// ---- the plan and its estimate (./plan.js), with this page's cost models ------

function sweepPlanner(cfg) {
  const { client, info, state } = cfg;
  const env = { info, get peakGflops() { return calibration.gflops; }, cost: (fn, ...args) => client.call(fn, ...args) };
  const estimateOne = (r) => cfg.estimate(r, env);
  const range = () => ({ lo: state[cfg.x.minKey], hi: state[cfg.x.maxKey] });
  const points = (upTo) => sweepPoints({
    methods: String(state[cfg.methodsKey]).split(',').filter(Boolean),
    choices: cfg.x.choices, ...range(), upTo,
    request: (m, x) => cfg.request(m, x, state),
  });
  const budgetBytes = info.memoryBudgetMB * 1048576;
  // The form's number option whose smaller value lets `request` (its method,
  // its x) fit the memory budget with the least change: { key, label, value } or null.
  const smallerOption = async (request) => {
    const x = request[cfg.x.key];
    const found = [];
    for (const c of cfg.controls.filter((k) => k.type === 'number')) {
      const v = Number(state[c.stateKey]);
      const min = Math.max(SCHEMA[c.stateKey]?.min ?? 0, Number.MIN_VALUE);
      const tries = [];
      if (Number.isInteger(v)) for (let t = v > 16 ? Math.floor(v / 2) : v - 1; t >= min && tries.length < 12; t = t > 16 ? Math.floor(t / 2) : t - 1) tries.push(t);
      else for (let t = v / 2; t >= min && tries.length < 8; t /= 2) tries.push(t);
      for (const t of tries) {
        const r = cfg.request(request.method, x, { ...state, [c.stateKey]: t });
        if (!r || r.skip || JSON.stringify(r) === JSON.stringify(request)) break; // this option does not size it
        try {
          if ((await estimateOne(r)).memory <= budgetBytes) {
            found.push({ key: c.stateKey, label: c.label, value: t, change: (v - t) / v });
            break;
          }
        } catch {
          break;
        }
      }
    }
    return found.sort((a, b) => a.change - b.change)[0] ?? null;
  };
  return {
    budgetBytes,
    smallerOption,
    points,
    estimate: (requests) => estimatePoints(requests, estimateOne),
    largestFit: () => largestFit({ choices: cfg.x.choices, ...range(), pointsUpTo: (x) => points(x).requests,
      estimateOne, budgetBytes, maxSeconds: LONG_SWEEP_SECONDS }).catch(() => null),
  };
}

// ---- charts: records in, points, caption, reference lines, embed layout -------

function sweepCharts(cfg) {
  const { id, state } = cfg;
  const chartEl = el('div', { id: `${id}-chart`, 'aria-label': `${cfg.y.label} vs ${cfg.x.label}, log-log, one series per method` });
  const captionEl = el('p', { id: `${id}-caption`, class: 'caption', 'aria-live': 'polite' });
  const self = { chartEl, captionEl, chart: null, chart2: null, records: [] };

  // In embed mode the chart takes the height left on the slide below the
  // form, less room for its legend (two lines) and a two-line caption, and
  // never less than half the slide; two charts stand side by side.
  const height = () => {
    if (!state.embed) return 320;
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    const top = chartEl.getBoundingClientRect().top;
    const reserve = 2 * 1.5 * 0.9 * rem + 0.3 * rem + 2 * 1.5 * 1.05 * rem + 0.3 * rem + 12;
    return Math.round(Math.max(minEmbedHeight(), window.innerHeight - top - reserve));
  };

  // Built once the elements are in the page (the embed height needs their place).
  self.create = () => {
    self.chart = new LogLogChart(chartEl, { xLabel: cfg.x.label, yLabel: cfg.y.label, fitLast: cfg.fitLast ?? 4,
      logY: cfg.logY ?? true, fit: cfg.fit ?? true, height: height(), yRange: cfg.y.range, embed: state.embed });
    // An optional second chart from the same records (e.g. time beside accuracy).
    if (cfg.y2) {
      const el2 = el('div', { id: `${id}-chart2`, 'aria-label': `${cfg.y2.label} vs ${cfg.x.label}` });
      chartEl.after(el2);
      self.chart2 = new LogLogChart(el2, { xLabel: cfg.x.label, yLabel: cfg.y2.label, fitLast: cfg.y2.fitLast ?? 4,
        logY: cfg.y2.logY ?? true, fit: cfg.y2.fit ?? true, height: height(), yRange: cfg.y2.range, embed: state.embed });
    }
    for (const c of [self.chart, self.chart2]) if (c) c.initialHeight = c.o.height;
  };

  self.setXHint = (xs) => {
    self.chart.setXHint(xs);
    self.chart2?.setXHint(xs);
  };

  self.clear = () => {
    self.chart.clear();
    self.chart2?.clear();
    self.records = [];
  };

  self.add = (r) => {
    self.records.push(r);
    const series = cfg.seriesName ? cfg.seriesName(r) : r.method;
    const x = r[cfg.x.recordKey || cfg.x.key];
    const y = r[cfg.y.key];
    if (Number.isFinite(y) && (y > 0 || cfg.logY === false)) self.chart.add(series, x, y, r);
    const y2 = cfg.y2 ? r[cfg.y2.key] : NaN;
    if (self.chart2 && Number.isFinite(y2) && (y2 > 0 || cfg.y2.logY === false)) self.chart2.add(series, x, y2, r);
    update();
    chartEl.dataset.count = String(self.records.length);
  };

  function update() {
    const { chart, records } = self;
    const extra = cfg.caption ? cfg.caption(chart, records) : '';
    const parts = [];
    for (const [name, f] of chart.fits()) if (f) parts.push(`${name} ${slopeText(f)}`);
    const slopes = cfg.fit !== false && parts.length
      ? `Measured log-log slopes (± 95 % interval)${cfg.fitLast ? ` over the ${cfg.fitLast} largest ${cfg.x.label}` : ''}: ${parts.join('; ')}. `
      : '';
    const full = `${slopes}${extra || ''} ${peakShare(records, cfg.x)}`.trim();
    // On a slide the legend carries the slopes: the caption says only the panel's finding.
    captionEl.textContent = state.embed ? (extra || full) : full;
    captionEl.title = state.embed ? full : '';
    chart.setRefLines(cfg.refLines ? cfg.refLines(chart, state, records) : []);
    if (state.embed) fitSlide(cfg.mount, [self.chart, self.chart2].filter(Boolean));
  }
  return self;
}

// The fastest record's share of the machine's peak (threads × the per-core
// ceiling the worker measures right after loading; Environment re-runs it).
function peakShare(records, x) {
  const rated = records.filter((r) => Number.isFinite(r.gflops) && r.gflops > 0);
  if (!rated.length) return '';
  const best = rated.reduce((a, b) => (b.gflops > a.gflops ? b : a));
  const where = `${best.method} at ${x.label.split(' ')[0]} = ${Number(best[x.key]).toLocaleString('en')}`;
  if (!calibration.gflops) return `Fastest: ${where}, ${fmt(best.gflops)} GFLOP/s.`;
  const peak = calibration.gflops * (best.threads || 1);
  return `Fastest: ${where}, ${fmt(best.gflops)} GFLOP/s = ${Math.round((100 * best.gflops) / peak)} % of this machine's peak (${best.threads || 1} × ${fmt(calibration.gflops)} GFLOP/s).`;
}

// Embed mode has no scroll bars: when a longer caption pushes the panel past
// the slide's bottom, the chart(s) give up that height. Measured on this
// sweep's own block (tooltips and legends positioned elsewhere do not count);
// charts grow back, up to their first height, when the caption shrinks again.
function fitSlide(mount, charts) {
  const over = mount.getBoundingClientRect().bottom - (window.innerHeight - 8);
  for (const c of charts) {
    const target = Math.min(c.initialHeight, c.o.height - over);
    const h = Math.max(minEmbedHeight(), Math.floor(target));
    if (Math.abs(h - c.o.height) >= 2) c.setHeight(h);
  }
}

/** Embedded, a chart keeps at least half the slide. */
function minEmbedHeight() {
  return Math.ceil(0.5 * window.innerHeight);
}

// ---- exports: CSV, JSON lines, the chart as PNG --------------------------------

function sweepExports({ id, state }, charts) {
  const buttons = [
    el('button', { type: 'button', 'data-export': 'csv' }, 'Export CSV'),
    el('button', { type: 'button', 'data-export': 'json' }, 'Export JSON'),
    el('button', { type: 'button', 'data-export': 'png' }, 'Chart as PNG'),
  ];
  // Embedded: one "Export" button that opens the three.
  const box = state.embed
    ? el('details', { class: 'popover exports exports-menu', id: `${id}-exports`, hidden: true }, el('summary', {}, 'Export'), el('div', { class: 'popover-body' }, ...buttons))
    : el('div', { class: 'exports', id: `${id}-exports`, hidden: true }, ...buttons);
  box.addEventListener('click', (e) => {
    const kind = e.target.dataset.export;
    const name = `subquad-${id}`;
    if (kind === 'csv') exportCSV(name, charts.records);
    if (kind === 'json') exportJSON(name, charts.records);
    if (kind === 'png') exportPNG(name, charts.chart.toPNG());
    if (kind && box.open) box.open = false;
  });
  return { el: box, show: () => { box.hidden = false; }, hide: () => { box.hidden = true; } };
}
