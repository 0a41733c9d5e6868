// subquad's one JS entry point, for Node (CommonJS/ESM) and browsers (a Web
// Worker via importScripts, or a page via <script>).
//
//   const { createSubquad } = require('subquad');          // or import
//   const sq = await createSubquad({ flavour: 'auto', threads: 0 });
//   sq.info();   // { flavour, fma, simd, relaxedSimd, threads, crossOriginIsolated, version, ... }
//   const { O, ms } = sq.attention('exact', { Q, K, V, n, d });
//   sq.measure({ suite: 'attention', method: 'exact', n: 4096, d: 64 });
//   sq.dispose();
//
// This file is the core: loading, the heap plumbing, errors, the schema and
// the one cost call, measurements, cancel. Each family's methods live in a
// file of their own beside it (attention.js, ssm.js, pairs.js, grad.js, collapse.js, simulate.js, neurons.js, tensor.js, kernel.js), installed on
// the same api object; a classic worker loads them with importScripts
// (subquad.FAMILIES lists them), Node with require.
//
// Two builds of the same C++ sources: `mt` (SIMD + pthreads, needs
// SharedArrayBuffer, i.e. cross-origin isolation in browsers) and `st` (SIMD
// only, runs everywhere), each also as an FMA flavour (`mt-fma`, `st-fma`:
// relaxed SIMD's f32x4.relaxed_madd in the micro-kernels; Chromium 114+,
// Node 22+, Node 20 with --experimental-wasm-relaxed-simd). 'auto' picks
// mt-fma > mt > st-fma > st, the first the host can run.
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

  // The smallest module using f32x4.relaxed_madd (0xfd 0x85 0x02), the op the
  // FMA flavours are built for: () → v128 = relaxed_madd(splat, splat, splat).
  // Checked before loading: a runtime without relaxed SIMD hangs on the module.
  const RELAXED_SIMD_PROBE = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0,
    65, 1, 253, 15, 65, 1, 253, 15, 65, 1, 253, 15, 253, 133, 2, 11,
  ]);

  function relaxedSimdSupported() {
    try {
      return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_SIMD_PROBE);
    } catch (e) {
      return false;
    }
  }

  const FLAVOURS = ['mt-fma', 'mt', 'st-fma', 'st'];  // best first: what 'auto' tries
  const threaded = (flavour) => flavour.startsWith('mt');
  const isFma = (flavour) => flavour.endsWith('-fma');

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

  // The families' JS, one file each beside this one (web/lib/<family>.js).
  const FAMILIES = ['attention', 'ssm', 'pairs', 'grad', 'collapse', 'simulate', 'neurons', 'tensor', 'kernel'];

  function familyInstallers() {
    if (isNode) {
      // Literal paths, so bundlers see them.
      return { attention: require('./attention.js'), ssm: require('./ssm.js'), pairs: require('./pairs.js'),
        grad: require('./grad.js'), collapse: require('./collapse.js'), simulate: require('./simulate.js'),
        neurons: require('./neurons.js'), tensor: require('./tensor.js'),
        kernel: require('./kernel.js') };
    }
    const loaded = globalThis.subquadFamilies || {};
    return Object.fromEntries(FAMILIES.map((f) => [f, loaded[f]]));
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
    const globalName = `Subquad${threaded(flavour) ? 'MT' : 'ST'}${isFma(flavour) ? 'FMA' : ''}`;
    const options = {};
    if (threaded(flavour)) options.pthreadPoolSize = poolSize;
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

  // The GEMM micro-kernel every kernel calls (cpp/simd/gemm_variants.hpp):
  // 'auto' (default) times each variant on this machine for ~40 ms and picks
  // the fastest; { gemm: '<variant name>' } forces one (a restarted worker
  // passes its predecessor's pick: no second measurement); 'default' keeps the
  // first variant unmeasured.
  function pickKernels(Module, kernels = 'auto') {
    const call = (action, ms = 0) => {
      const r = Module.gemmKernels(action, ms);
      if (r && r.error) fail(`kernels.gemm: ${r.error}`);
      return r;
    };
    if (kernels === 'auto') return call('auto', 40);
    if (kernels === 'default') return call('');
    if (kernels && typeof kernels === 'object' && !Array.isArray(kernels)) {
      const unknown = Object.keys(kernels).filter((k) => k !== 'gemm');
      if (unknown.length) fail(`kernels: unknown kernel family '${unknown[0]}', must be gemm`);
      const gemm = kernels.gemm ?? 'auto';
      if (typeof gemm !== 'string') fail(`kernels.gemm: got ${typeof gemm}, must be 'auto' or a variant's name`);
      return gemm === 'auto' ? call('auto', 40) : call(gemm);
    }
    fail(`kernels: got ${JSON.stringify(kernels)}, must be 'auto', 'default' or { gemm: '<variant>' }`);
  }

  /**
   * Loads the WASM library.
   * @param {object} [opts]
   * @param {'auto'|'mt-fma'|'mt'|'st-fma'|'st'} [opts.flavour='auto']  auto: the first of
   *   mt-fma, mt, st-fma, st the host can run (FMA: relaxed SIMD; mt: cross-origin isolation)
   * @param {number} [opts.threads=0]  pool size for mt; 0 = min(8, hardware threads)
   * @param {string} [opts.wasmBase]   folder (path or URL) holding subquad-{st,mt}.{js,wasm}
   * @param {'auto'|'default'|{gemm: string}} [opts.kernels='auto']  micro-kernel variants:
   *   measured here ('auto'), the first ('default'), or forced by name
   */
  async function createSubquad(opts = {}) {
    const requested = opts.flavour || 'auto';
    if (!['auto', ...FLAVOURS].includes(requested)) {
      fail(`flavour: got '${requested}', must be auto, ${FLAVOURS.join(', ')}`);
    }
    const threadsOk = Number.isInteger(opts.threads || 0) && (opts.threads || 0) >= 0;
    if (!threadsOk) fail(`threads: got ${opts.threads}, must be an integer >= 0 (0 = all cores)`);
    const simd = simdSupported();
    if (!simd) fail('simd: this runtime has no WebAssembly SIMD (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+)');
    const isolated = crossOriginIsolated();
    const canThread = threadsSupported();
    const relaxedSimd = relaxedSimdSupported();
    const base = opts.wasmBase || defaultWasmBase();
    const runnable = (f) => (!threaded(f) || canThread) && (!isFma(f) || relaxedSimd);
    let flavour = requested;
    if (requested === 'auto') {
      // Node can see which builds exist: a checkout built without the FMA
      // flavours still loads. A page is served what the build made (all four).
      const built = (f) => !isNode || require('fs').existsSync(require('path').join(base, `subquad-${f}.wasm`));
      flavour = FLAVOURS.find((f) => runnable(f) && (!isFma(f) || built(f))) || 'st';
    }
    if (threaded(flavour) && !canThread) {
      fail(`flavour: ${flavour} needs cross-origin isolation (COOP/COEP headers) and SharedArrayBuffer; use ${isFma(flavour) ? 'st-fma' : 'st'}`);
    }
    if (isFma(flavour) && !relaxedSimd) {
      fail(`flavour: ${flavour} needs WebAssembly relaxed SIMD (Chrome 114+, Node 22+, Node 20 with --experimental-wasm-relaxed-simd); use ${threaded(flavour) ? 'mt' : 'st'}`);
    }
    const poolSize = Math.max(1, Math.min(64, opts.threads || Math.min(8, hardwareThreads())));
    const Module = await instantiate(flavour, base, poolSize);
    if (threaded(flavour)) Module.setMaxThreads(poolSize);
    pickKernels(Module, opts.kernels);
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

    const api = {
      SubquadError,
      module: Module,

      info() {
        check();
        return {
          flavour,
          fma: isFma(flavour),
          simd,
          relaxedSimd,
          threads: Module.maxThreads(),
          poolSize: threaded(flavour) ? poolSize : 1,
          hardwareThreads: hardwareThreads(),
          crossOriginIsolated: isolated,
          timerResolutionMs: timerMs,
          memoryBudgetMB: Module.memoryBudget() / 1048576,
          version,
          kernels: { gemm: Module.gemmKernels('', 0) },
        };
      },

      /**
       * The GEMM micro-kernel variants: { picked, reason, variants: [{ name,
       * tile, pattern, gflops? }] }. kernelVariants('auto', ms) measures again
       * and picks; kernelVariants('<name>') forces one (tests run them all).
       */
      kernelVariants(action = '', ms = 40) {
        check();
        if (typeof action !== 'string') fail(`variant: got ${typeof action}, must be a string`);
        if (!(ms > 0 && ms <= 60000)) fail(`ms: got ${ms}, must be in (0, 60000]`);
        const r = Module.gemmKernels(action, ms);
        if (r && r.error) fail(r.error);
        return r;
      },

      methods() {
        check();
        // One list per family the build has (FAMILIES): each
        // family's bindings export <family>Methods().
        const out = {};
        for (const family of FAMILIES) {
          const fn = Module[`${family}Methods`];
          if (typeof fn === 'function') out[family] = fn();
        }
        return out;
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
    const core = { Module, check, fail, unwrap, stringify, positiveInt, floatArray, withinBudget, withHeap };
    for (const [name, install] of Object.entries(familyInstallers())) {
      if (typeof install !== 'function') fail(`load: web/lib/${name}.js is not loaded (load it beside subquad.js)`);
      install(api, core);
    }
    return api;
  }

  return { createSubquad, SubquadError, simdSupported, relaxedSimdSupported, threadsSupported, FAMILIES, FLAVOURS };
});
