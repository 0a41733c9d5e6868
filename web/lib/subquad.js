// subquad's one JS entry point, for Node (CommonJS/ESM) and browsers (a Web
// Worker via importScripts, or a page via <script>).
//
//   const { createSubquad } = require('subquad');          // or import
//   const sq = await createSubquad({ flavour: 'auto', threads: 0 });
//   sq.info();   // { flavour, simd, threads, crossOriginIsolated, version, ... }
//   const { O, ms } = sq.attention('exact', { Q, K, V, n, d });
//   sq.measure({ suite: 'attention', method: 'exact', n: 4096, d: 64 });
//   sq.dispose();
//
// Two builds of the same C++ sources: `mt` (SIMD + pthreads, needs
// SharedArrayBuffer, i.e. cross-origin isolation in browsers) and `st` (SIMD
// only, runs everywhere). 'auto' picks mt when it can run.
(function (root, factory) {
  const api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.subquad = api;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  const isNode =
    typeof process === 'object' && !!(process.versions && process.versions.node) &&
    typeof window === 'undefined' && typeof importScripts !== 'function';
  const isWorker = !isNode && typeof importScripts === 'function';

  // The smallest module using a SIMD opcode (from wasm-feature-detect).
  const SIMD_PROBE = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0,
    253, 15, 253, 98, 11,
  ]);

  function simdSupported() {
    try {
      return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
    } catch (e) {
      return false;
    }
  }

  // Threads need SharedArrayBuffer, which browsers give only to cross-origin
  // isolated pages; a shared WebAssembly.Memory must also be creatable.
  function crossOriginIsolated() {
    if (isNode) return true;
    return typeof globalThis.crossOriginIsolated === 'boolean' && globalThis.crossOriginIsolated;
  }
  function threadsSupported() {
    if (!crossOriginIsolated() || typeof SharedArrayBuffer !== 'function') return false;
    try {
      const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      return m.buffer instanceof SharedArrayBuffer;
    } catch (e) {
      return false;
    }
  }

  function hardwareThreads() {
    if (isNode) {
      const os = require('os');
      return os.availableParallelism ? os.availableParallelism() : os.cpus().length;
    }
    return (typeof navigator === 'object' && navigator.hardwareConcurrency) || 2;
  }

  // Timer resolution: the smallest step performance.now() takes (5 µs when
  // isolated, 100 µs when not in Chromium); measured, not assumed.
  function timerResolutionMs() {
    let best = Infinity;
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      let t1 = t0;
      while (t1 === t0) t1 = performance.now();
      best = Math.min(best, t1 - t0);
    }
    return best;
  }

  class SubquadError extends Error {
    constructor(message) {
      super(message);
      this.name = 'SubquadError';
      const colon = message.indexOf(':');
      this.param = colon > 0 ? message.slice(0, colon) : undefined;
    }
  }

  function fail(message) {
    throw new SubquadError(message);
  }

  // Embind results are objects; {error} means the C++ side refused.
  function unwrap(result) {
    if (result && typeof result.error === 'string') fail(result.error);
    return result;
  }

  function loadScript(url, globalName) {
    if (isWorker) {
      importScripts(url);
      return Promise.resolve(globalThis[globalName]);
    }
    return new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = url;
      s.onload = () => resolve(globalThis[globalName]);
      s.onerror = () => reject(new SubquadError(`load: could not load ${url}`));
      document.head.appendChild(s);
    });
  }

  function defaultWasmBase() {
    if (isNode) return require('path').join(__dirname, '..', 'wasm');
    if (typeof document === 'object' && document.currentScript) {
      return new URL('../wasm/', document.currentScript.src).href;
    }
    return new URL('wasm/', globalThis.location.href).href;
  }

  async function instantiate(flavour, base, poolSize) {
    const name = `subquad-${flavour}`;
    const globalName = flavour === 'mt' ? 'SubquadMT' : 'SubquadST';
    const options = {};
    if (flavour === 'mt') options.pthreadPoolSize = poolSize;
    let factory;
    if (isNode) {
      const path = require('path');
      const fs = require('fs');
      const js = path.join(base, `${name}.js`);
      if (!fs.existsSync(js)) fail(`load: ${js} is missing; run "npm run build" first`);
      factory = require(js);
      // Emscripten 3.1.6 calls fetch() on a file path under Node 20: hand it the bytes.
      options.wasmBinary = fs.readFileSync(path.join(base, `${name}.wasm`));
    } else {
      const baseUrl = base.endsWith('/') ? base : base + '/';
      const jsUrl = new URL(`${name}.js`, baseUrl).href;
      factory = await loadScript(jsUrl, globalName);
      if (typeof factory !== 'function') fail(`load: ${jsUrl} did not define ${globalName}`);
      // A pthread build in a worker needs absolute URLs for its own threads.
      options.mainScriptUrlOrBlob = jsUrl;
      options.locateFile = (file) => new URL(file, baseUrl).href;
    }
    return factory(options);
  }

  /**
   * Loads the WASM library.
   * @param {object} [opts]
   * @param {'auto'|'mt'|'st'} [opts.flavour='auto']
   * @param {number} [opts.threads=0]  pool size for mt; 0 = min(8, hardware threads)
   * @param {string} [opts.wasmBase]   folder (path or URL) holding subquad-{st,mt}.{js,wasm}
   */
  async function createSubquad(opts = {}) {
    const requested = opts.flavour || 'auto';
    if (!['auto', 'mt', 'st'].includes(requested)) {
      fail(`flavour: got '${requested}', must be auto, mt or st`);
    }
    const threadsOk = Number.isInteger(opts.threads || 0) && (opts.threads || 0) >= 0;
    if (!threadsOk) fail(`threads: got ${opts.threads}, must be an integer >= 0 (0 = all cores)`);
    const simd = simdSupported();
    if (!simd) fail('simd: this runtime has no WebAssembly SIMD (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+)');
    const isolated = crossOriginIsolated();
    const canThread = threadsSupported();
    let flavour = requested === 'auto' ? (canThread ? 'mt' : 'st') : requested;
    if (flavour === 'mt' && !canThread) {
      fail('flavour: mt needs cross-origin isolation (COOP/COEP headers) and SharedArrayBuffer; use st');
    }
    const poolSize = Math.max(1, Math.min(64, opts.threads || Math.min(8, hardwareThreads())));
    const base = opts.wasmBase || defaultWasmBase();
    const Module = await instantiate(flavour, base, poolSize);
    if (flavour === 'mt') Module.setMaxThreads(poolSize);
    const version = Module.version();
    const timerMs = timerResolutionMs();
    let disposed = false;
    let schemaCache = null;

    function check() {
      if (disposed) fail('module: this instance was disposed');
    }

    // Copies typed arrays into the WASM heap, runs fn with their addresses and
    // frees them whatever happens. `outputs` are allocated (not copied in) and
    // copied out afterwards. Addresses are unsigned (>>> 0): _malloc returns an
    // i32, negative past 2 GiB in st (heap up to 4 GiB).
    function withHeap(inputs, outputs, fn) {
      const ptrs = {};
      const all = [];
      try {
        for (const [name, arr] of Object.entries(inputs)) {
          const p = Module._malloc(Math.max(4, arr.byteLength)) >>> 0;
          if (!p) fail(`${name}: could not allocate ${(arr.byteLength / 1048576).toFixed(1)} MiB in the WASM heap`);
          all.push(p);
          ptrs[name] = p;
          Module.HEAPU8.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), p);
        }
        for (const [name, bytes] of Object.entries(outputs)) {
          const p = Module._malloc(Math.max(4, bytes)) >>> 0;
          if (!p) fail(`${name}: could not allocate ${(bytes / 1048576).toFixed(1)} MiB in the WASM heap`);
          all.push(p);
          ptrs[name] = p;
        }
        const result = fn(ptrs);
        // Take views only now: growing memory detaches earlier ones.
        const copies = {};
        for (const [name, bytes] of Object.entries(outputs)) {
          copies[name] = new Float32Array(Module.HEAPU8.buffer.slice(ptrs[name], ptrs[name] + bytes));
        }
        return { result, copies };
      } finally {
        for (const p of all) Module._free(p);
      }
    }

    // Option values travel as strings; booleans as 1/0.
    function stringify(options) {
      const out = {};
      for (const [k, v] of Object.entries(options || {})) {
        if (v === undefined || v === null) continue;
        out[k] = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
      }
      return out;
    }

    function floatArray(name, value, expected, shape) {
      if (!(value instanceof Float32Array)) {
        if (Array.isArray(value) || ArrayBuffer.isView(value)) value = Float32Array.from(value);
        else fail(`${name}: must be a Float32Array (or an array of numbers)`);
      }
      if (value.length !== expected) {
        fail(`${name}: length ${value.length} does not match ${shape} = ${expected}`);
      }
      return value;
    }

    function positiveInt(name, v, max) {
      if (!Number.isInteger(v) || v < 1 || v > max) fail(`${name}: got ${v}, must be an integer in [1, ${max}]`);
      return v;
    }

    // Refuses, before anything is copied, a call whose buffers exceed the
    // memory budget: "<params>: <what> need X MiB, memory budget is Y MiB".
    function withinBudget(params, what, bytes) {
      const budget = Module.memoryBudget();
      const mib = (b) => (b / 1048576).toFixed(1);
      if (bytes > budget) fail(`${params}: ${what} need ${mib(bytes)} MiB, memory budget is ${mib(budget)} MiB`);
    }

    // Pair search inputs: X (n×d) and optional Y (m×d), checked against their shapes.
    function pairsData({ X, n, d, Y, m }) {
      positiveInt('n', n, 1 << 24);
      positiveInt('d', d, 65536);
      const inputs = { X: floatArray('X', X, n * d, 'n·d') };
      let rows = n;
      if (Y !== undefined && Y !== null) {
        positiveInt('m', m, 1 << 24);
        inputs.Y = floatArray('Y', Y, m * d, 'm·d');
        rows += m;
      } else if (m !== undefined && m !== null) {
        fail('m: given without Y (pass both for a bichromatic problem)');
      }
      withinBudget('n, d', 'inputs', 4 * rows * d);
      return { inputs, m: inputs.Y ? m : 0 };
    }

    const api = {
      SubquadError,
      module: Module,

      info() {
        check();
        return {
          flavour,
          simd,
          threads: Module.maxThreads(),
          poolSize: flavour === 'mt' ? poolSize : 1,
          hardwareThreads: hardwareThreads(),
          crossOriginIsolated: isolated,
          timerResolutionMs: timerMs,
          memoryBudgetMB: Module.memoryBudget() / 1048576,
          version,
        };
      },

      methods() {
        check();
        // One list per family the build has (attention, ssm, pairs): each
        // family's bindings export <family>Methods().
        const out = {};
        for (const family of ['attention', 'ssm', 'pairs']) {
          const fn = Module[`${family}Methods`];
          if (typeof fn === 'function') out[family] = fn();
        }
        return out;
      },

      /**
       * Runs an attention method: Q is n×d, K and V are n_k×d (n_k = n unless
       * given; the exact methods take n_k ≠ n). With options.return_lse the
       * result also holds lse, each row's natural-log log-sum-exp. Returns
       * { O, lse?, ms (the kernel alone), validate_ms, threads, scale, flops, stats }.
       */
      attention(method, { Q, K, V, n, n_k, d }, options = {}) {
        check();
        const limits = api.schema().families.attention.dims;
        positiveInt('n', n, limits.n.max);
        if (n_k === undefined || n_k === null) n_k = n;
        positiveInt('n_k', n_k, limits.n_k.max);
        positiveInt('d', d, limits.d.max);
        Q = floatArray('Q', Q, n * d, 'n·d');
        K = floatArray('K', K, n_k * d, 'n_k·d');
        V = floatArray('V', V, n_k * d, 'n_k·d');
        const lse = options && (options.return_lse === true || options.return_lse === 1 || options.return_lse === '1' ||
          options.return_lse === 'true');
        const outputs = { O: 4 * n * d };
        if (lse) outputs.lse = 4 * n;
        withinBudget('n, n_k, d', 'inputs and output', 4 * (2 * n * d + 2 * n_k * d + (lse ? n : 0)));
        const { result, copies } = withHeap({ Q, K, V }, outputs, (p) =>
          unwrap(Module.attentionRun(String(method), p.Q, p.K, p.V, p.O, p.lse || 0, n, n_k, d, stringify(options))),
        );
        return lse ? { ...result, O: copies.O, lse: copies.lse } : { ...result, O: copies.O };
      },

      /**
       * Every family's methods, inputs, options (type, default, limits, doc)
       * and dimension limits: { families: { attention: { summary, paper, dims,
       * methods: { flash: { summary, exact, inputs, options } } } } }.
       */
      schema() {
        check();
        if (!schemaCache) schemaCache = JSON.parse(Module.schema());
        return schemaCache;
      },

      /**
       * One cost call for every family: dims in the family's dimensions
       * ({ n, d } for attention, { L, D, N } for ssm, { n, m?, d } for pairs);
       * options are checked as a run would check them. Returns { flops, bytes, memory_bytes }.
       */
      cost(family, method, dims = {}, options = {}) {
        check();
        if (!dims || typeof dims !== 'object') fail('dims: must be an object of dimensions');
        return unwrap(Module.cost(String(family), String(method), dims, stringify(options)));
      },

      /** The method's cost model at a shape: { flops, bytes, memory_bytes }. */
      attentionCost(method, n, d, options = {}) {
        check();
        return unwrap(Module.attentionCost(String(method), n, d, stringify(options)));
      },

      // ---- SSM family (cpp/ssm/, cpp/bindings/ssm_bindings.cpp) ----

      /**
       * Runs a selective scan: x, delta (L×D), A (D×N), B, C (L×N), Dskip (D).
       * Returns { y, ms, threads, stats }.
       */
      ssmScan(method, { x, delta, A, B, C, Dskip, L, D, N }, options = {}) {
        check();
        positiveInt('L', L, 1 << 24);
        positiveInt('D', D, 65536);
        positiveInt('N', N, 1024);
        x = floatArray('x', x, L * D, 'L·D');
        delta = floatArray('delta', delta, L * D, 'L·D');
        A = floatArray('A', A, D * N, 'D·N');
        B = floatArray('B', B, L * N, 'L·N');
        C = floatArray('C', C, L * N, 'L·N');
        Dskip = floatArray('Dskip', Dskip, D, 'D');
        withinBudget('L, D, N', 'inputs and output', 4 * (3 * L * D + 2 * L * N + D * N + D));
        const { result, copies } = withHeap({ x, delta, A, B, C, Dskip }, { y: 4 * L * D }, (p) =>
          unwrap(Module.ssmScan(String(method), p.x, p.delta, p.A, p.B, p.C, p.Dskip, p.y, L, D, N, stringify(options))),
        );
        return { ...result, y: copies.y };
      },

      /**
       * Runs a block (mamba_block, attention_block, …) of width D with seeded
       * weights (options.seed) on x (L×D); without x the module generates it
       * (options.input_seed). Returns { y, ms, threads, ... }.
       */
      ssmBlock(method, { x, L, D }, options = {}) {
        check();
        positiveInt('L', L, 1 << 24);
        positiveInt('D', D, 4096);
        const bytes = 4 * L * D;
        withinBudget('L, D', 'input and output', 2 * bytes);
        const inputs = x === undefined || x === null ? {} : { x: floatArray('x', x, L * D, 'L·D') };
        const { result, copies } = withHeap(inputs, { y: bytes }, (p) =>
          unwrap(Module.ssmBlock(String(method), p.x || 0, p.y, L, D, stringify(options))),
        );
        return { ...result, y: copies.y };
      },

      /** The SSM method's cost model at a shape: { flops, bytes, memory_bytes }. */
      ssmCost(method, L, D, N, options = {}) {
        check();
        return unwrap(Module.ssmCost(String(method), L, D, N, stringify(options)));
      },

      // ---- end of the SSM family ----

      // ---- Pair search (cpp/pairs/; THEORY.md §3, §5) ---------------------
      // Vectors are row-major Float32Arrays: X is n×d; Y (m×d) makes the
      // problem bichromatic. Problems: msd, lsd (cosine), maxip, minip
      // (inner product, optional threshold), ov. Ties: smallest (i, j).

      /**
       * Runs a pair-search method; returns { i, j, value, found, candidates,
       * totalPairs, ms, threads, stats } (i = j = -1 when no valid pair exists).
       * options: problem, threshold, tables, bits, bands, rows, seed, threads;
       * gamma (≥ 1) also checks the pair against the exact optimum → result.check.
       */
      pairs(method, { X, n, d, Y, m } = {}, options = {}) {
        check();
        const data = pairsData({ X, n, d, Y, m });
        const { gamma, ...rest } = options || {};
        const { result } = withHeap(data.inputs, {}, (p) =>
          unwrap(Module.pairsRun(String(method), p.X, n, d, p.Y || 0, data.m, stringify(rest))),
        );
        if (gamma !== undefined && gamma !== null && result.i >= 0) {
          result.check = api.pairsCheck(rest.problem || 'msd', { X, n, d, Y, m }, result, gamma);
        }
        return result;
      },

      /**
       * The most (problem 'msd') or least ('lsd') similar pair by one attention
       * layer with a masked diagonal (THEORY.md §3; cpp/experiments/construction.hpp):
       * Q = ±β·U, K = U, V = [U | position codes], β = beta·ln n. options:
       * problem, method (an attention method with a diagonal mask: flash,
       * exact, exact_reference), beta (default 100), threads. Returns { found,
       * i, j, value (exact cosine), estimate (read from the output), decoded
       * (partner named by the codes, no row scan), beta, zeroRows, ms }.
       */
      pairsByAttention({ X, n, d } = {}, options = {}) {
        check();
        const data = pairsData({ X, n, d });
        withinBudget('n, d', 'Q, K, V and the output of the attention layer', 16 * n * (d + 21));
        const { result } = withHeap(data.inputs, {}, (p) =>
          unwrap(Module.pairsByAttention(p.X, n, d, stringify(options))),
        );
        return result;
      },

      /** γ-checker: { ok, optimum, value, ratio } for the pair (i, j) against the exact optimum. */
      pairsCheck(problem, { X, n, d, Y, m } = {}, { i, j } = {}, gamma = 1) {
        check();
        const data = pairsData({ X, n, d, Y, m });
        if (!Number.isInteger(i) || !Number.isInteger(j)) fail(`i, j: got ${i}, ${j}, must be integers`);
        if (typeof gamma !== 'number' || !(gamma >= 1)) fail(`gamma: got ${gamma}, must be a number >= 1`);
        const { result } = withHeap(data.inputs, {}, (p) =>
          unwrap(Module.pairsCheck(String(problem), p.X, n, d, p.Y || 0, data.m, i, j, gamma)),
        );
        return result;
      },

      /**
       * A seeded instance: gen = gaussian | sparse | planted | planted_sparse | ovhard;
       * returns { X, n, d, planted: [i, j] or null }.
       */
      pairsGenerate(gen, options = {}) {
        check();
        const { n = 1024, d = 128 } = options || {};
        positiveInt('n', n, 1 << 20);
        positiveInt('d', d, 65536);
        withinBudget('n, d', 'the generated vectors', 8 * n * d);
        return unwrap(Module.pairsGenerate(String(gen), stringify(options)));
      },

      /**
       * Documents → vectors: texts is an array of strings (one per document);
       * options: vocab (words kept, by document frequency), weighting
       * ('binary' | 'tfidf'), stopwords (true: drop English stop-words).
       * Returns { X, n, d, vocab, tokens (vocab ids per document), notes }.
       */
      documents(texts, options = {}) {
        check();
        if (!Array.isArray(texts)) fail('texts: must be an array of strings (one per document)');
        if (texts.length < 1 || texts.length > 20000) fail(`texts: got ${texts.length} documents, must be between 1 and 20000`);
        let chars = 0;
        for (let k = 0; k < texts.length; k++) {
          if (typeof texts[k] !== 'string') fail(`texts: entry ${k} is not a string`);
          chars += texts[k].length;
          if (chars > 16 * 1048576) fail('texts: more than 16777216 characters in all (limit 16 MiB)');
        }
        const { weighting = 'binary' } = options || {};
        if (weighting !== 'binary' && weighting !== 'tfidf') fail(`weighting: got '${weighting}', must be binary or tfidf`);
        return unwrap(Module.pairsDocuments(texts, stringify(options)));
      },

      /** The tokeniser documents() uses: lowercase words of any script, in order. */
      tokenize(text) {
        check();
        if (typeof text !== 'string') fail('text: must be a string');
        if (text.length > 16 * 1048576) fail('text: more than 16777216 characters (limit 16 MiB)');
        return unwrap(Module.pairsTokenize(text)).tokens;
      },
      // ---- end of pair search ----------------------------------------------

      /** One benchmark record (timed in C++): see cpp/bench/measure.hpp. */
      measure(options) {
        check();
        const r = unwrap(Module.measure(stringify(options)));
        return JSON.parse(r.json);
      },

      /** { used, heapSize, heapMax } in bytes: what malloc holds and the heap's size. */
      heapStats() {
        check();
        return Module.heapStats();
      },

      setMemoryBudget(bytes) {
        check();
        Module.setMemoryBudget(bytes);
      },

      /** Asks running kernels to stop at their next block (they throw 'cancelled'). */
      cancel() {
        check();
        Module.setCancel(1);
      },
      resetCancel() {
        check();
        Module.setCancel(0);
      },
      /**
       * In mt the heap is a SharedArrayBuffer: another thread (the page) can set
       * the flag while a kernel runs. Returns { buffer, index } for Atomics.store,
       * or null in st (cancel between calls instead).
       */
      cancelHandle() {
        check();
        const buffer = Module.HEAP32.buffer;
        if (typeof SharedArrayBuffer !== 'function' || !(buffer instanceof SharedArrayBuffer)) return null;
        return { buffer, index: (Module.cancelFlagAddress() >>> 0) >>> 2 };
      },

      /** Stops the pthread pool (Node keeps the process alive otherwise). */
      dispose() {
        if (disposed) return;
        disposed = true;
        if (Module.PThread) Module.PThread.terminateAllThreads();
      },
    };
    return api;
  }

  return { createSubquad, SubquadError, simdSupported, threadsSupported };
});
