// Main-thread side of the worker protocol (web/app/worker.js). All kernel
// work happens in the worker; this only sends requests and routes replies.
//
// Runs queue in the worker, one at a time, in the order they were started;
// this side mirrors the queue so a waiting panel can say what it waits for,
// cancel exactly its own run, and resubmit the waiting runs to a fresh
// worker. Cancel of a running run: in mt a flag in shared memory stops the
// kernel at its next block; in st the worker cannot read a message while a
// kernel runs, so when it has not stopped after STOP_GRACE_MS the worker is
// replaced (the page keeps its results; the module loads again, without
// re-calibrating).
const STOP_GRACE_MS = 150;

export class LabClient {
  constructor(workerUrl = new URL('./worker.js', import.meta.url)) {
    this.workerUrl = workerUrl;
    // Adopt the worker web/app/early.js started (its init is already under way).
    const early = self.subquadEarly;
    self.subquadEarly = null;
    this.early = early || null;
    this.nextId = 1;
    this.runs = new Map(); // id → run, in the order started (= the worker's queue order)
    this.calls = new Map();
    this.cancelView = null;
    this.info = null;
    this.initOptions = { flavour: 'auto', threads: 0 };
    this.restarts = [];    // { at, readyMs } per replacement worker, for tests and the curious
    this.attach(early ? early.worker : new Worker(workerUrl));
  }

  attach(worker) {
    this.worker = worker;
    worker.onmessage = (e) => {
      if (worker === this.worker) this.onMessage(e.data);
    };
    worker.onerror = (e) => {
      if (worker !== this.worker) return;
      const err = new Error(`worker: ${e.message || 'failed to start'}`);
      if (this.pendingInit) this.pendingInit.reject(err);
      this.pendingInit = null;
      for (const run of this.runs.values()) run.reject(err);
      this.runs.clear();
    };
  }

  /** Loads the WASM module in the worker; resolves to { info, methods }. */
  init({ flavour = 'auto', threads = 0 } = {}) {
    this.initOptions = { flavour, threads };
    return new Promise((resolve, reject) => {
      this.pendingInit = { resolve, reject };
      if (this.early && this.early.flavour === flavour && threads === 0) {
        // Started early with the same request: replay what it has said so far.
        const { messages } = this.early;
        this.early = null;
        for (const m of messages) this.onMessage(m);
        return;
      }
      this.early = null;
      this.worker.postMessage({ type: 'init', flavour, threads });
    });
  }

  /**
   * Queues measurement requests as one run; the worker runs them one after
   * another once the runs before this one are done. Callbacks:
   * onRecord(record, index), onError(message, index), onProgress({ done,
   * total, elapsedMs }), onQueued(labelOfTheRunAhead), onStart().
   * Resolves to { cancelled, done, total }. The promise carries `id` and
   * `cancel()` (cancels this run only).
   */
  run(requests, { label = 'run', onRecord, onError, onProgress, onQueued, onStart } = {}) {
    const id = this.nextId++;
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.runs.set(id, { id, label, requests, resolve, reject, onRecord, onError, onProgress, onQueued, onStart,
      started: false, done: 0, ahead: undefined });
    this.worker.postMessage({ type: 'run', id, requests });
    this.notifyQueue();
    promise.id = id;
    promise.cancel = () => this.cancel(id);
    return promise;
  }

  /** A quick library call in the worker (e.g. sq.cost); resolves to its value. */
  call(fn, ...args) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { fn, args, resolve, reject });
      this.worker.postMessage({ type: 'call', id, fn, args });
    });
  }

  /** Labels of the runs not yet finished, in queue order (the first may be running). */
  pending() {
    return [...this.runs.values()].map((r) => ({ id: r.id, label: r.label, started: r.started }));
  }

  /**
   * Cancels run `id` (default: every run — the oldest first). A waiting run
   * just leaves the queue; a running one stops (see the top of this file).
   * The run's promise resolves at once, with the records it has so far.
   */
  cancel(id) {
    if (id === undefined) {
      for (const r of [...this.runs.values()].reverse()) this.cancel(r.id);
      return;
    }
    const run = this.runs.get(id);
    if (!run) return;
    this.worker.postMessage({ type: 'cancel', id });
    if (run.started && this.cancelView) {
      // mt: the kernel sees the flag at its next block; the worker says 'done'.
      Atomics.store(this.cancelView.array, this.cancelView.index, 1);
      return;
    }
    this.finish(run, { type: 'done', cancelled: true, done: run.done, total: run.requests.length });
    if (!run.started) return;
    // st: between two points the worker reads the message and says 'done';
    // inside a kernel it cannot, so after a short grace it is replaced.
    const worker = this.worker;
    this.stopping = { id, worker };
    setTimeout(() => {
      if (this.stopping?.id === id && this.worker === worker) this.restart();
    }, STOP_GRACE_MS);
  }

  /** Replaces the worker: a fresh module, the waiting runs and calls resubmitted in order. */
  restart() {
    this.stopping = null;
    this.worker.terminate();
    const at = performance.now();
    this.restarts.push({ at, readyMs: null });
    this.cancelView = null;
    this.attach(new Worker(this.workerUrl));
    const { threads } = this.initOptions;
    const flavour = this.info?.flavour || this.initOptions.flavour;
    // The same micro-kernel as before: no second measurement, no change of speed mid-session.
    const picked = this.info?.kernels?.gemm?.picked;
    const kernels = picked ? { gemm: picked } : 'auto';
    this.worker.postMessage({ type: 'init', flavour, threads, calibrate: false, kernels });
    for (const run of this.runs.values()) {
      run.started = false;
      run.done = 0;
      this.worker.postMessage({ type: 'run', id: run.id, requests: run.requests });
    }
    for (const [id, c] of this.calls) this.worker.postMessage({ type: 'call', id, fn: c.fn, args: c.args });
    this.notifyQueue();
  }

  // Tells each waiting run which run is now directly ahead of it.
  notifyQueue() {
    let ahead = null;
    for (const run of this.runs.values()) {
      const id = ahead ? ahead.id : null;
      // (Nothing ahead but not started yet: a replacement worker is loading.)
      if (!run.started && run.ahead !== id && (ahead || run.ahead !== undefined)) {
        run.ahead = id;
        run.onQueued?.(ahead ? ahead.label : null);
      }
      ahead = run;
    }
  }

  finish(run, msg) {
    if (!this.runs.delete(run.id)) return;
    if (msg.type === 'done') run.resolve({ cancelled: msg.cancelled, done: msg.done, total: msg.total });
    else run.reject(new Error(msg.error));
    this.notifyQueue();
  }

  onMessage(msg) {
    if (msg.type === 'ready') {
      this.info = msg.info;
      this.cancelView = msg.cancel ? { array: new Int32Array(msg.cancel.buffer), index: msg.cancel.index } : null;
      const restart = this.restarts.at(-1);
      if (restart && restart.readyMs === null) restart.readyMs = performance.now() - restart.at;
      this.pendingInit?.resolve({ info: msg.info, methods: msg.methods });
      this.pendingInit = null;
      return;
    }
    if (msg.type === 'calibrated') {
      // The calibration picked the micro-kernel variant: the info says which.
      this.info = { ...this.info, ...msg.info };
      this.onCalibrated?.(msg.record, this.info);
      return;
    }
    if (msg.type === 'fatal' && msg.id === undefined) {
      const err = new Error(msg.error);
      if (this.pendingInit) this.pendingInit.reject(err);
      this.pendingInit = null;
      for (const run of this.runs.values()) run.reject(err);
      this.runs.clear();
      return;
    }
    if (msg.type === 'result') {
      const c = this.calls.get(msg.id);
      this.calls.delete(msg.id);
      if (c) (msg.error ? c.reject(new Error(msg.error)) : c.resolve(msg.value));
      return;
    }
    if (msg.type === 'done' && this.stopping?.id === msg.id) this.stopping = null; // stopped between points
    const run = this.runs.get(msg.id);
    if (!run) return;
    if (msg.type === 'started') {
      run.started = true;
      run.onStart?.();
      this.notifyQueue();
    } else if (msg.type === 'record') run.onRecord?.(msg.record, msg.index);
    else if (msg.type === 'record-error') run.onError?.(msg.error, msg.index, msg.request);
    else if (msg.type === 'progress') {
      run.done = msg.done;
      run.onProgress?.(msg);
    } else if (msg.type === 'done' || msg.type === 'fatal') this.finish(run, msg);
  }
}
