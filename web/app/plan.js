// What a sweep will run and what it will cost, before it runs: its points
// (methods × x values), its time and memory from the kernels' cost models and
// this machine's calibrated peak, the verdict (too long, too large) and the
// largest range that fits. Pure functions — no DOM, no worker: cost models
// come in as functions — tested under Node (tests/node/plan.test.mjs).
import { pickOptions, schema } from './schema.js';

/** Sweeps longer than this (seconds) are not started unasked. */
export const LONG_SWEEP_SECONDS = 120;

/** Per-core GFLOP/s assumed before the page has calibrated (a SIMD128 core here reaches ≈ 31). */
export const DEFAULT_PEAK_GFLOPS = 32;

/**
 * The points of a sweep: for each x in `choices` within [lo, hi] (hi replaced
 * by `upTo` when given), each method's request from `request(method, x)`.
 * A request { skip: reason } is left out and its reason kept.
 */
export function sweepPoints({ methods, choices, lo, hi, upTo, request }) {
  const from = Math.min(lo, hi);
  const to = upTo ?? Math.max(lo, hi);
  const requests = [];
  const skipped = [];
  for (const x of choices.filter((v) => v >= from && v <= to)) {
    for (const m of methods) {
      const r = request(m, x);
      if (r && r.skip) skipped.push(r.skip);
      else if (r) requests.push(r);
    }
  }
  return { requests, skipped };
}

/**
 * Time and memory of a list of requests: seconds is the sum over points,
 * memory (bytes) the largest point, weights each point's seconds (for an
 * honest ETA). `estimateOne(request)` → { seconds, memory } or a promise of it.
 */
export async function estimatePoints(requests, estimateOne) {
  let seconds = 0;
  let memory = 0;
  const weights = [];
  const memories = [];
  for (const r of requests) {
    const e = await estimateOne(r);
    seconds += e.seconds;
    memory = Math.max(memory, e.memory);
    weights.push(e.seconds);
    memories.push(e.memory);
  }
  return { seconds, memory, weights, memories };
}

/** Why a sweep must not start unasked: 'memory', 'time' (unless confirmed), or null. */
export function refusal(estimate, { budgetBytes, maxSeconds = LONG_SWEEP_SECONDS, confirmed = false }) {
  if (estimate.memory > budgetBytes) return 'memory';
  if (estimate.seconds > maxSeconds && !confirmed) return 'time';
  return null;
}

/**
 * The largest x below the chosen "to" whose sweep fits both limits:
 * { x, seconds } or null. `pointsUpTo(x)` → requests.
 */
export async function largestFit({ choices, lo, hi, pointsUpTo, estimateOne, budgetBytes, maxSeconds = LONG_SWEEP_SECONDS }) {
  const from = Math.min(lo, hi);
  const to = Math.max(lo, hi);
  for (const x of choices.filter((v) => v >= from && v < to).reverse()) {
    const e = await estimatePoints(pointsUpTo(x), estimateOne);
    if (e.memory <= budgetBytes && e.seconds <= maxSeconds) return { x, seconds: e.seconds };
  }
  return null;
}

/**
 * Seconds the bench harness spends on one point whose call takes `one`
 * seconds: a first (warm-up) call, then calls until min_ms has passed and at
 * least `fastReps` of them when a call takes under 1 s (cpp/common/timer.hpp,
 * time_median: kMinRepsUnderOneSecond = 5).
 */
export function timedSeconds(one, minMs = 200, fastReps = 5) {
  return one + Math.max(one < 1 ? fastReps * one : one, minMs / 1000);
}

// Shares of the per-core peak the methods reach, conservative: the
// subquadratic ones spend time on exponentials, transposes and gathers; the
// double-precision references have no SIMD at all.
const SHARE = {
  exact_reference: 0.01, scan_reference: 0.01, mamba_reference: 0.01, attention_reference: 0.01, reference: 0.01,
  window: 0.25, linear: 0.15, performer: 0.25, lsh: 0.15, polynomial: 0.15,
  rope_reference: 0.01, positional_reference: 0.01, rope_polynomial: 0.15, positional_exact: 0.15,
  positional_fft: 0.05, // double-precision FFTs: 5.6 GFLOP/s on 2 threads measured, 7 % of that VM's peak
  scan: 0.1, scan_chunked: 0.15,
  brute_force: 0.03, // plain double loops the compiler vectorises a little
  sketch_reader: 0.03, // XOR + popcount a word, ≈ 2 ns with its loop: counted as 2 flops
  dtree: 0.02, // tree walks and root-path repairs wait on memory (a node visit counts as 1 flop)
  // Gaussian kernel graphs (measured here: exact ≈ 0.43 of the peak per core, polynomial and fgt ≈ 0.1–0.2 in double)
  kernel_reference: 0.01, kernel_exact: 0.35, kernel_polynomial: 0.08, kernel_fgt: 0.1,
};
const DEFAULT_SHARE = 0.25;

/**
 * GFLOP/s to expect from `method` with `threads` threads (mt) on a machine
 * whose per-core ceiling is `peakGflops` (null: not calibrated yet).
 */
export function methodSpeed(method, { peakGflops, threads = 1, flavour = 'st' }) {
  const peak = peakGflops > 0 ? peakGflops : DEFAULT_PEAK_GFLOPS;
  const share = SHARE[method] ?? DEFAULT_SHARE;
  const scaling = String(flavour).startsWith('mt') && !String(method).endsWith('reference') ? Math.max(1, threads) ** 0.8 : 1;
  return peak * share * scaling;
}

/** Threads a request will use: its own count, else all the build has. */
export function threadsOf(request, info) {
  return String(info.flavour).startsWith('mt') ? (request.threads > 0 ? Math.min(request.threads, info.threads) : info.threads) : 1;
}

// ---- estimators per suite --------------------------------------------------
// Each takes a request and env = { info, peakGflops, schema?, cost(fn, ...args) }
// where cost('cost', family, method, dims, options) is the library's one cost
// call (sq.cost; async through the worker). Options go through the schema
// (pickOptions): a sweep shares its settings, each method gets those it takes.
// Each returns { seconds, memory } for the whole point, as the worker runs it.

function libraryCost(env, family, method, dims, options) {
  return env.cost('cost', family, method, dims, pickOptions(family, method, options, env.schema ?? schema()));
}

/** Suite "attention": the method's cost model, plus the check rows against the reference. */
export async function estimateAttention(r, env) {
  const threads = threadsOf(r, env.info);
  const c = await libraryCost(env, 'attention', r.method, { n: r.n, d: r.d },
    { threads: r.threads, degree: r.degree, poly: r.poly, causal: r.causal });
  const one = c.flops / (methodSpeed(r.method, { ...env, threads }) * 1e9);
  // Sampled error: `check_rows` rows of the double-precision reference (4·n·d flops each).
  const check = (4 * (r.check_rows ?? 16) * r.n * r.d) / (methodSpeed('exact_reference', env) * 1e9);
  return { seconds: timedSeconds(one, r.min_ms ?? 200) + check, memory: c.memory_bytes + 16 * r.n * r.d };
}

/**
 * Suite "poly_degree": the search runs the polynomial method at g = 0, 1, …
 * until the sampled error meets the target (each checked on check_rows rows),
 * then times it and flash. Which degree it stops at is not known before the
 * run: the estimate assumes it goes up to g = 8.
 */
export async function estimatePolyDegree(r, env) {
  const threads = threadsOf(r, env.info);
  const speed = methodSpeed('polynomial', { ...env, threads });
  let seconds = 0;
  let memory = 0;
  for (let g = 0; g <= 8; g++) {
    const c = await libraryCost(env, 'attention', 'polynomial', { n: r.n, d: r.d }, { threads: r.threads, degree: g });
    seconds += c.flops / (speed * 1e9) + (4 * (r.check_rows ?? 64) * r.n * r.d) / (methodSpeed('exact_reference', env) * 1e9);
    memory = Math.max(memory, c.memory_bytes);
  }
  const flash = await libraryCost(env, 'attention', 'flash', { n: r.n, d: r.d }, { threads: r.threads });
  seconds += 2 * timedSeconds(flash.flops / (methodSpeed('flash', { ...env, threads }) * 1e9), r.min_ms ?? 100);
  return { seconds, memory: memory + 16 * r.n * r.d };
}

/**
 * Suite "grad": the backward method (the grad family's cost model), the flash
 * forward timed beside it, and the sampled-row check (3 rows of n·d per row).
 */
export async function estimateGrad(r, env) {
  if (String(r.method).startsWith('loss_')) return estimateGradLoss(r, env);
  const threads = threadsOf(r, env.info);
  const c = await libraryCost(env, 'grad', r.method, { n: r.n, d: r.d }, { threads: r.threads, degree: r.degree, causal: r.causal });
  const fwd = await libraryCost(env, 'attention', 'flash', { n: r.n, d: r.d }, { threads: r.threads, causal: r.causal });
  const one = c.flops / (methodSpeed(r.method === 'polynomial' ? 'polynomial' : 'flash', { ...env, threads }) * 1e9);
  const forward = fwd.flops / (methodSpeed('flash', { ...env, threads }) * 1e9);
  const check = (12 * (r.check_rows ?? 8) * r.n * r.d) / (methodSpeed('exact_reference', env) * 1e9);
  return {
    seconds: timedSeconds(one, r.min_ms ?? 200) + timedSeconds(forward, r.min_ms ?? 200) + check,
    memory: Math.max(c.memory_bytes, fwd.memory_bytes) + 4 * (8 * r.n * r.d + r.n),
  };
}

/**
 * Suite "collapse": one forward of the network (with compare: the merged
 * layer, the first layer and the other skip setting too — the cost model
 * counts them), min_ms as given.
 */
export async function estimateCollapse(r, env) {
  const threads = threadsOf(r, env.info);
  const c = await libraryCost(env, 'collapse', r.method, { n: r.n, d: r.d },
    { threads: r.threads, layers: r.layers, heads: r.heads, compare: r.compare });
  const one = c.flops / (methodSpeed(r.method, { ...env, threads }) * 1e9);
  // Up to check_n tokens san_forward is also checked against the double reference (no report).
  let check = 0;
  if (r.method === 'san_forward' && r.n <= (r.check_n ?? 256)) {
    const ref = await libraryCost(env, 'collapse', 'reference', { n: r.n, d: r.d }, { layers: r.layers, heads: r.heads, compare: false });
    check = ref.flops / (methodSpeed('reference', env) * 1e9);
  }
  return { seconds: timedSeconds(one, r.min_ms ?? 200) + check, memory: c.memory_bytes + 8 * r.n * r.d };
}

/**
 * Suite "grad" with a loss_* method (the paper's L(X), dL/dX): the method
 * timed alone, then the check the bench runs beside it — loss_exact for the
 * others, loss_reference for loss_exact up to n = 2,048 (cpp/bench/grad_measure.cpp).
 */
async function estimateGradLoss(r, env) {
  const threads = threadsOf(r, env.info);
  const dims = { n: r.n, d: r.d };
  const options = { threads: r.threads, degree: r.degree, poly: r.poly };
  const speed = (m) => methodSpeed(m === 'loss_polynomial' ? 'polynomial' : m === 'loss_exact' ? 'flash' : 'reference',
    { ...env, threads });
  const c = await libraryCost(env, 'grad', r.method, dims, options);
  const against = r.check_rows === 0 ? null : r.method === 'loss_exact' ? (r.n <= 2048 ? 'loss_reference' : null) : 'loss_exact';
  const a = against ? await libraryCost(env, 'grad', against, dims, options) : null;
  return {
    seconds: timedSeconds(c.flops / (speed(r.method) * 1e9), r.min_ms ?? 200) + (a ? a.flops / (speed(against) * 1e9) : 0),
    memory: Math.max(c.memory_bytes, a ? a.memory_bytes : 0) + 4 * (4 * r.n * r.d + 3 * r.d * r.d),
  };
}

/**
 * The training run (sq.attentionTraining): per step two loss_exact calls (the
 * exact trajectory, and the polynomial trajectory's loss measured exactly)
 * and one loss_polynomial; steps + 1 records.
 */
export async function estimateTraining(cfg, env) {
  const threads = threadsOf(cfg, env.info);
  const dims = { n: cfg.n, d: cfg.d };
  const exact = await libraryCost(env, 'grad', 'loss_exact', dims, { threads: cfg.threads });
  const poly = await libraryCost(env, 'grad', 'loss_polynomial', dims, { threads: cfg.threads, degree: cfg.degree });
  const step = (2 * exact.flops) / (methodSpeed('flash', { ...env, threads }) * 1e9) +
    poly.flops / (methodSpeed('polynomial', { ...env, threads }) * 1e9);
  return { seconds: (cfg.steps + 1) * step, memory: Math.max(exact.memory_bytes, poly.memory_bytes) + 4 * 6 * cfg.n * cfg.d };
}

/**
 * Suite "simulate": the mode's oracle calls (the simulate family's cost model:
 * their flops at flash's speed), and for the full-attention modes direct flash
 * timed beside it; float64 runs the double oracle and the double reference.
 */
export async function estimateSimulate(r, env) {
  const threads = threadsOf(r, env.info);
  const f64 = r.precision === 'float64';
  const c = await libraryCost(env, 'simulate', r.method, { n: r.n, d: r.d },
    { M: r.M, causal: r.causal, window: r.window, sinks: r.sinks, precision: r.precision, threads: r.threads });
  const one = c.flops / (methodSpeed(f64 ? 'reference' : 'flash', { ...env, threads }) * 1e9);
  const full = ['blocks', 'blocks_lse', 'sampled'].includes(r.method);
  const direct = f64 ? (4 * r.n * r.n * r.d) / (methodSpeed('reference', env) * 1e9)
    : full ? timedSeconds((4 * r.n * r.n * r.d) / (methodSpeed('flash', { ...env, threads }) * 1e9), r.min_ms ?? 200) : 0;
  return { seconds: timedSeconds(one, r.min_ms ?? 200) + direct, memory: c.memory_bytes + 4 * 5 * r.n * r.d };
}

/**
 * Suite "neurons" and the worker's op "neuronsTrain": a network made from the
 * seed (≈ 50 ns per drawn entry), dtree's trees built (n·m·d multiply–adds),
 * then the forward (suite only, timed to min_ms) and `steps` steps, each as
 * the neurons family's cost model says.
 */
export async function estimateNeurons(r, env) {
  const threads = threadsOf(r, env.info);
  const dims = { n: r.n, m: r.m, d: r.d };
  const step = await libraryCost(env, 'neurons', r.method, dims, { b: r.b, batch: r.batch, threads: r.threads });
  const forward = await libraryCost(env, 'neurons', r.method, dims, { b: r.b, batch: r.batch, threads: r.threads, update: false });
  const speed = methodSpeed(r.method, { ...env, threads }) * 1e9;
  const make = 5e-8 * (r.n + r.m) * r.d + (r.method === 'dtree' ? (2 * r.n * r.m * r.d) / (methodSpeed('dense', { ...env, threads }) * 1e9) : 0);
  const steps = r.steps ?? 3;
  const seconds = make + steps * (step.flops / speed) + (r.op ? 0 : timedSeconds(forward.flops / speed, r.min_ms ?? 200));
  return { seconds, memory: step.memory_bytes + 4 * ((r.n + r.m) * r.d + r.n + r.m) };
}

/** Suite "ssm": a scan's dims are (L, D, N); a block's state size N is its option. */
export async function estimateSsm(r, env) {
  const threads = threadsOf(r, env.info);
  const scan = String(r.method).startsWith('scan');
  const c = await libraryCost(env, 'ssm', r.method, scan ? { L: r.L, D: r.D, N: r.N } : { L: r.L, D: r.D },
    { threads: r.threads, N: scan ? undefined : r.N });
  const one = c.flops / (methodSpeed(r.method, { ...env, threads }) * 1e9);
  return { seconds: timedSeconds(one, r.min_ms ?? 200), memory: c.memory_bytes + 4 * (3 * r.L * r.D + 2 * r.L * r.N) };
}

/**
 * Suite "pairs": per instance, the timed method (the library's cost model)
 * and the exact judge the bench runs beside every method (reference up to
 * n = 2,048, gram above; cpp/bench/pairs_measure.cpp), plus generation.
 */
export async function estimatePairs(r, env) {
  const threads = threadsOf(r, env.info);
  const seeds = r.seeds ?? 1;
  const options = { problem: r.problem, threads: r.threads };
  const c = await libraryCost(env, 'pairs', r.method, { n: r.n, d: r.d }, options);
  const one = c.flops / (methodSpeed(r.method, { ...env, threads }) * 1e9);
  const judgeMethod = r.n <= 2048 ? 'reference' : 'gram';
  const judge = judgeMethod === r.method ? 0
    : (await libraryCost(env, 'pairs', judgeMethod, { n: r.n, d: r.d }, options)).flops /
      (methodSpeed(judgeMethod, { ...env, threads }) * 1e9);
  const perInstance = timedSeconds(one, (r.min_ms ?? 200) / seeds, Math.ceil(5 / seeds)) + judge + 1e-8 * r.n * r.d;
  return { seconds: seeds * perInstance, memory: c.memory_bytes + 4 * r.n * r.d };
}

/**
 * Suite "construction" (cpp/bench/construction_measure.cpp), per instance:
 * the construction family's cost model — the attention layer (maxip) or the
 * sketch reader — plus the double-precision brute force the bench checks
 * every answer against (2·n²·ℓ).
 */
export async function estimateConstruction(r, env) {
  const threads = threadsOf(r, env.info);
  const seeds = r.seeds ?? 1;
  const brute = (2 * r.n * r.n * r.l) / (methodSpeed('brute_force', env) * 1e9);
  const reader = r.method === 'sketch_reader';
  const c = await libraryCost(env, 'construction', reader ? 'sketch_reader' : 'maxip', { n: r.n, l: r.l },
    reader ? { state: r.state } : { attention: r.method, threads: r.threads, degree: r.method === 'polynomial' ? r.degree : undefined });
  const one = c.flops / (methodSpeed(reader ? 'sketch_reader' : r.method, { ...env, threads }) * 1e9);
  // A and B beside what the method allocates.
  return { seconds: seeds * (one + brute), memory: c.memory_bytes + 8 * r.n * r.l };
}

/**
 * Suite "tensor" (cpp/bench/tensor_measure.cpp): the tensor family's cost
 * model, plus the rows checked against the double triple loop (6 flops per
 * key pair per width; none when one row is beyond 2^28 pair-widths).
 */
export async function estimateTensor(r, env) {
  const threads = threadsOf(r, env.info);
  const c = await libraryCost(env, 'tensor', r.method, { n: r.n, d: r.d },
    { threads: r.threads, degree: r.degree, causal: r.causal, w1: r.w1, w2: r.w2 });
  const one = c.flops / (methodSpeed(r.method, { ...env, threads }) * 1e9);
  const perRow = r.method === 'windowed' ? Math.min(r.n, 2 * (r.w1 ?? 512)) * Math.min(r.n, 2 * (r.w2 ?? 32)) : r.n * r.n;
  const rows = perRow * r.d <= 2 ** 28 ? Math.min(r.check_rows ?? 4, r.n) : 0;
  const check = (6 * rows * perRow * r.d) / (methodSpeed('reference', env) * 1e9);
  return { seconds: timedSeconds(one, r.min_ms ?? 200) + check, memory: c.memory_bytes + 24 * r.n * r.d };
}

/**
 * Suite "tensor_threshold": the polynomial method of tensor attention (or of
 * attention, layer = matrix) and the rows checked against its double
 * reference (n² pairs per tensor row, n keys per matrix row).
 */
export async function estimateTensorThreshold(r, env) {
  const threads = threadsOf(r, env.info);
  const family = r.layer === 'matrix' ? 'attention' : 'tensor';
  const c = await libraryCost(env, family, 'polynomial', { n: r.n, d: r.d }, { threads: r.threads, degree: r.degree });
  const one = c.flops / (methodSpeed('polynomial', { ...env, threads }) * 1e9);
  const perRow = r.layer === 'matrix' ? 4 * r.n * r.d : 6 * r.n * r.n * r.d;
  const check = (Math.min(r.check_rows ?? 8, r.n) * perRow) / (methodSpeed('reference', env) * 1e9);
  return { seconds: timedSeconds(one, r.min_ms ?? 50) + check, memory: c.memory_bytes + 24 * r.n * r.d };
}

/**
 * Suite "match3": per instance one layer — tensor attention's exact kernel at
 * width 4, or attention's exact at width 2 — and the brute-force labels
 * (n² pair sums); then the layer timed once more on the first instance.
 */
export async function estimateMatch3(r, env) {
  const threads = threadsOf(r, env.info);
  const tensor = r.layer !== 'matrix';
  const c = await libraryCost(env, tensor ? 'tensor' : 'attention', 'exact', { n: r.n, d: tensor ? 4 : 2 }, { threads: r.threads });
  const one = c.flops / (methodSpeed('exact', { ...env, threads }) * 1e9);
  const brute = (r.n * r.n) / (methodSpeed('brute_force', env) * 1e9);
  return { seconds: (r.instances ?? 20) * (one + brute) + timedSeconds(one, r.min_ms ?? 20), memory: c.memory_bytes + 64 * r.n };
}

/**
 * Suite "kernel": the kernel family's cost model at the request's shape. The
 * polynomial's degree is chosen from B at run time; the estimate takes
 * g ≈ ⌈√(B ln(1/δ))⌉ + 1 (Aggarwal–Alman's order; within one of the measured
 * degrees for δ = 1e−6, B = 1…39). compare_exact adds exact's time; the
 * sampled rows cost 3·n·d each in double.
 */
export async function estimateKernel(r, env) {
  const threads = threadsOf(r, env.info);
  const options = { threads: r.threads, error: r.error, order: r.order, radius: r.radius, clusters: r.clusters, product: r.product };
  if (r.method === 'polynomial' && !r.degree) options.degree = Math.min(64, Math.ceil(Math.sqrt((r.B ?? 1) * Math.log(1 / (r.error ?? 1e-6)))) + 1);
  else if (r.degree) options.degree = r.degree;
  const c = await libraryCost(env, 'kernel', r.method, { n: r.n, d: r.d }, options);
  let seconds = timedSeconds(c.flops / (methodSpeed(`kernel_${r.method}`, { ...env, threads }) * 1e9), r.min_ms ?? 200);
  let memory = c.memory_bytes;
  if (r.compare_exact && r.method !== 'exact') {
    const e = await libraryCost(env, 'kernel', 'exact', { n: r.n, d: r.d }, { threads: r.threads });
    seconds += timedSeconds(e.flops / (methodSpeed('kernel_exact', { ...env, threads }) * 1e9), r.min_ms ?? 200);
    memory = Math.max(memory, e.memory_bytes);
  }
  seconds += (3 * (r.check_rows ?? 16) * r.n * r.d) / (methodSpeed('exact_reference', env) * 1e9);
  return { seconds, memory: memory + 4 * r.n * (r.d + 2) };
}
