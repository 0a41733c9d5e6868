// The one owner of the WASM module: the page never calls kernels on its main
// thread. This file only loads the module, queues runs, runs their requests,
// cancels and answers quick calls; what a request means lives elsewhere
// (the library's measure() and similarDocuments()).
// Messages in:  init { flavour, threads, calibrate, kernels }, run { id, requests },
//               cancel { id }, call { id, fn, args }.
// Messages out: ready, calibrated { record, info }, started { id }, record, record-error,
//               progress, done { id, cancelled, done, total }, result, fatal.
/* global subquad */
'use strict';
importScripts('../lib/subquad.js');
// The library's families, one file each beside it (web/lib/<family>.js).
importScripts(...subquad.FAMILIES.map((f) => `../lib/${f}.js`));

// Set once by init; the queue holds runs that wait, in the order they came.
// Each run carries its own state ({ id, requests, cancelled }): nothing about
// one run is kept where another run could see it.
let lab = null; // { sq, ops }
let resolveLoaded;
let rejectLoaded;
const loaded = new Promise((resolve, reject) => {
  resolveLoaded = resolve;
  rejectLoaded = reject;
});
loaded.catch(() => {}); // reported once, as 'fatal', by the init handler
const queue = [];
let running = null;

function post(msg) {
  self.postMessage(msg);
}

async function init({ flavour = 'auto', threads = 0, calibrate = true, kernels }) {
  const wasmBase = new URL('../wasm/', self.location.href).href;
  // The micro-kernel variants are measured once: by the calibration right
  // after loading (the peak suite picks the fastest), so a worker that
  // calibrates loads without timing them first; a restarted worker gets its
  // predecessor's pick ({ gemm: name }) and measures nothing.
  const sq = await subquad.createSubquad({ flavour, threads, wasmBase, kernels: kernels ?? (calibrate ? 'default' : 'auto') });
  // Requests that are not bench measurements: { op, ... } → a record.
  lab = { sq, ops: {
    similarPair: ({ op, texts, ...options }) => ({ op, ...sq.similarDocuments(texts, options) }),
    // One step of a training run (sq.attentionTraining): a run's requests are its steps in
    // order, its session lives on the run, so records stream and Cancel stops between steps.
    trainStep: ({ op, step, ...options }, run) => {
      if (!run.training) run.training = sq.attentionTraining(options);
      const record = run.training.next();
      if (!record || record.step !== step) throw new Error(`step: got ${step}, the run is at ${record ? record.step : 'its end'}`);
      return { op, ...record, ...(step === options.steps ? { summary: run.training.summary() } : {}) };
    },
    neuronsTrain: ({ op, kind, ...request }) => ({ op, kind, ...request, ...sq.neuronsTrain(request) }),
    kernelLabels: (request) => kernelLabels(sq, request),
  } };
  post({ type: 'ready', info: sq.info(), methods: sq.methods(), cancel: sq.cancelHandle() });
  // A short calibration right after, so every chart can show its share of this
  // machine's peak (the page is already interactive; a run waits ~0.1 s at most).
  // A restarted worker skips it: the page keeps the first one's record.
  // It also picks the micro-kernel: the page gets the module's info again.
  if (calibrate) {
    let record = null;
    try {
      record = sq.measure({ suite: 'peak', min_ms: 60 });
    } catch {
      // Calibration is optional (the Environment panel can still run it); the pick is not.
      sq.kernelVariants('auto');
    }
    post({ type: 'calibrated', record, info: sq.info() });
  }
}

// The kernel panel's demo: a 2-D cloud of Gaussian clusters, `seeds` labelled
// points per cluster, every point labelled by Laplacian potentials (one CG solve
// per class through `product`); the record carries the points to draw.
function kernelLabels(sq, { op, n, clusters = 4, B = 64, sigma = 0.6, seeds = 3, product = 'exact', seed = 3, threads = 0 }) {
  const { X, labels: truth } = sq.kernelPoints('clusters', { n, d: 2, B, clusters, sigma, seed });
  const given = new Int32Array(n).fill(-1);
  for (let i = 0; i < Math.min(n, seeds * clusters); i++) given[i] = truth[i];
  const r = sq.laplacianLabels('laplacian_solve', { X, n, d: 2, seeds: given }, { product, threads });
  let right = 0;
  for (let i = 0; i < n; i++) right += r.labels[i] === truth[i] ? 1 : 0;
  return { op, n, clusters, B, product, seeds: seeds * clusters, X: Array.from(X), labels: Array.from(r.labels),
    truth: Array.from(truth), accuracy: right / n, ms: r.ms, solves: r.solves };
}

// Lets queued messages (cancel, call) in between two kernel calls.
const yieldToEvents = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function measureOne({ sq, ops }, req, run) {
  if (!req.op) return sq.measure(req);
  if (typeof ops[req.op] !== 'function') throw new Error(`worker: unknown op '${req.op}'`);
  return ops[req.op](req, run);
}

// In mt the page cancels a running kernel through a flag in shared memory.
// A flag meant for the run before this one (set just as it ended) must not
// stop this one: if this run was not asked to stop, clear the flag and retry.
async function askedToStop(run) {
  for (let k = 0; k < 5 && !run.cancelled; k++) await yieldToEvents(4);
  return run.cancelled;
}

async function execute(run) {
  const { sq } = lab;
  const { id, requests } = run;
  sq.resetCancel();
  post({ type: 'started', id });
  const t0 = performance.now();
  let done = 0;
  for (let i = 0; i < requests.length; i++) {
    await yieldToEvents();
    if (run.cancelled) break;
    try {
      post({ type: 'record', id, index: i, record: measureOne(lab, requests[i], run) });
    } catch (e) {
      if (/^cancelled/.test(e.message)) {
        if (await askedToStop(run)) break;
        sq.resetCancel();
        i--;
        continue;
      }
      post({ type: 'record-error', id, index: i, error: e.message, request: requests[i] });
    }
    done++;
    post({ type: 'progress', id, done, total: requests.length, elapsedMs: performance.now() - t0 });
  }
  sq.resetCancel();
  post({ type: 'done', id, cancelled: run.cancelled, done, total: requests.length });
}

async function pump() {
  if (running || !queue.length) return;
  try {
    await loaded;
  } catch (err) {
    for (const run of queue.splice(0)) post({ type: 'fatal', id: run.id, error: `the module did not load: ${err.message}` });
    return;
  }
  if (running || !queue.length) return;
  running = queue.shift();
  try {
    await execute(running);
  } catch (err) {
    post({ type: 'fatal', id: running.id, error: err && err.message ? err.message : String(err) });
  } finally {
    running = null;
  }
  pump();
}

function cancel(id) {
  if (running && running.id === id) running.cancelled = true;
  const k = queue.findIndex((r) => r.id === id);
  if (k >= 0) {
    const [run] = queue.splice(k, 1);
    post({ type: 'done', id, cancelled: true, done: 0, total: run.requests.length });
  }
}

// Quick synchronous library calls (cost models, method lists), never kernels.
const CALLABLE = new Set(['cost', 'info', 'methods']);

async function call({ id, fn, args }) {
  if (!CALLABLE.has(fn)) {
    post({ type: 'result', id, error: `worker: '${fn}' cannot be called` });
    return;
  }
  try {
    await loaded;
    post({ type: 'result', id, value: lab.sq[fn](...(args || [])) });
  } catch (e) {
    post({ type: 'result', id, error: e.message });
  }
}

self.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'init') {
    init(msg).then(resolveLoaded, (err) => {
      post({ type: 'fatal', error: err && err.message ? err.message : String(err) });
      rejectLoaded(err);
    });
  } else if (msg.type === 'run') {
    queue.push({ id: msg.id, requests: msg.requests, cancelled: false });
    pump();
  } else if (msg.type === 'cancel') {
    cancel(msg.id);
  } else if (msg.type === 'call') {
    call(msg);
  }
};
