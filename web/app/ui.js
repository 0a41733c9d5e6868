// Small UI helpers shared by the panels: formatting, element building, a
// sweep runner with progress/ETA/cancel, and exports (CSV, JSON, PNG).

import { toQuery } from './state.js';

export const $ = (sel, root = document) => root.querySelector(sel);

/** The per-core SIMD ceiling once the Environment panel's calibration has run (GFLOP/s). */
export const calibration = { gflops: null };

export function fmt(x, digits = 3) {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (typeof x !== 'number') return String(x);
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(2);
  return Number(x.toPrecision(digits)).toString();
}

export function fmtSeconds(s) {
  if (!Number.isFinite(s)) return '—';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 90) return `${s.toFixed(1)} s`;
  return `${Math.round(s / 60)} min`;
}

/** el('button', { type: 'button', onclick }, 'text', child…) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export function showError(box, message) {
  box.hidden = !message;
  box.textContent = message || '';
  delete box.dataset.cancelled;
}

/** A neutral note (information, not an error): hidden when empty. */
export function showNote(box, message) {
  box.hidden = !message;
  box.textContent = message || '';
}

/** A memory size in MiB, rounded one way everywhere (the budget reads the same on every panel). */
export function fmtMiB(mib) {
  return `${Math.floor(mib).toLocaleString('en')} MiB`;
}

/**
 * Runs requests in the worker with a progress bar, elapsed time and a cancel
 * button. `weights` — each request's seconds by the cost models (./plan.js) —
 * give the time left; without them none is shown (a count of points says
 * nothing about the time of the next). `label` names the run for the panels
 * queued behind it ("queued after the <label>"). Cancel cancels this run only.
 */
export async function runWithProgress(client, requests, { ui, label, weights, onRecord, onError }) {
  const { runButton, cancelButton, progress, errorBox } = ui;
  const bar = progress.querySelector('progress');
  const text = progress.querySelector('span');
  const w = weights || requests.map(() => 1);
  const total = w.reduce((a, b) => a + b, 0);
  let doneWeight = 0;
  let done = 0;
  let startedAt = 0;
  let lastAt = 0; // elapsed ms at the last finished point
  runButton.disabled = true;
  cancelButton.disabled = false;
  progress.hidden = false;
  bar.value = 0;
  text.textContent = `0 / ${requests.length}`;
  delete progress.dataset.queued;
  delete progress.dataset.eta;
  const errors = [];
  let run = null;
  let started = false;
  let ticker = null;
  const cancel = () => run?.cancel();
  cancelButton.addEventListener('click', cancel);
  // Time left: the cost model's seconds for the points not done, scaled by
  // how this run's finished points compared with their estimate.
  const show = () => {
    const elapsed = performance.now() - startedAt;
    let eta = '';
    if (weights && total > 0) {
      const rate = doneWeight > 0 ? lastAt / 1000 / doneWeight : 1;
      const left = Math.max(0, (total - doneWeight) * rate - (elapsed - lastAt) / 1000);
      eta = ` · about ${fmtSeconds(left)} left (cost model)`;
      progress.dataset.eta = String(left);
    }
    text.textContent = `${done} / ${requests.length} · ${fmtSeconds(elapsed / 1000)} elapsed${eta}`;
  };
  try {
    run = client.run(requests, {
      label,
      onQueued: (ahead) => {
        progress.dataset.queued = 'true';
        text.textContent = ahead ? `queued after the ${ahead}` : 'starting…';
      },
      onStart: () => {
        started = true;
        startedAt = performance.now();
        delete progress.dataset.queued;
        show();
        ticker = setInterval(show, 500);
      },
      onRecord: (r, i) => onRecord(r, i, requests[i]),
      onError: (message, i) => {
        errors.push(message);
        onError?.(message, i, requests[i]);
      },
      onProgress: ({ done: n, elapsedMs }) => {
        done = n;
        doneWeight += w[n - 1] || 0;
        lastAt = elapsedMs;
        bar.value = total > 0 ? doneWeight / total : n / requests.length;
        show();
      },
    });
    const result = await run;
    if (result.cancelled) {
      showError(errorBox, started
        ? `Cancelled after ${result.done} of ${result.total} measurements; the results so far stay.`
        : 'Cancelled while queued; nothing ran.');
      errorBox.dataset.cancelled = 'true';
    } else if (errors.length) showError(errorBox, [...new Set(errors)].join('\n'));
    return result;
  } catch (e) {
    showError(errorBox, e.message);
    return { cancelled: false, failed: true };
  } finally {
    clearInterval(ticker);
    cancelButton.removeEventListener('click', cancel);
    // Focus was on Run or Cancel (both disabled at some point): give it back
    // to Run, so Enter runs again; focus the visitor moved elsewhere stays.
    const active = document.activeElement;
    const refocus = !active || active === document.body || active === runButton || active === cancelButton;
    runButton.disabled = false;
    cancelButton.disabled = true;
    if (refocus) runButton.focus({ preventScroll: true });
    progress.hidden = true;
    delete progress.dataset.queued;
  }
}

function download(name, blob) {
  const a = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

export function recordsToCSV(records) {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const cell = (v) => {
    const s = v === undefined || v === null ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [keys.join(','), ...records.map((r) => keys.map((k) => cell(r[k])).join(','))].join('\n') + '\n';
}

export function exportCSV(name, records) {
  download(`${name}.csv`, new Blob([recordsToCSV(records)], { type: 'text/csv' }));
}

export function exportJSON(name, records) {
  download(`${name}.json`, new Blob([records.map((r) => JSON.stringify(r)).join('\n') + '\n'], { type: 'application/x-ndjson' }));
}

export function exportPNG(name, dataUrl) {
  if (!dataUrl) return;
  const a = el('a', { href: dataUrl, download: `${name}.png` });
  document.body.append(a);
  a.click();
  a.remove();
}

/**
 * A "Copy link" button for one form: the link reproduces the whole page's
 * state (every form has keys of its own, web/app/state.js) and, with
 * `run`, runs that form when opened. `read()` first takes the form's controls
 * into the state. The link is also left in the button's data-link.
 */
export function copyLinkButton({ id, state, read, run }) {
  const button = el('button', { type: 'button', id, class: 'copy-link', title: 'Copy a link that reproduces this view' }, 'Copy link');
  button.addEventListener('click', async () => {
    read?.();
    const url = `${location.origin}${location.pathname}${toQuery({ ...state, ...(run ? { autorun: true, run } : {}) })}`;
    button.dataset.link = url;
    try {
      await navigator.clipboard.writeText(url);
      button.textContent = 'Link copied';
    } catch {
      prompt('Copy this link:', url);
    }
    setTimeout(() => { button.textContent = 'Copy link'; }, 1500);
  });
  return button;
}

/** The standard block of run controls every experiment uses. */
export function runControls(prefix) {
  const runButton = el('button', { type: 'submit', id: `${prefix}-run`, disabled: true }, 'Run');
  const cancelButton = el('button', { type: 'button', id: `${prefix}-cancel`, disabled: true }, 'Cancel');
  const progress = el('div', { class: 'progress', id: `${prefix}-progress`, hidden: true, role: 'status' },
    el('progress', { max: '1', value: '0' }), el('span'));
  const errorBox = el('div', { class: 'error', id: `${prefix}-error`, role: 'alert', hidden: true });
  const note = el('p', { class: 'note', id: `${prefix}-note`, role: 'status', hidden: true });
  return { runButton, cancelButton, progress, errorBox, note };
}
