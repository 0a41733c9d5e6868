// `npm run bench -- peers`: our kernels against their peers at their best, in one run,
// alternating (round r runs every contender once, each timed to its own median), so a
// burst of machine load meets all of them; each figure is the median of its rounds.
//
//   attention  flash (mt, `threads` threads; st, 1) vs onnxruntime-web (same threads) and
//              tfjs-backend-wasm, softmax(QKᵀ/√d)V at n, d (default 4,096, 64);
//   gram       the pairs family's exact Gram search (most similar pair by cosine, gaussian
//              unit rows) vs native FAISS brute force on the same vectors (build/faiss_peer.py:
//              IndexFlatIP over all n², and faiss.knn over the upper triangle; the faster
//              counts) at pairs_n, pairs_d (default 32,768, 128), with the BLAS FAISS runs on.
//
// Each part ends with a summary line: times, ratio of time (peer / ours), GFLOP/s in the
// work the algorithm must do (flash 4n²d, gram n(n−1)/2·2d), the share of the ceiling
// (`threads` × the per-core `peak` of the same flavour, measured at the start of this
// run) and issue #20's verdict: "≥ 2× the peer wherever that needs ≤ 75 % of the ceiling"
// — which case holds (the target applies or not) and whether it held.
//
//   npm run bench -- peers [--parts attention,gram] [--n 4096] [--d 64] [--pairs_n 32768]
//        [--pairs_d 128] [--threads 2] [--rounds 3] [--flavour mt,st] [--pairs_flavour mt]
//        [--min_ms 200] [--tfjs true]
import os from 'node:os';
import { createRequire } from 'node:module';
import { faiss, faissAvailable, peerMeasure } from './peers.mjs';
import { ensureToolchain, isDebianLike } from './toolchain.mjs';

const require = createRequire(import.meta.url);
const { createSubquad } = require('../web/lib/subquad.js');

const DEFAULTS = { parts: 'attention,gram', n: 4096, d: 64, pairs_n: 32768, pairs_d: 128, threads: 2, rounds: 3,
  flavour: 'mt,st', pairs_flavour: 'mt', min_ms: 200, tfjs: 'true' };

// ≥ 2× the peer is the target wherever 2× needs at most this share of the ceiling.
const APPLIES_UP_TO = 0.75;

function parse(argv) {
  const o = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (argv[i] === '--json') continue; // always JSON lines
    if (!argv[i].startsWith('--') || !(key in DEFAULTS) || i + 1 >= argv.length) {
      throw new Error(`bench peers: cannot read '${argv[i]}' (options: ${Object.keys(DEFAULTS).map((k) => `--${k}`).join(' ')})`);
    }
    o[key] = argv[++i];
  }
  const list = (k) => String(o[k]).split(',').filter(Boolean);
  const int = (k, lo) => {
    const v = Number(o[k]);
    if (!Number.isInteger(v) || v < lo) throw new Error(`bench peers: --${k} got '${o[k]}', must be an integer ≥ ${lo}`);
    return v;
  };
  return {
    parts: list('parts'), n: int('n', 1), d: int('d', 1), pairsN: int('pairs_n', 2), pairsD: int('pairs_d', 1),
    threads: int('threads', 1), rounds: int('rounds', 1), flavours: list('flavour'), pairsFlavours: list('pairs_flavour'),
    minMs: Number(o.min_ms), tfjs: o.tfjs !== 'false',
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};
const pct = (x) => `${(100 * x).toFixed(0)} %`;
// The machine's 1-minute load average at the start and end of a part: on a shared machine a
// load well above the threads we use means rounds met other work (their spread shows where).
const load = () => Number(os.loadavg()[0].toFixed(2));
const spread = (xs) => Math.max(...xs) / Math.min(...xs);
const out = (line) => console.log(JSON.stringify(line));

/**
 * Issue #20's rule: ours ≥ 2× the peer (ratio of time) wherever that needs no more than
 * 75 % of the ceiling. share_needed = the GFLOP/s of half the peer's time / the ceiling.
 */
export function verdict({ oursMs, peerMs, flops, ceiling, peer }) {
  const ratio = peerMs / oursMs;
  const share = flops / (oursMs * 1e6) / ceiling;
  const needed = flops / ((peerMs / 2) * 1e6) / ceiling;
  const applies = needed <= APPLIES_UP_TO;
  const held = ratio >= 2;
  const text = applies
    ? `target applies (2× ${peer} needs ${pct(needed)} ≤ 75 % of the ceiling): ${held ? 'held' : 'not held'} (${ratio.toFixed(2)}×)`
    : `target does not apply (2× ${peer} would need ${pct(needed)} > 75 % of the ceiling); measured ${ratio.toFixed(2)}×`;
  return { ratio, share, share_needed_for_2x: needed, target_applies: applies, target_held: applies ? held : null, verdict: text };
}

async function modules(flavours, threads) {
  const m = {};
  for (const f of flavours) {
    m[f] = f === 'native' ? null : await createSubquad({ flavour: f, threads: f.startsWith('mt') ? threads : 0 });
  }
  return m;
}
let nativeMeasure = () => {
  throw new Error('native: no runner');
};
const measureIn = (mods, flavour, request) => (flavour === 'native' ? nativeMeasure(request) : mods[flavour].measure(request));
const threadsOf = (flavour, threads) => (flavour.startsWith('st') ? 1 : threads);
// The GEMM micro-kernel variant the module picked when it loaded (flash and gram call it).
const gemmOf = (mods, flavour) => {
  const k = mods[flavour]?.info?.().kernels?.gemm;
  return k ? { gemm_variant: k.picked } : {};
};

function peaks(mods, flavours) {
  const c = {};
  for (const f of flavours) {
    const p = measureIn(mods, f, { suite: 'peak' });
    out(p);
    c[f] = p.gflops;
  }
  return c;
}

async function attentionPart(o, mods, ceilings) {
  const { n, d, threads } = o;
  const flops = 4 * n * n * d;
  const ours = Object.fromEntries(o.flavours.map((f) => [f, []]));
  const ortThreads = [...new Set(o.flavours.map((f) => threadsOf(f, threads)))];
  const ort = Object.fromEntries(ortThreads.map((t) => [t, []]));
  const tf = [];
  let ortVersion = null, tfVersion = null;
  const load0 = load();
  for (let round = 1; round <= o.rounds; round++) {
    for (const f of o.flavours) {
      const r = measureIn(mods, f, { suite: 'attention', method: 'flash', n, d, threads: threadsOf(f, threads), min_ms: o.minMs });
      out({ ...r, part: 'attention', round });
      ours[f].push(r.median_ms);
    }
    for (const t of ortThreads) {
      const r = peerMeasure('onnxruntime', n, d, t);
      out({ ...r, part: 'attention', round });
      ort[t].push(r.median_ms);
      ortVersion = r.version;
    }
    if (o.tfjs) {
      const r = peerMeasure('tfjs', n, d, 1);
      out({ ...r, part: 'attention', round });
      tf.push(r.median_ms);
      tfVersion = r.version;
    }
  }
  for (const f of o.flavours) {
    const t = threadsOf(f, threads);
    const oursMs = median(ours[f]);
    const ortMs = median(ort[t]);
    const ceiling = t * ceilings[f];
    const v = verdict({ oursMs, peerMs: ortMs, flops, ceiling, peer: 'onnxruntime-web' });
    out({
      suite: 'peers', part: 'attention', method: 'flash', n, d, flavour: f, threads: t, ...gemmOf(mods, f), rounds: o.rounds,
      median_ms: oursMs, onnxruntime_ms: ortMs, onnxruntime_threads: t, onnxruntime_version: ortVersion,
      ...(tf.length ? { tfjs_ms: median(tf), tfjs_threads: 1, tfjs_version: tfVersion, ratio_tfjs: median(tf) / oursMs } : {}),
      gflops: flops / (oursMs * 1e6), onnxruntime_gflops: flops / (ortMs * 1e6),
      ceiling_gflops_per_core: ceilings[f], ceiling_gflops: ceiling,
      share: v.share, share_target: 0.6, share_target_held: v.share >= 0.6,
      ratio_onnxruntime: v.ratio, share_needed_for_2x: v.share_needed_for_2x,
      target_applies: v.target_applies, target_held: v.target_held, verdict: v.verdict,
      flops: '4n²d', blas: 'none (WASM peers)',
      round_spread: spread(ours[f]), onnxruntime_round_spread: spread(ort[t]), load_average: [load0, load()],
    });
  }
}

async function gramPart(o, mods, ceilings) {
  const n = o.pairsN, d = o.pairsD, threads = o.threads;
  if (!faissAvailable()) {
    if (isDebianLike()) await ensureToolchain(['peers']);
    if (!faissAvailable()) {
      out({ suite: 'peers', part: 'gram', n, d, error_message: 'FAISS peer skipped: python3 with faiss and numpy is not installed' });
      return;
    }
  }
  // The instance the pairs suite generates for seed 1 (gaussian, unit rows): the same generator,
  // so FAISS searches exactly the vectors gram does (their pairs are compared below).
  const gen = await createSubquad({ flavour: 'st' });
  const { X } = gen.pairsGenerate('gaussian', { n, d, seed: 1 });
  gen.dispose();
  const pairFlops = (n * (n - 1)) / 2 * 2 * d;
  const ours = Object.fromEntries(o.pairsFlavours.map((f) => [f, []]));
  // FAISS at each thread count our flavours use (st: 1), as onnxruntime-web above.
  const faissThreads = [...new Set(o.pairsFlavours.map((f) => threadsOf(f, threads)))];
  const faissRuns = Object.fromEntries(faissThreads.map((t) => [t, { full: [], triangle: [] }]));
  let lastGram = null, lastFaiss = null;
  const load0 = load();
  for (let round = 1; round <= o.rounds; round++) {
    for (const f of o.pairsFlavours) {
      const r = measureIn(mods, f, { suite: 'pairs', method: 'gram', gen: 'gaussian', n, d, seed: 1, threads: threadsOf(f, threads), min_ms: o.minMs });
      out({ ...r, part: 'gram', round });
      ours[f].push(r.median_ms);
      lastGram = r;
    }
    for (const t of faissThreads) {
      for (const r of faiss({ X, n, d, problem: 'msd', threads: t, minMs: o.minMs })) {
        out({ ...r, part: 'gram', round, gflops: pairFlops / (r.median_ms * 1e6) });
        faissRuns[t][r.mode].push(r.median_ms);
        lastFaiss = r;
      }
    }
  }
  for (const f of o.pairsFlavours) {
    const t = threadsOf(f, threads);
    const full = median(faissRuns[t].full), triangle = median(faissRuns[t].triangle);
    const faissMs = Math.min(full, triangle);
    const oursMs = median(ours[f]);
    const ceiling = t * ceilings[f];
    const v = verdict({ oursMs, peerMs: faissMs, flops: pairFlops, ceiling, peer: 'FAISS' });
    out({
      suite: 'peers', part: 'gram', method: 'gram', problem: 'msd', gen: 'gaussian', n, d, flavour: f, threads: t, ...gemmOf(mods, f),
      rounds: o.rounds, median_ms: oursMs, faiss_ms: faissMs, faiss_mode: faissMs === full ? 'full' : 'triangle',
      faiss_full_ms: full, faiss_triangle_ms: triangle, faiss_threads: t, faiss_version: lastFaiss.version,
      blas: lastFaiss.blas, sgemm_from: lastFaiss.sgemm_from, blas_libraries: lastFaiss.blas_libraries,
      gflops: pairFlops / (oursMs * 1e6), faiss_gflops: pairFlops / (faissMs * 1e6),
      ceiling_gflops_per_core: ceilings[f], ceiling_gflops: ceiling, share: v.share,
      ratio_faiss: v.ratio, share_needed_for_2x: v.share_needed_for_2x,
      target_applies: v.target_applies, target_held: v.target_held, verdict: v.verdict,
      same_pair: lastGram.i === lastFaiss.i && lastGram.j === lastFaiss.j,
      value: lastGram.value, faiss_value: lastFaiss.value, flops: 'n(n−1)/2·2d',
      round_spread: spread(ours[f]), faiss_round_spread: spread(faissMs === full ? faissRuns[t].full : faissRuns[t].triangle),
      load_average: [load0, load()],
    });
  }
}

/** argv: the options above; native: bench.mjs's runner of the native measure CLI. */
export async function benchPeers(argv, native) {
  if (native) nativeMeasure = native;
  let o;
  try {
    o = parse(argv);
  } catch (e) {
    console.error(e.message);
    return 2;
  }
  const flavours = [...new Set([...(o.parts.includes('attention') ? o.flavours : []), ...(o.parts.includes('gram') ? o.pairsFlavours : [])])];
  const mods = await modules(flavours, o.threads);
  try {
    const ceilings = peaks(mods, flavours);
    if (o.parts.includes('attention')) await attentionPart(o, mods, ceilings);
    if (o.parts.includes('gram')) await gramPart(o, mods, ceilings);
  } finally {
    for (const m of Object.values(mods)) m?.dispose();
  }
  return 0;
}


/**
 * The pairs suite's FAISS rows: for each instance of the sweep (its first seed), FAISS on the
 * same generated vectors and problem, one row per mode, beside the gram row of the same
 * instance measured in this run (ratio_to_gram = FAISS time / gram's). Rows as the suite's.
 */
export async function pairsFaissRows(points, measured, threads, minMs) {
  const lines = [];
  if (!faissAvailable() && isDebianLike()) await ensureToolchain(['peers']);
  const seen = new Set();
  const gen = faissAvailable() ? await createSubquad({ flavour: 'st' }) : null;
  try {
    for (const p of points) {
      const inst = { gen: p.gen ?? 'gaussian', n: Number(p.n ?? 1024), d: Number(p.d ?? 128), seed: Number(p.seed ?? 1),
        rho: Number(p.rho ?? 0.9), density: Number(p.density ?? 0.1), problem: p.problem ?? 'msd' };
      const key = JSON.stringify(inst);
      if (seen.has(key)) continue;
      seen.add(key);
      const base = { suite: 'pairs', method: 'faiss_flat_ip', problem: inst.problem, gen: inst.gen, n: inst.n, d: inst.d, seed: inst.seed, flavour: 'peer' };
      if (!gen) {
        lines.push({ ...base, error_message: 'FAISS row skipped: python3 with faiss and numpy is not installed' });
        continue;
      }
      try {
        const { X } = gen.pairsGenerate(inst.gen, { n: inst.n, d: inst.d, seed: inst.seed, rho: inst.rho, density: inst.density });
        const gram = measured.find((r) => r.method === 'gram' && r.gen === inst.gen && r.n === inst.n && r.d === inst.d &&
          r.seed === inst.seed && r.problem === inst.problem);
        for (const r of faiss({ X, n: inst.n, d: inst.d, problem: inst.problem, threads, minMs })) {
          lines.push({ ...base, method: `faiss_ip_${r.mode}`, mode: r.mode, threads: r.threads, timed: 'search', median_ms: r.median_ms, min_ms: r.min_ms,
            max_ms: r.max_ms, reps: r.reps, inner_products: r.inner_products,
            gflops: (2 * inst.d * inst.n * (inst.n - 1)) / 2 / (r.median_ms * 1e6),
            value: r.value, i: r.i, j: r.j, version: r.version, blas: r.blas, sgemm_from: r.sgemm_from,
            ...(gram ? { gram_ms: gram.median_ms, gram_flavour: gram.flavour, gram_threads: gram.threads,
              ratio_to_gram: r.median_ms / gram.median_ms, same_pair: gram.i === r.i && gram.j === r.j } : {}) });
        }
      } catch (e) {
        lines.push({ ...base, error_message: e.message });
      }
    }
  } finally {
    gen?.dispose();
  }
  return lines;
}
