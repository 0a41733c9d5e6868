// Page boot: state from the URL, one worker that owns the WASM module, panels
// that send requests and draw what comes back. No kernel runs on this thread.
import { LabClient } from './client.js';
import { fromQuery, toQuery } from './state.js';

const $ = (sel, root = document) => root.querySelector(sel);
const state = fromQuery(location.search);
let client = null;
let info = null;

function saveState() {
  history.replaceState(null, '', `${location.pathname}${toQuery(state)}${location.hash}`);
}

function fmt(x, digits = 3) {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(2);
  return Number(x.toPrecision(digits)).toString();
}

// ---- panels and navigation ----------------------------------------------

function showPanel(name) {
  state.panel = name;
  for (const section of document.querySelectorAll('.panel')) section.hidden = section.dataset.panel !== name;
  for (const a of document.querySelectorAll('.panels-nav a')) {
    a.setAttribute('aria-current', a.dataset.panel === name ? 'page' : 'false');
  }
  saveState();
}

for (const a of document.querySelectorAll('.panels-nav a')) {
  a.addEventListener('click', (e) => {
    e.preventDefault();
    showPanel(a.dataset.panel);
  });
}

// ---- environment badge and note ---------------------------------------------

function renderBadge() {
  const badge = $('#badge');
  const threads = info.flavour === 'mt' ? `${info.threads} threads` : '1 thread';
  badge.textContent = `${info.flavour === 'mt' ? 'SIMD + threads' : 'SIMD, single-threaded'} · ${threads} · timer ${fmt(info.timerResolutionMs * 1000, 2)} µs`;
  badge.dataset.flavour = info.flavour;
  badge.title = `WASM flavour "${info.flavour}", version ${info.version}`;
  const note = $('#isolation-note');
  if (!info.crossOriginIsolated) {
    const inFrame = window.self !== window.top;
    note.hidden = false;
    note.innerHTML = inFrame
      ? 'Threads are off: single-threaded because the slides are not isolated — <a target="_blank" rel="noopener">open in full page for threads</a>.'
      : 'Threads are off: this page is not cross-origin isolated (the server sends no COOP/COEP headers), so the browser withholds SharedArrayBuffer and the single-threaded build runs. <code>npm start</code> serves it isolated.';
    const link = note.querySelector('a');
    if (link) {
      const q = { ...state, embed: false };
      link.href = `${location.pathname}${toQuery(q)}`;
    }
  }
}

function renderEnvironment() {
  const rows = [
    ['flavour', `${info.flavour} (${info.flavour === 'mt' ? 'SIMD + pthreads' : 'SIMD only'})`],
    ['threads available', info.threads],
    ['hardware threads', info.hardwareThreads],
    ['cross-origin isolated', info.crossOriginIsolated ? 'yes' : 'no'],
    ['WebAssembly SIMD', info.simd ? 'yes' : 'no'],
    ['timer resolution', `${fmt(info.timerResolutionMs * 1000, 2)} µs`],
    ['memory budget', `${fmt(info.memoryBudgetMB, 4)} MiB`],
    ['browser', navigator.userAgent],
    ['subquad version', info.version],
  ];
  const dl = $('#env-list');
  dl.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = String(v);
    dl.append(dt, dd);
  }
}

// ---- attention panel ------------------------------------------------------

const form = $('#attention-form');

function fillAttentionControls(methods) {
  const select = $('#attention-method');
  for (const m of methods.attention) {
    const opt = document.createElement('option');
    opt.value = m.name;
    opt.textContent = m.name;
    opt.title = m.summary;
    select.append(opt);
  }
  if (!methods.attention.some((m) => m.name === state.method)) state.method = 'exact';
  const threads = $('#attention-threads');
  for (let t = info.threads; t >= 1; t--) {
    const opt = document.createElement('option');
    opt.value = String(t);
    opt.textContent = t === info.threads ? `${t} (all)` : String(t);
    threads.append(opt);
  }
  form.method.value = state.method;
  form.n.value = state.n;
  form.d.value = state.d;
  form.B.value = state.B;
  form.scale.value = state.scale;
  form.causal.checked = state.causal;
  const t = state.threads && state.threads <= info.threads ? state.threads : info.threads;
  form.threads.value = String(t);
}

function readAttentionForm() {
  state.method = form.method.value;
  state.n = Number(form.n.value);
  state.d = Number(form.d.value);
  state.B = Number(form.B.value);
  state.scale = form.scale.value;
  state.causal = form.causal.checked;
  state.threads = Number(form.threads.value) === info.threads ? 0 : Number(form.threads.value);
  saveState();
}

function showError(el, message) {
  el.hidden = !message;
  el.textContent = message || '';
}

function addHistoryRow(r) {
  const table = $('#attention-history');
  table.hidden = false;
  const tr = document.createElement('tr');
  const cells = [r.method, r.n, r.d, r.B ?? '—', r.flavour, r.threads, fmt(r.median_ms), fmt(r.gflops), fmt(r.error, 2)];
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = String(c);
    tr.append(td);
  }
  table.tBodies[0].prepend(tr);
}

async function runAttention() {
  readAttentionForm();
  const errorBox = $('#attention-error');
  showError(errorBox, '');
  if (!form.reportValidity()) return;
  const runBtn = $('#attention-run');
  const cancelBtn = $('#attention-cancel');
  const progress = $('#attention-progress');
  runBtn.disabled = true;
  cancelBtn.disabled = false;
  progress.hidden = false;
  progress.querySelector('progress').removeAttribute('value'); // indeterminate while the kernel runs
  progress.querySelector('span').textContent = 'running in the worker…';
  const request = {
    suite: 'attention', method: state.method, n: state.n, d: state.d, B: state.B,
    scale: state.scale, causal: state.causal, threads: state.threads, min_ms: 300,
  };
  const result = $('#attention-result');
  try {
    const done = await client.run([request], {
      onRecord: (r) => {
        result.innerHTML = '';
        const p = document.createElement('p');
        p.className = 'headline';
        p.textContent = `${r.method}: ${fmt(r.median_ms)} ms (median of ${r.reps}) · ${fmt(r.gflops)} GFLOP/s · relative error ${fmt(r.error, 2)} vs the double-precision reference · ${r.flavour}, ${r.threads} thread${r.threads > 1 ? 's' : ''}`;
        result.append(p);
        result.dataset.record = JSON.stringify(r);
        result.dataset.count = String(Number(result.dataset.count || 0) + 1);
        addHistoryRow(r);
      },
      onError: (message) => showError(errorBox, message),
    });
    if (done.cancelled) showError(errorBox, 'Cancelled.');
  } catch (e) {
    showError(errorBox, e.message);
  } finally {
    runBtn.disabled = false;
    cancelBtn.disabled = true;
    progress.hidden = true;
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  runAttention();
});
form.addEventListener('change', readAttentionForm);
$('#attention-cancel').addEventListener('click', () => client?.cancel());
$('#copy-link').addEventListener('click', async () => {
  readAttentionForm();
  const url = `${location.origin}${location.pathname}${toQuery({ ...state, autorun: true })}`;
  try {
    await navigator.clipboard.writeText(url);
    $('#copy-link').textContent = 'Link copied';
  } catch {
    prompt('Copy this link:', url);
  }
  setTimeout(() => ($('#copy-link').textContent = 'Copy link'), 1500);
});

// ---- boot -----------------------------------------------------------------

async function boot() {
  document.documentElement.dataset.theme = state.theme;
  document.documentElement.style.setProperty('--fontscale', String(state.fontscale));
  if (state.embed) document.body.classList.add('embed');
  showPanel(state.panel);
  client = new LabClient();
  try {
    const ready = await client.init({ flavour: state.flavour });
    info = ready.info;
    renderBadge();
    renderEnvironment();
    fillAttentionControls(ready.methods);
    $('#attention-run').disabled = false;
    document.body.dataset.ready = 'true';
    if (state.autorun && state.panel === 'attention') runAttention();
  } catch (e) {
    $('#badge').textContent = 'WebAssembly failed to load';
    $('#badge').dataset.flavour = 'none';
    showError($('#attention-error'), `Could not start the lab: ${e.message}`);
  }
}

boot();
