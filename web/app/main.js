// Page boot: state from the URL, one worker that owns the WASM module, panels
// that send requests and draw what comes back. No kernel runs on this thread.
import { LabClient } from './client.js';
import { fromQuery, toQuery, SCHEMA } from './state.js';
import { $, el, fmt, fmtMiB, showError, runWithProgress, calibration, copyLinkButton } from './ui.js';
import { mountAttention } from './panels/attention.js';
import { mountVersus } from './panels/versus.js';
import { mountSsm } from './panels/ssm.js';
import { mountRope } from './panels/rope.js';
import { mountGrad } from './panels/grad.js';
import { mountCollapse } from './panels/collapse.js';
import { mountSimulate } from './panels/simulate.js';
import { mountNeurons } from './panels/neurons.js';
import { mountTensor } from './panels/tensor.js';
import { mountPairs } from './panels/pairs.js';
import { mountDocuments } from './panels/documents.js';
import { mountKernel } from './panels/kernel.js';
import { PANELS, groupedPanels, panelEntry } from './catalog.js';

const state = fromQuery(location.search);

// Number fields named after a state key take their limits from the state
// schema, i.e. from the library's (web/app/state.js): none are written in HTML.
for (const input of document.querySelectorAll('input[type=number][name]')) {
  const spec = SCHEMA[input.name];
  if (spec?.min === undefined) continue;
  input.min = String(spec.min);
  input.max = String(spec.max);
}

function saveState() {
  history.replaceState(null, '', `${location.pathname}${toQuery(state)}${location.hash}`);
}

// ---- navigation and the home view (both made from ./catalog.js) ---------------

const TITLE = document.title;

function panelLink(p, attrs = {}, ...children) {
  return el('a', { href: `?panel=${p.panel}`, 'data-panel': p.panel, ...attrs }, ...(children.length ? children : [p.title]));
}

// By group, then panel: "Overview | Forward pass: Attention | Alternatives: …".
function renderNav() {
  const nav = $('.panels-nav');
  nav.replaceChildren(el('a', { href: '?panel=home', 'data-panel': 'home', class: 'nav-home' }, 'Overview'),
    ...groupedPanels().map((g) => el('div', { class: 'nav-group', role: 'group', 'aria-label': g.title },
      el('span', { class: 'nav-group-title', 'aria-hidden': 'true' }, g.title),
      el('div', { class: 'nav-links' }, ...g.panels.map((p) => panelLink(p))))));
}

// Text with $…$ TeX segments → nodes; renderMath() typesets the .math spans.
function withMath(text) {
  return text.split(/\$([^$]+)\$/).map((part, k) => (k % 2 ? el('span', { class: 'math', 'data-tex': part }, part) : part));
}

// One card per result: the theorem in one sentence, where it is measured,
// the paper, and the way in. Groups are questions; empty groups do not show.
function renderHome() {
  const paper = (p) => (p ? el('p', { class: 'card-paper' }, `${p.authors}, `, el('cite', {}, p.title), ' · ',
    el('a', { href: `https://arxiv.org/abs/${p.arxiv}`, rel: 'noopener', target: '_blank' }, `arXiv ${p.arxiv}`)) : null);
  $('#home-groups').replaceChildren(...groupedPanels().map((g) => el('section', { class: 'home-group', 'data-group': g.group, 'aria-labelledby': `group-${g.group}` },
    el('header', { class: 'group-head' },
      el('h3', { id: `group-${g.group}` }, g.title),
      el('p', { class: 'group-question' }, g.question)),
    el('div', { class: 'cards' }, ...g.panels.map((p) => el('article', { class: 'card', 'data-card': p.panel },
      el('h4', {}, panelLink(p)),
      el('p', { class: 'card-theorem' }, ...withMath(p.theorem)),
      el('p', { class: 'card-regime' }, ...withMath(p.regime)),
      paper(p.paper),
      panelLink(p, { class: 'card-open', 'aria-label': `Open the ${p.title} panel` }, 'Open the panel →')))))));
}

function showPanel(name) {
  state.panel = name;
  for (const section of document.querySelectorAll('.panel')) section.hidden = section.dataset.panel !== name;
  for (const a of document.querySelectorAll('.panels-nav a')) {
    if (a.dataset.panel === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const entry = panelEntry(name);
  document.title = entry ? `${entry.title} — subquad` : TITLE;
  saveState();
}

// Every link to a panel (nav, cards, theorem texts) switches in place.
document.addEventListener('click', (e) => {
  const a = e.target.closest?.('a[href^="?panel="]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const params = new URLSearchParams(a.getAttribute('href'));
  const name = params.get('panel');
  if (name !== 'home' && !PANELS.some((p) => p.panel === name)) return;
  if ([...params.keys()].length > 1) return; // a link with settings loads them
  e.preventDefault();
  showPanel(name);
  window.scrollTo(0, 0);
});

// ---- maths, rendered with KaTeX (bundled) -----------------------------------

async function renderMath() {
  const nodes = document.querySelectorAll('.math[data-tex]');
  if (!nodes.length) return;
  try {
    const { default: katex } = await import('../vendor/katex.mjs');
    for (const node of nodes) katex.render(node.dataset.tex, node, { throwOnError: false });
  } catch {
    for (const node of nodes) node.textContent = node.dataset.tex; // readable fallback
  }
}

// ---- badge, isolation note, environment ---------------------------------------

function renderBadge(info) {
  const badge = $('#badge');
  const mt = info.flavour.startsWith('mt');
  const threads = mt ? `${info.threads} threads` : '1 thread';
  // FMA: the relaxed-SIMD build (f32x4.relaxed_madd), loaded where the browser runs it.
  const build = `${mt ? 'mt' : 'st'}${info.fma ? ' + FMA' : ''}`;
  badge.textContent = `${build} · ${mt ? 'SIMD + threads' : 'SIMD, single-threaded'} · ${threads} · timer ${fmt(info.timerResolutionMs * 1000, 2)} µs`;
  badge.dataset.flavour = info.flavour;
  badge.title = `WASM flavour "${info.flavour}", subquad ${info.version}`;
  if (info.crossOriginIsolated) return;
  const note = $('#isolation-note');
  note.hidden = false;
  // ?coi=1 makes the page isolate itself (web/app/coi.js: a service worker adds
  // COOP/COEP, one reload) where the host sends no such headers.
  const query = toQuery({ ...state, embed: false, autorun: false });
  const threaded = `${location.pathname}${query ? `${query}&` : '?'}coi=1`;
  if (window.self !== window.top) {
    note.replaceChildren('Threads are off: single-threaded because the slides are not isolated — ',
      el('a', { href: threaded, target: '_blank', rel: 'noopener' }, 'open in full page for threads'),
      ' (it reloads once to isolate itself, and remembers).');
  } else {
    note.replaceChildren('Threads are off: this page is not cross-origin isolated (the server sends no COOP/COEP headers), so the browser withholds SharedArrayBuffer and the single-threaded build runs. ',
      el('a', { href: threaded }, 'Turn threads on'), ' (the page reloads once to isolate itself, and remembers), or serve it with ', el('code', {}, 'npm start'), '.');
  }
}

// ---- slides: keys the panel does not use go to the deck around it ------------

// The reveal.js keys a deck navigates with. A panel in a slide keeps those it
// uses itself (typing in a field, choosing in a list, Space/Enter on a button)
// and posts the others to the parent page ({ type: 'subquad:key', key, shiftKey });
// web/app/deck.js turns them into Reveal calls (README: "Embedding a panel in slides").
const DECK_KEYS = new Set(['ArrowRight', 'ArrowLeft', 'ArrowUp', 'ArrowDown', 'PageDown', 'PageUp', ' ', 'Home', 'End', 'n', 'p', 'N', 'P', 'Escape', 'o', 'O', 'b', 'B', '.']);

function panelUsesKey(target, key) {
  if (!target || target === document.body || target === document.documentElement) return false;
  if (target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT') return true;
  if (target.tagName === 'INPUT') return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type) || key === ' ';
  if (['BUTTON', 'SUMMARY', 'A'].includes(target.tagName)) return key === ' ' || key === 'Enter';
  return false;
}

function forwardDeckKeys() {
  if (window.self === window.top) return;
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || !DECK_KEYS.has(e.key) || panelUsesKey(e.target, e.key)) return;
    e.preventDefault();
    window.parent.postMessage({ type: 'subquad:key', key: e.key, shiftKey: e.shiftKey }, '*');
  });
}

// The micro-kernel variant every kernel calls, why (measured here, forced,
// kept from the first worker), and each variant's GFLOP/s from that measurement.
function gemmText(gemm) {
  if (!gemm) return 'unknown';
  const how = { measured: 'fastest measured here', forced: 'forced', default: 'not measured' }[gemm.reason] || gemm.reason;
  const rates = (gemm.variants || []).filter((v) => Number.isFinite(v.gflops))
    .map((v) => `${v.tile} ${v.pattern} ${fmt(v.gflops)}`).join(', ');
  return `${gemm.picked} (${how}${rates ? `; GFLOP/s, one core: ${rates}` : ''})`;
}

function renderEnvironment(info) {
  const rows = [
    ['flavour', `${info.flavour} (${info.flavour.startsWith('mt') ? 'SIMD + pthreads' : 'SIMD only'}${info.fma ? ' + relaxed-SIMD FMA' : ''})`],
    ['threads available', info.threads],
    ['hardware threads', info.hardwareThreads],
    ['cross-origin isolated', info.crossOriginIsolated ? 'yes' : 'no'],
    ['WebAssembly SIMD', info.simd ? 'yes' : 'no'],
    ['WebAssembly relaxed SIMD (FMA)', info.relaxedSimd ? 'yes' : 'no'],
    ['timer resolution', `${fmt(info.timerResolutionMs * 1000, 2)} µs`],
    ['memory budget', fmtMiB(info.memoryBudgetMB)],
    ['GEMM micro-kernel', gemmText(info.kernels?.gemm)],
    ['browser', navigator.userAgent],
    ['subquad version', info.version],
  ];
  $('#env-list').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v))]));
}

function showCalibration(r) {
  calibration.gflops = r.gflops;
  const kernel = Number.isFinite(r.kernel_gflops)
    ? `; the fastest GEMM micro-kernel here, ${r.kernel}, reaches ${fmt(r.kernel_gflops)} GFLOP/s on flash's QKᵀ tile, ${Math.round(100 * r.kernel_ratio)} % of it` : '';
  // The spread of the batches behind the best one (quartiles), and how many rounds it took to settle.
  const spread = Number.isFinite(r.gflops_median)
    ? `; median ${fmt(r.gflops_median)}, quartiles ${fmt(r.gflops_q1)}–${fmt(r.gflops_q3)} GFLOP/s over ${r.reps} batches of ${r.calls_per_batch} calls, ${r.rounds} round${r.rounds === 1 ? '' : 's'} to settle`
    : `, best of ${r.reps} runs`;
  $('#calibrate-result').textContent = `Per-core SIMD ceiling: ${fmt(r.gflops)} GFLOP/s (${r.flavour}${spread}${kernel}).`;
  $('#calibrate-result').dataset.gflops = String(r.gflops);
}

function mountCalibrate(client) {
  const ui = {
    runButton: $('#calibrate-run'),
    cancelButton: $('#calibrate-cancel'),
    progress: $('#calibrate-progress'),
    errorBox: $('#calibrate-error'),
  };
  ui.runButton.disabled = false;
  ui.cancelButton.after(copyLinkButton({ id: 'calibrate-copy-link', state }));
  $('#calibrate-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(ui.errorBox, '');
    await runWithProgress(client, [{ suite: 'peak', min_ms: 300 }], {
      ui,
      label: 'Environment calibration',
      onRecord: showCalibration,
    });
  });
}

// ---- boot -----------------------------------------------------------------

async function boot() {
  document.documentElement.dataset.theme = state.theme;
  document.documentElement.style.setProperty('--fontscale', String(state.fontscale));
  if (state.embed) {
    document.body.classList.add('embed');
    document.documentElement.classList.add('embed'); // text scales with the slide (style.css)
  }
  forwardDeckKeys();
  renderNav();
  renderHome();
  showPanel(state.panel);
  renderMath();
  const client = new LabClient();
  self.subquadLab = client; // for the console and the browser tests (queue, restarts)
  // The worker calibrates once right after loading, which also picks the micro-kernel variant.
  client.onCalibrated = (record, info) => {
    if (record) showCalibration(record);
    renderEnvironment(info);
  };
  try {
    const { info, methods } = await client.init({ flavour: state.flavour });
    renderBadge(info);
    renderEnvironment(info);
    mountCalibrate(client);
    mountAttention({ client, info, methods, state, saveState });
    mountRope({ client, info, methods, state, saveState });
    mountSsm({ client, info, methods, state, saveState });
    mountGrad({ client, info, methods, state, saveState });
    mountCollapse({ client, info, methods, state, saveState });
    mountSimulate({ client, info, methods, state, saveState });
    mountNeurons({ client, info, methods, state, saveState });
    mountTensor({ client, info, methods, state, saveState });
    mountPairs({ client, info, methods, state, saveState });
    mountDocuments({ client, info, methods, state, saveState });
    mountKernel({ client, info, methods, state, saveState });
    mountVersus({ client, info, methods, state, saveState });
    document.body.dataset.readyMs = String(Math.round(performance.now())); // since navigation start
    document.body.dataset.ready = 'true';
  } catch (e) {
    $('#badge').textContent = 'WebAssembly failed to load';
    $('#badge').dataset.flavour = 'none';
    showError($('#attention-error'), `Could not start the lab: ${e.message}`);
  }
}

boot();
