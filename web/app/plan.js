// What a sweep will run and what it will cost, before it runs: its points
// (methods × x values), its time and memory from the kernels' cost models and
// this machine's calibrated peak, the verdict (too long, too large) and the
// largest range that fits. Pure functions — no DOM, no worker: cost models
// come in as functions — tested under Node (tests/node/plan.test.mjs).

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
  for (const r of requests) {
    const e = await estimateOne(r);
    seconds += e.seconds;
    memory = Math.max(memory, e.memory);
    weights.push(e.seconds);
  }
  return { seconds, memory, weights };
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
 * seconds: a first (warm-up) call, then calls until min_ms has passed
 * (cpp/common/timer.hpp, time_median with min_reps = 1).
 */
export function timedSeconds(one, minMs = 200) {
  return one + Math.max(one, minMs / 1000);
}

// Shares of the per-core peak the methods reach, conservative: the
// subquadratic ones spend time on exponentials, transposes and gathers; the
// double-precision references have no SIMD at all.
const SHARE = {
  exact_reference: 0.01, scan_reference: 0.01, mamba_reference: 0.01, attention_reference: 0.01, reference: 0.01,
  window: 0.25, linear: 0.15, performer: 0.25, lsh: 0.15, polynomial: 0.15,
  scan: 0.1, scan_chunked: 0.15,
  brute_force: 0.03, // plain double loops the compiler vectorises a little
};
const DEFAULT_SHARE = 0.25;

/**
 * GFLOP/s to expect from `method` with `threads` threads (mt) on a machine
 * whose per-core ceiling is `peakGflops` (null: not calibrated yet).
 */
export function methodSpeed(method, { peakGflops, threads = 1, flavour = 'st' }) {
  const peak = peakGflops > 0 ? peakGflops : DEFAULT_PEAK_GFLOPS;
  const share = SHARE[method] ?? DEFAULT_SHARE;
  const scaling = flavour === 'mt' && !String(method).endsWith('reference') ? Math.max(1, threads) ** 0.8 : 1;
  return peak * share * scaling;
}

/** Threads a request will use: its own count, else all the build has. */
export function threadsOf(request, info) {
  return info.flavour === 'mt' ? (request.threads > 0 ? Math.min(request.threads, info.threads) : info.threads) : 1;
}

// ---- estimators per suite --------------------------------------------------
// Each takes a request and env = { info, peakGflops, cost(fn, ...args) } where
// cost calls a library cost model (attentionCost, ssmCost) and may be async;
// it returns { seconds, memory } for the whole point, as the worker runs it.

/** Suite "attention": the method's cost model, plus the check rows against the reference. */
export async function estimateAttention(r, env) {
  const threads = threadsOf(r, env.info);
  const c = await env.cost('attentionCost', r.method, r.n, r.d, { threads: r.threads, degree: r.degree, poly: r.poly, causal: r.causal });
  const one = c.flops / (methodSpeed(r.method, { ...env, threads }) * 1e9);
  // Sampled error: `check_rows` rows of the double-precision reference (4·n·d flops each).
  const check = (4 * (r.check_rows ?? 16) * r.n * r.d) / (methodSpeed('exact_reference', env) * 1e9);
  return { seconds: timedSeconds(one, r.min_ms ?? 200) + check, memory: c.memory_bytes + 16 * r.n * r.d };
}

/** Suite "ssm": the SSM registry's cost model; inputs and output beside it. */
export async function estimateSsm(r, env) {
  const threads = threadsOf(r, env.info);
  const c = await env.cost('ssmCost', r.method, r.L, r.D, r.N, { threads: r.threads });
  const one = c.flops / (methodSpeed(r.method, { ...env, threads }) * 1e9);
  return { seconds: timedSeconds(one, r.min_ms ?? 200), memory: c.memory_bytes + 4 * (3 * r.L * r.D + 2 * r.L * r.N) };
}

/**
 * Pair search has no cost model in the library yet: all-pairs work per
 * instance for the exact methods (2·d flops a pair; bitset's AND + popcount
 * does 32 coordinates a word), the hashing for the heuristics plus the exact
 * judge the bench runs beside every method (reference up to n = 2,048, gram
 * above; cpp/bench/pairs_measure.cpp). Returns { flops, memory_bytes } per instance.
 */
export function pairsCost({ method, n, d, tables = 40, bits = 12 }) {
  const pairs = (n * (n - 1)) / 2;
  const all = 2 * d * pairs;
  let flops;
  if (method === 'bitset') flops = all / 8;
  else if (method === 'simhash' || method === 'minhash') flops = 2 * n * d * tables * bits + 0.05 * all;
  else flops = all;
  return { flops, memory_bytes: 4 * n * d * 3 + 64 * n * (method === 'simhash' || method === 'minhash' ? tables : 1) };
}

/** Suite "pairs": per instance, generation + the timed method + the exact judge. */
export function estimatePairs(r, env) {
  const threads = threadsOf(r, env.info);
  const seeds = r.seeds ?? 1;
  const c = pairsCost(r);
  const one = c.flops / (methodSpeed(r.method, { ...env, threads }) * 1e9);
  const judgeMethod = r.n <= 2048 ? 'reference' : 'gram';
  const judge = judgeMethod === r.method ? 0
    : pairsCost({ ...r, method: judgeMethod }).flops / (methodSpeed(judgeMethod, { ...env, threads }) * 1e9);
  const perInstance = timedSeconds(one, (r.min_ms ?? 200) / seeds) + judge + 1e-8 * r.n * r.d;
  return { seconds: seeds * perInstance, memory: c.memory_bytes };
}

/**
 * Suite "construction" (cpp/bench/construction_measure.cpp), per instance:
 * the attention method on n tokens of width ℓ (its cost model), or the
 * sketch reader (n² comparisons of k-bit sketches, k = 32·state / n), plus the
 * double-precision brute force the bench checks every answer against (2·n²·ℓ).
 */
export async function estimateConstruction(r, env) {
  const threads = threadsOf(r, env.info);
  const seeds = r.seeds ?? 1;
  const brute = (2 * r.n * r.n * r.l) / (methodSpeed('brute_force', env) * 1e9);
  // A, B and the layer's Q, K, V, output (ℓ + position codes wide).
  let memory = 4 * 6 * r.n * (r.l + 16);
  let one;
  if (r.method === 'sketch_reader') {
    const words = Math.max(1, Math.ceil((32 * r.state) / r.n / 64));
    one = r.n * r.n * words * 2e-9; // one XOR + popcount per word, ≈ 2 ns with the loop around it
    memory += 4 * r.state;
  } else {
    const c = await env.cost('attentionCost', r.method, r.n, r.l, { threads: r.threads, degree: r.degree });
    one = c.flops / (methodSpeed(r.method, { ...env, threads }) * 1e9);
    memory += c.memory_bytes;
  }
  return { seconds: seeds * (one + brute), memory };
}
