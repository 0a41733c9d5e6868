// The one owner of the WASM module: the page never calls kernels on its main
// thread. Messages in: init, run (a list of measurement requests), cancel.
// Messages out: ready, record, record-error, progress, done, fatal.
/* global subquad */
'use strict';
importScripts('../lib/subquad.js');

let sq = null;
let current = null; // { id, cancelled }

function post(msg) {
  self.postMessage(msg);
}

async function init({ flavour = 'auto', threads = 0 }) {
  const wasmBase = new URL('../wasm/', self.location.href).href;
  sq = await subquad.createSubquad({ flavour, threads, wasmBase });
  post({ type: 'ready', info: sq.info(), methods: sq.methods(), schema: sq.schema(), cancel: sq.cancelHandle() });
  // A short calibration right after, so every chart can show its share of this
  // machine's peak (the page is already interactive; a run waits ~0.1 s at most).
  try {
    post({ type: 'calibrated', record: sq.measure({ suite: 'peak', min_ms: 60 }) });
  } catch {
    // Calibration is optional: the Environment panel can still run it.
  }
}

// Lets queued messages (cancel) in between two kernel calls.
const yieldToEvents = () => new Promise((r) => setTimeout(r, 0));

async function run({ id, requests }) {
  current = { id, cancelled: false };
  sq.resetCancel();
  const t0 = performance.now();
  let done = 0;
  for (let i = 0; i < requests.length; i++) {
    await yieldToEvents();
    if (current.cancelled) break;
    try {
      const req = requests[i];
      const record = req.op ? OPS[req.op](req) : sq.measure(req);
      post({ type: 'record', id, index: i, record });
    } catch (e) {
      if (/^cancelled/.test(e.message)) {
        current.cancelled = true;
        break;
      }
      post({ type: 'record-error', id, index: i, error: e.message, request: requests[i] });
    }
    done++;
    const elapsed = performance.now() - t0;
    post({ type: 'progress', id, done, total: requests.length, elapsedMs: elapsed });
  }
  sq.resetCancel();
  post({ type: 'done', id, cancelled: current.cancelled, done, total: requests.length });
  current = null;
}

// The last texts → vectors conversion (≈ 200 ms for the 1,500 bundled
// e-mails), reused while the texts and settings stay the same — compared
// exactly, string by string, so a reuse can never answer for other texts.
let lastDocuments = null;
function documentsOf(texts, vocab, weighting) {
  const c = lastDocuments;
  if (c && c.vocab === vocab && c.weighting === weighting && c.texts.length === texts.length &&
      c.texts.every((t, k) => t === texts[k])) {
    return { docs: c.docs, reused: true };
  }
  lastDocuments = null;  // drop the old vectors before making new ones
  const docs = sq.documents(texts, { vocab, weighting });
  lastDocuments = { texts, vocab, weighting, docs };
  return { docs, reused: false };
}

// Requests that are not bench measurements: { op, ... } → a record.
const OPS = {
  // The documents panel: texts → vectors → the most (or least) similar pair,
  // plus the exact answer when the chosen method is a heuristic, and the
  // vocabulary words the two documents share (for highlighting).
  similarPair({ texts, vocab, weighting, problem, method, beta, threads }) {
    const { docs, reused } = documentsOf(texts, vocab, weighting);
    const data = { X: docs.X, n: docs.n, d: docs.d };
    const notes = [...docs.notes];
    let r;
    if (method === 'attention') {
      // One attention layer (flash, diagonal masked) compares every pair.
      r = sq.pairsByAttention(data, { problem, beta, threads, method: 'flash' });
      const k = docs.n - r.zeroRows;
      r.candidates = r.totalPairs = (k * (k - 1)) / 2;
      if (r.found) {
        notes.push(`Attention: β = ${beta} · ln ${k} = ${r.beta.toFixed(1)}; row #${r.i + 1}'s output estimates its best cosine as ${r.estimate.toFixed(4)} ` +
          (r.decoded ? 'and its position code names the partner.' : 'but tied or near-tied partners blur its position code, so the output step scanned that row (n·ℓ work).'));
      }
    } else {
      r = sq.pairs(method, data, { problem, threads });
    }
    const exact = method !== 'attention' && sq.methods().pairs.find((m) => m.name === method)?.exact;
    const best = exact ? r : sq.pairs('gram', data, { problem, threads });
    const shared = [];
    if (r.found) {
      const inI = new Set(docs.tokens[r.i]);
      for (const t of docs.tokens[r.j]) if (inI.has(t)) shared.push(docs.vocab[t]);
    }
    return {
      op: 'similarPair', method, problem, weighting, n: docs.n, d: docs.d, i: r.i, j: r.j, value: r.value,
      found: r.found, ms: r.ms, candidates: r.candidates, totalPairs: r.totalPairs, notes, shared, vectorsReused: reused,
      best: { i: best.i, j: best.j, value: best.value },
    };
  },
};

// Quick synchronous library calls (cost models, method lists), never kernels.
const CALLABLE = new Set(['attentionCost', 'cost', 'info', 'methods', 'schema']);

function call({ id, fn, args }) {
  if (!CALLABLE.has(fn)) throw new Error(`worker: '${fn}' cannot be called`);
  try {
    post({ type: 'result', id, value: sq[fn](...(args || [])) });
  } catch (e) {
    post({ type: 'result', id, error: e.message });
  }
}

self.onmessage = async (e) => {
  const msg = e.data;
  try {
    if (msg.type === 'init') await init(msg);
    else if (msg.type === 'call') call(msg);
    else if (msg.type === 'run') await run(msg);
    else if (msg.type === 'cancel') {
      if (current && current.id === msg.id) current.cancelled = true;
    }
  } catch (err) {
    post({ type: 'fatal', id: msg.id, error: err && err.message ? err.message : String(err) });
  }
};
