// Attention panel: a time-vs-n sweep over the registry's methods (log-log,
// fitted slopes) and a single run of one method at one shape.
import { LogLogChart } from '../chart.js';
import { toQuery } from '../state.js';
import { measuredCrossover } from '../fit.js';
import { $, el, fmt, fmtSeconds, showError, runWithProgress, runControls, exportCSV, exportJSON, exportPNG } from '../ui.js';

const N_CHOICES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];
const SLOW_METHODS = { exact_reference: 0.3 }; // GFLOP/s guesses for the time estimate
const DEFAULT_SPEED = 8;
const REFERENCE_MAX_N = 4096; // the double-precision reference is O(n²d) with no SIMD

export function mountAttention(ctx) {
  mountSweep(ctx);
  mountSingleRun(ctx);
}

function fillThreads(select, info, value) {
  select.replaceChildren();
  for (let t = info.threads; t >= 1; t--) {
    select.append(el('option', { value: String(t) }, t === info.threads ? `${t} (all)` : String(t)));
  }
  select.value = String(value && value <= info.threads ? value : info.threads);
}

// In embed mode the chart takes what the 16:9 frame leaves (no scroll bars).
function chartHeight(state) {
  if (!state.embed) return 320;
  const top = document.querySelector('#sweep-chart').getBoundingClientRect().top;
  return Math.max(160, Math.round(window.innerHeight - top - 140 * state.fontscale));
}

// ---- time vs n -------------------------------------------------------------

function mountSweep({ client, info, methods, state, saveState }) {
  const form = $('#sweep-form');
  const names = methods.attention.map((m) => m.name);
  const box = $('#sweep-methods');
  const chosen = new Set(state.methods.split(',').filter((m) => names.includes(m)));
  if (!chosen.size) chosen.add('exact');
  for (const m of methods.attention) {
    box.append(el('label', { class: 'check', title: m.summary },
      el('input', { type: 'checkbox', name: 'method', value: m.name, checked: chosen.has(m.name) }), ` ${m.name}`));
  }
  for (const [sel, value] of [[$('#sweep-nmin'), state.nmin], [$('#sweep-nmax'), state.nmax]]) {
    for (const n of N_CHOICES) sel.append(el('option', { value: String(n) }, n.toLocaleString('en')));
    sel.value = String(N_CHOICES.includes(value) ? value : N_CHOICES[4]);
  }
  form.d.value = state.d;
  form.B.value = state.B;
  fillThreads(form.threads, info, state.threads);

  const ui = runControls('sweep');
  $('#sweep-buttons').append(ui.runButton, ui.cancelButton);
  $('#sweep-status').append(ui.progress, ui.errorBox);
  ui.runButton.disabled = false;

  const chart = new LogLogChart($('#sweep-chart'), { xLabel: 'n (tokens)', yLabel: 'median time (ms)', fitLast: 4, height: chartHeight(state) });
  let records = [];

  function read() {
    state.methods = [...form.querySelectorAll('input[name=method]:checked')].map((i) => i.value).join(',');
    state.nmin = Number(form.nmin.value);
    state.nmax = Number(form.nmax.value);
    state.d = Number(form.d.value);
    state.B = Number(form.B.value);
    state.threads = Number(form.threads.value) === info.threads ? 0 : Number(form.threads.value);
    saveState();
  }
  form.addEventListener('change', read);

  function plan() {
    const list = state.methods.split(',').filter(Boolean);
    const ns = N_CHOICES.filter((n) => n >= Math.min(state.nmin, state.nmax) && n <= Math.max(state.nmin, state.nmax));
    const requests = [];
    const skipped = [];
    for (const n of ns) {
      for (const method of list) {
        if (method === 'exact_reference' && n > REFERENCE_MAX_N) {
          skipped.push(`${method} at n = ${n}`);
          continue;
        }
        requests.push({ suite: 'attention', method, n, d: state.d, B: state.B, scale: state.scale,
          threads: state.threads, min_ms: 100, check_rows: 8 });
      }
    }
    return { requests, skipped };
  }

  async function estimate(requests) {
    let seconds = 0;
    let peakMemory = 0;
    const weights = [];
    for (const r of requests) {
      const c = await client.call('attentionCost', r.method, r.n, r.d, { threads: r.threads });
      const speed = SLOW_METHODS[r.method] ?? DEFAULT_SPEED * (info.flavour === 'mt' ? info.threads : 1) ** 0.8;
      const one = c.flops / (speed * 1e9);
      const s = Math.max(0.1, one) + one; // timing loop ≥ 100 ms, plus a warm-up run
      seconds += s;
      weights.push(s);
      peakMemory = Math.max(peakMemory, c.memory_bytes + 16 * r.n * r.d);
    }
    return { seconds, weights, peakMemory };
  }

  function caption() {
    const fits = chart.fits();
    const parts = [];
    for (const [name, f] of fits) if (f) parts.push(`${name} ${f.slope.toFixed(2)}`);
    let text = parts.length ? `Measured log-log slopes over the 4 largest n: ${parts.join(', ')} (2 means time ∝ n², 1 means ∝ n).` : '';
    const series = new Map([...chart.series].map(([name, pts]) => [name, new Map([...pts].map(([x, p]) => [x, p.y]))]));
    const quadratic = ['flash', 'exact'].find((m) => series.has(m));
    const lines = [];
    if (quadratic) {
      for (const [name, pts] of series) {
        if (name === quadratic || name.startsWith('exact')) continue;
        const x = measuredCrossover(series.get(quadratic), pts);
        if (x) {
          text += ` ${name} is faster than ${quadratic} from n = ${x.toLocaleString('en')} on.`;
          lines.push({ x, label: `${name} < ${quadratic}` });
        }
      }
    }
    chart.setRefLines(lines);
    $('#sweep-caption').textContent = text;
  }

  async function run() {
    read();
    showError(ui.errorBox, '');
    if (!form.reportValidity()) return;
    const { requests, skipped } = plan();
    if (!requests.length) {
      showError(ui.errorBox, 'Choose at least one method.');
      return;
    }
    const est = await estimate(requests);
    const budget = info.memoryBudgetMB * 1048576;
    if (est.peakMemory > budget) {
      showError(ui.errorBox, `The largest point needs ${fmt(est.peakMemory / 1048576)} MiB, more than the memory budget of ${fmt(info.memoryBudgetMB)} MiB. Lower "to".`);
      return;
    }
    if (est.seconds > 120 && !confirm(`This sweep will take about ${fmtSeconds(est.seconds)} on this machine. Run it anyway? (Cancel, then lower "to" for a quicker one.)`)) {
      return;
    }
    chart.clear();
    records = [];
    $('#sweep-exports').hidden = true;
    if (skipped.length) showError(ui.errorBox, `Skipped (the O(n²d) double-precision reference would take too long): ${skipped.join(', ')}.`);
    await runWithProgress(client, requests, {
      ui,
      weights: est.weights,
      onRecord: (r) => {
        records.push(r);
        chart.add(r.method, r.n, r.median_ms, r);
        caption();
        $('#sweep-exports').hidden = false;
        $('#sweep-chart').dataset.count = String(records.length);
      },
    });
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  $('#sweep-exports').addEventListener('click', (e) => {
    const kind = e.target.dataset.export;
    if (kind === 'csv') exportCSV('subquad-attention-time-vs-n', records);
    if (kind === 'json') exportJSON('subquad-attention-time-vs-n', records);
    if (kind === 'png') exportPNG('subquad-attention-time-vs-n', chart.toPNG());
  });
  if (state.autorun && state.panel === 'attention' && state.run === 'sweep') run();
}

// ---- single run -----------------------------------------------------------

function mountSingleRun({ client, info, methods, state, saveState }) {
  const form = $('#attention-form');
  const select = $('#attention-method');
  for (const m of methods.attention) select.append(el('option', { value: m.name, title: m.summary }, m.name));
  if (!methods.attention.some((m) => m.name === state.method)) state.method = 'exact';
  form.method.value = state.method;
  form.n.value = state.n;
  form.d.value = state.d;
  form.B.value = state.B;
  form.scale.value = state.scale;
  form.causal.checked = state.causal;
  fillThreads(form.threads, info, state.threads);
  const ui = {
    runButton: $('#attention-run'),
    cancelButton: $('#attention-cancel'),
    progress: $('#attention-progress'),
    errorBox: $('#attention-error'),
  };
  ui.runButton.disabled = false;

  function read() {
    state.method = form.method.value;
    state.n = Number(form.n.value);
    state.d = Number(form.d.value);
    state.B = Number(form.B.value);
    state.scale = form.scale.value;
    state.causal = form.causal.checked;
    state.threads = Number(form.threads.value) === info.threads ? 0 : Number(form.threads.value);
    saveState();
  }

  function addHistoryRow(r) {
    const table = $('#attention-history');
    table.hidden = false;
    const cells = [r.method, r.n, r.d, r.B ?? '—', r.flavour, r.threads, fmt(r.median_ms), fmt(r.gflops), fmt(r.error, 2)];
    table.tBodies[0].prepend(el('tr', {}, cells.map((c) => el('td', {}, String(c)))));
  }

  async function run() {
    read();
    showError(ui.errorBox, '');
    if (!form.reportValidity()) return;
    const request = {
      suite: 'attention', method: state.method, n: state.n, d: state.d, B: state.B,
      scale: state.scale, causal: state.causal, threads: state.threads, min_ms: 300,
    };
    const result = $('#attention-result');
    await runWithProgress(client, [request], {
      ui,
      onRecord: (r) => {
        result.replaceChildren(el('p', { class: 'headline' },
          `${r.method}: ${fmt(r.median_ms)} ms (median of ${r.reps}) · ${fmt(r.gflops)} GFLOP/s · relative error ${fmt(r.error, 2)} vs the double-precision reference · ${r.flavour}, ${r.threads} thread${r.threads > 1 ? 's' : ''}`));
        result.dataset.record = JSON.stringify(r);
        result.dataset.count = String(Number(result.dataset.count || 0) + 1);
        addHistoryRow(r);
      },
    });
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  form.addEventListener('change', read);
  $('#copy-link').addEventListener('click', async () => {
    read();
    const url = `${location.origin}${location.pathname}${toQuery({ ...state, autorun: true, run: 'single' })}`;
    try {
      await navigator.clipboard.writeText(url);
      $('#copy-link').textContent = 'Link copied';
    } catch {
      prompt('Copy this link:', url);
    }
    setTimeout(() => ($('#copy-link').textContent = 'Copy link'), 1500);
  });
  if (state.autorun && state.panel === 'attention' && state.run === 'single') run();
}
