// Main-thread side of the worker protocol (web/app/worker.js). All kernel
// work happens in the worker; this only sends requests and routes replies.
export class LabClient {
  constructor(workerUrl = new URL('./worker.js', import.meta.url)) {
    // Adopt the worker web/app/early.js started (its init is already under way).
    const early = self.subquadEarly;
    self.subquadEarly = null;
    this.early = early || null;
    this.worker = early ? early.worker : new Worker(workerUrl);
    this.nextId = 1;
    this.runs = new Map();
    this.cancelView = null;
    this.worker.onmessage = (e) => this.onMessage(e.data);
    this.worker.onerror = (e) => {
      const err = new Error(`worker: ${e.message || 'failed to start'}`);
      if (this.pendingInit) this.pendingInit.reject(err);
      for (const run of this.runs.values()) run.reject(err);
      this.runs.clear();
    };
  }

  /** Loads the WASM module in the worker; resolves to { info, methods }. */
  init({ flavour = 'auto', threads = 0 } = {}) {
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
   * Runs measurement requests one after another in the worker.
   * onRecord(record, index) is called as each arrives; onError(message, index);
   * onProgress({ done, total, elapsedMs }). Resolves to { cancelled, done, total }.
   */
  run(requests, { onRecord, onError, onProgress } = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.runs.set(id, { resolve, reject, onRecord, onError, onProgress });
      this.worker.postMessage({ type: 'run', id, requests });
      this.active = id;
    });
  }

  /** A quick library call in the worker (e.g. attentionCost); resolves to its value. */
  call(fn, ...args) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.calls = this.calls || new Map();
      this.calls.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'call', id, fn, args });
    });
  }

  /** Stops the current run: between calls always; inside a kernel in mt (shared flag). */
  cancel() {
    if (!this.active) return;
    this.worker.postMessage({ type: 'cancel', id: this.active });
    if (this.cancelView) Atomics.store(this.cancelView.array, this.cancelView.index, 1);
  }

  onMessage(msg) {
    if (msg.type === 'ready') {
      if (msg.cancel) this.cancelView = { array: new Int32Array(msg.cancel.buffer), index: msg.cancel.index };
      this.pendingInit?.resolve({ info: msg.info, methods: msg.methods, schema: msg.schema });
      this.pendingInit = null;
      return;
    }
    if (msg.type === 'calibrated') {
      this.onCalibrated?.(msg.record);
      return;
    }
    if (msg.type === 'fatal' && this.pendingInit) {
      this.pendingInit.reject(new Error(msg.error));
      this.pendingInit = null;
      return;
    }
    if (msg.type === 'result') {
      const c = this.calls?.get(msg.id);
      this.calls?.delete(msg.id);
      if (c) (msg.error ? c.reject(new Error(msg.error)) : c.resolve(msg.value));
      return;
    }
    const run = this.runs.get(msg.id);
    if (!run) return;
    if (msg.type === 'record') run.onRecord?.(msg.record, msg.index);
    else if (msg.type === 'record-error') run.onError?.(msg.error, msg.index, msg.request);
    else if (msg.type === 'progress') run.onProgress?.(msg);
    else if (msg.type === 'done' || msg.type === 'fatal') {
      this.runs.delete(msg.id);
      if (this.active === msg.id) this.active = null;
      if (msg.type === 'done') run.resolve(msg);
      else run.reject(new Error(msg.error));
    }
  }
}
