// Attention panel: a time-vs-n sweep over the registry's methods (log-log,
// fitted slopes) and a single run of one method at one shape.
import { measuredCrossover } from '../fit.js';
import { mountSweep } from '../sweep.js';
import { pickOptions } from '../schema.js';
import { estimateAttention, estimatePolyDegree, refusal } from '../plan.js';
import { panelEntry } from '../catalog.js';
import { $, el, fmt, fmtMiB, fmtSeconds, showError, runWithProgress, copyLinkButton, calibration } from '../ui.js';

const N_CHOICES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];
const REFERENCE_MAX_N = 4096; // the double-precision reference is O(n²d) with no SIMD

export function mountAttention(ctx) {
  mountTimeSweep(ctx);
  mountErrorSweep(ctx);
  mountDegreeSweep(ctx);
  mountSingleRun(ctx);
}

// Plain softmax attention: RoPE and positional attention (checked against their
// own references) have their own panel (panels/rope.js).
export const plainAttention = (m) => (m.reference ?? 'exact_reference') === 'exact_reference' &&
  !/^(rope|positional)_/.test(m.name);

// ---- error vs B --------------------------------------------------------------

const B_CHOICES = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6];

function mountErrorSweep({ client, info, methods, state, saveState }) {
  // attentionMethods() marks each method exact or not; older builds lack the flag.
  const approximate = methods.attention.filter(plainAttention).filter((m) => (m.exact === undefined
    ? !m.name.startsWith('exact') && m.name !== 'flash' : !m.exact));
  if (!approximate.length) {
    const note = $('#errors-missing');
    note.hidden = false;
    note.textContent = 'This build has no approximate attention method yet (the polynomial method and the heuristics land with the attention kernels), so there is nothing to measure here.';
    return;
  }
  const sweep = mountSweep({
    id: 'errors',
    label: `${panelEntry('attention').title} error-vs-B sweep`,
    estimate: estimateAttention,
    mount: $('#attention-error-sweep'),
    client, info, state, saveState,
    suite: 'attention',
    methods: approximate,
    methodsKey: 'emethods',
    x: { key: 'B', label: 'B (entries in [−B, B])', choices: B_CHOICES, minKey: 'Bmin', maxKey: 'Bmax', format: (v) => String(v) },
    y: { key: 'error', label: 'relative error vs exact' },
    fit: false,
    fitLast: 0,
    seriesName: (r) => (r.method === 'polynomial' ? `polynomial g=${r.degree ?? state.degree}${r.poly ? ` (${r.poly})` : ''}` : r.method),
    controls: [
      { stateKey: 'en', label: 'n', type: 'number' },
      { stateKey: 'ed', label: 'd', type: 'number' },
      { stateKey: 'degree', label: 'degree g', type: 'number' },
      { stateKey: 'poly', label: 'polynomial', type: 'select', options: [['taylor', 'Taylor'], ['chebyshev', 'Chebyshev on [−R, R]']] },
      { stateKey: 'ethreads', label: 'threads', type: 'threads' },
    ],
    request: (method, B, s) => ({ suite: 'attention', method, n: s.en, d: s.ed, B, min_ms: 0, check_rows: 64,
      ...pickOptions('attention', method, { scale: 'inv_d', degree: s.degree, poly: s.poly, threads: s.ethreads }) }),
    // No √ln n line here: at a fixed degree the jump sits where B² outgrows
    // g, whatever n is. The threshold in n belongs to the degree sweep below.
    caption: (chart, records) => {
      const poly = records.filter((r) => r.method === 'polynomial').sort((a, b) => a.B - b.B);
      if (!poly.length) return '';
      const good = poly.filter((r) => r.error <= 1e-3).map((r) => r.B);
      const bad = poly.filter((r) => r.error >= 0.1).map((r) => r.B);
      const neg = poly.filter((r) => r.negative_denominators > 0).map((r) => r.B);
      let text = `Polynomial method (g = ${state.degree}): `;
      text += good.length ? `error ≤ 1e-3 up to B = ${Math.max(...good)}` : 'error above 1e-3 everywhere measured';
      text += bad.length ? `, ≥ 0.1 from B = ${Math.min(...bad)}.` : '.';
      if (neg.length) text += ` Its denominator turned negative at B = ${Math.min(...neg)} — the output there is meaningless, and is reported, not hidden.`;
      return text;
    },
  });
  if (state.autorun && state.panel === 'attention' && state.run === 'errors') sweep.run();
}

// ---- degree needed vs B ------------------------------------------------------

// The middle step between "error vs B at a fixed degree" and the theorem: for
// a fixed error, the degree g (so the rank C(d+g, g), so the time) the
// polynomial method needs as B grows, and its speed-up over flash vanishing.
function mountDegreeSweep({ client, info, methods, state, saveState }) {
  if (!methods.attention.some((m) => m.name === 'polynomial')) return;
  const sweep = mountSweep({
    id: 'degree',
    label: `${panelEntry('attention').title} degree-vs-B sweep`,
    estimate: estimatePolyDegree,
    mount: $('#attention-degree-sweep'),
    client, info, state, saveState,
    suite: 'poly_degree',
    methods: methods.attention.filter((m) => m.name === 'polynomial'),
    methodsKey: 'gmethods',
    x: { key: 'B', label: 'B (entries in [−B, B])', choices: B_CHOICES, minKey: 'gBmin', maxKey: 'gBmax', format: (v) => String(v) },
    y: { key: 'rank', label: 'rank C(d+g, g) needed' },
    y2: { key: 'speedup', label: 'speed-up over flash (time ratio)', fit: false, fitLast: 0 },
    fit: false,
    fitLast: 0,
    controls: [
      { stateKey: 'gn', label: 'n', type: 'number' },
      { stateKey: 'gd', label: 'd', type: 'number' },
      { stateKey: 'gtarget', label: 'error target', type: 'number', title: 'the sampled relative error each degree must reach' },
      { stateKey: 'gthreads', label: 'threads', type: 'threads' },
    ],
    request: (method, B, s) => ({ suite: 'poly_degree', n: s.gn, d: s.gd, B, target: s.gtarget, min_ms: 50,
      ...pickOptions('attention', 'polynomial', { scale: 'inv_d', threads: s.gthreads }) }),
    refLines: (chart, s) => [{ x: Math.sqrt(Math.log(s.gn)), label: `B = √ln n = ${Math.sqrt(Math.log(s.gn)).toFixed(2)}` }],
    caption: (chart, records) => degreeCaption(records, state),
  });
  if (state.autorun && state.panel === 'attention' && state.run === 'degree') sweep.run();
}

/** The caption of the degree sweep, from its records only. */
export function degreeCaption(records, s) {
  const rs = [...records].sort((a, b) => a.B - b.B);
  const found = rs.filter((r) => Number.isFinite(r.degree));
  const missed = rs.filter((r) => !Number.isFinite(r.degree));
  if (!rs.length) return '';
  let text = `For error ≤ ${s.gtarget} at n = ${s.gn.toLocaleString('en')}, d = ${s.gd}: `;
  if (found.length) {
    const a = found[0];
    const b = found[found.length - 1];
    text += found.length > 1
      ? `the degree needed grows from g = ${a.degree} at B = ${a.B} to g = ${b.degree} at B = ${b.B} (rank ${a.rank.toLocaleString('en')} → ${b.rank.toLocaleString('en')}); `
      : `g = ${a.degree} at B = ${a.B} (rank ${a.rank.toLocaleString('en')}); `;
    const sp = found.filter((r) => Number.isFinite(r.speedup));
    if (sp.length) {
      const first = sp[0];
      const last = sp[sp.length - 1];
      text += `the polynomial method is ${fmt(first.speedup)}× flash's speed at B = ${first.B}` +
        (sp.length > 1 ? ` and ${fmt(last.speedup)}× at B = ${last.B}` : '') + '. ';
      const slower = sp.find((r) => r.speedup < 1);
      if (slower) text += `From B = ${slower.B} it is slower than exact attention. `;
    }
  }
  if (missed.length) text += `No degree ≤ 12 reached the target from B = ${missed[0].B} on${missed[0].stopped ? ` (${missed[0].stopped})` : ''}.`;
  return text.trim();
}

// Where each subquadratic series first beats the quadratic one (flash, else
// exact): { quadratic, at: Map(n → [method names]) }, in series order.
function crossovers(chart) {
  const series = new Map([...chart.series].map(([name, pts]) => [name, new Map([...pts].map(([x, p]) => [x, p.y]))]));
  const quadratic = ['flash', 'exact'].find((m) => series.has(m));
  const at = new Map();
  if (!quadratic) return { quadratic, at };
  for (const [name, pts] of series) {
    if (name === quadratic || name.startsWith('exact')) continue;
    const x = measuredCrossover(series.get(quadratic), pts);
    if (x) at.set(x, [...(at.get(x) || []), name]);
  }
  return { quadratic, at };
}

function fillThreads(select, info, value) {
  select.replaceChildren();
  for (let t = info.threads; t >= 1; t--) {
    select.append(el('option', { value: String(t) }, t === info.threads ? `${t} (all)` : String(t)));
  }
  select.value = String(value && value <= info.threads ? value : info.threads);
}

// ---- time vs n -------------------------------------------------------------

function mountTimeSweep({ client, info, methods, state, saveState }) {
  const sweep = mountSweep({
    id: 'sweep',
    label: `${panelEntry('attention').title} sweep`,
    mount: $('#attention-sweep'),
    client, info, state, saveState,
    suite: 'attention',
    methods: methods.attention.filter(plainAttention),
    methodsKey: 'methods',
    x: { key: 'n', label: 'n (tokens)', choices: N_CHOICES, minKey: 'nmin', maxKey: 'nmax' },
    y: { key: 'median_ms', label: 'median time (ms)' },
    controls: [
      { stateKey: 'td', label: 'd', type: 'number' },
      { stateKey: 'tB', label: 'B', type: 'number', title: 'entries uniform in [−B, B]' },
      { stateKey: 'tscale', label: 'scale s', type: 'select', options: [['sqrt', '1/√d (practice)'], ['inv_d', '1/d (the papers)']] },
      { stateKey: 'tdegree', label: 'degree g (polynomial)', type: 'number' },
      { stateKey: 'tthreads', label: 'threads', type: 'threads' },
    ],
    request: (method, n, s) => (method === 'exact_reference' && n > REFERENCE_MAX_N
      ? { skip: `${method} at n = ${n} (the O(n²d) double-precision reference would take too long)` }
      : { suite: 'attention', method, n, d: s.td, B: s.tB, min_ms: 100, check_rows: 8,
        ...pickOptions('attention', method, { scale: s.tscale, threads: s.tthreads, degree: s.tdegree }) }),
    estimate: estimateAttention,
    caption: (chart) => {
      const { quadratic, at } = crossovers(chart);
      let text = '2 means time ∝ n², 1 means ∝ n.';
      for (const [x, names] of at) {
        const who = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are` : `${names[0]} is`;
        text += ` ${who} faster than ${quadratic} from n = ${x.toLocaleString('en')} on.`;
      }
      return text;
    },
    // One line per crossover n; methods that cross at the same n share its label.
    refLines: (chart) => {
      const { quadratic, at } = crossovers(chart);
      return [...at].map(([x, names]) => ({ x, label: `${names.join(', ')} < ${quadratic}` }));
    },
  });
  if (state.autorun && state.panel === 'attention' && state.run === 'sweep') sweep.run();
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

  // The same check as a sweep's (./plan.js): estimated by the cost model
  // before it starts; too large is refused, too long needs a click, and a
  // smaller n that fits is offered.
  const env = { info, get peakGflops() { return calibration.gflops; }, cost: (fn, ...args) => client.call(fn, ...args) };
  const budgetBytes = info.memoryBudgetMB * 1048576;
  const requestFor = (n) => ({
    suite: 'attention', method: state.method, n, d: state.d, B: state.B, min_ms: 300,
    ...pickOptions('attention', state.method, { scale: state.scale, causal: state.causal, threads: state.threads }),
  });

  async function offer(why, estimate, request) {
    let fit = null;
    for (const n of N_CHOICES.filter((v) => v < request.n).reverse()) {
      const e = await estimateAttention(requestFor(n), env).catch(() => null);
      if (e && !refusal(e, { budgetBytes })) {
        fit = { n, seconds: e.seconds };
        break;
      }
    }
    const reason = why === 'memory'
      ? `${request.method} at n = ${request.n.toLocaleString('en')} needs ${fmtMiB(estimate.memory / 1048576)}, more than the memory budget of ${fmtMiB(info.memoryBudgetMB)}.`
      : `This run would take about ${fmtSeconds(estimate.seconds)} on this machine.`;
    const buttons = [];
    if (fit) {
      buttons.push(el('button', { type: 'button', 'data-offer': 'smaller', onclick: () => {
        form.n.value = String(fit.n);
        run();
      } }, `Run at n = ${fit.n.toLocaleString('en')} (about ${fmtSeconds(fit.seconds)})`));
    }
    if (why === 'time') buttons.push(el('button', { type: 'button', 'data-offer': 'anyway', onclick: () => run({ confirmed: true }) }, 'Run it anyway'));
    ui.errorBox.hidden = false;
    ui.errorBox.dataset.refused = why;
    ui.errorBox.replaceChildren(el('span', {}, reason), ...(buttons.length ? [el('span', { class: 'offer' }, ...buttons)] : []));
  }

  async function run({ confirmed = false } = {}) {
    read();
    showError(ui.errorBox, '');
    delete ui.errorBox.dataset.refused;
    if (!form.reportValidity()) return;
    const request = requestFor(state.n);
    let estimate;
    try {
      estimate = await estimateAttention(request, env);
    } catch (e) {
      showError(ui.errorBox, e.message); // the cost model refused the shape, with its numbers
      return;
    }
    const why = refusal(estimate, { budgetBytes, confirmed });
    if (why) {
      await offer(why, estimate, request);
      return;
    }
    const result = $('#attention-result');
    await runWithProgress(client, [request], {
      ui,
      label: `${panelEntry('attention').title} single run`,
      weights: [estimate.seconds],
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
  ui.runButton.after(ui.cancelButton, copyLinkButton({ id: 'copy-link', state, read, run: 'single' }));
  if (state.autorun && state.panel === 'attention' && state.run === 'single') run();
}
