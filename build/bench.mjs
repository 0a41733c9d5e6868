// Benchmark runner: sweeps a suite over the cartesian product of its options
// and measures each point in C++ (WASM through the JS API, or the native
// measure CLI for the WASM/native ratio). Prints a table, or JSON lines.
//
//   npm run bench -- page [--methods exact,flash] [--n 1024,4096] [--d 64]   (the page vs the CLI)
//   npm run bench -- peers [--n 4096 --d 64 --pairs_n 32768 --pairs_d 128 --rounds 3]   (vs ORT, tfjs, FAISS)
//   npm run bench -- <suite> [--n 1024,4096] [--threads 1,2] [--flavour mt,mt-fma,st,st-fma,native]
//                    [--method exact,...] [--d 64] [--<option> v1,v2] [--json]
//
// Suites and their default sweeps live in SUITES below; every option not named
// there passes through to the C++ measure (cpp/bench/measure.cpp).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NATIVE_DIR, capture } from './util.mjs';
import { peerMeasure } from './peers.mjs';

const require = createRequire(import.meta.url);
const { createSubquad, relaxedSimdSupported } = require('../web/lib/subquad.js');

// The FMA flavours need relaxed SIMD: Node 22 runs it, Node 20 behind a flag
// (inherited by the pthread workers), so the bench re-runs itself with it.
export const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';
const WASM_FLAVOURS = ['mt-fma', 'mt', 'st-fma', 'st'];

export const SUITES = {
  attention: { method: ['exact', 'flash'], n: [1024, 4096], d: [64], threads: [1, 2] },
  // Smallest polynomial degree for a target error as B grows, and its time vs flash.
  poly_degree: { n: [4096], d: [8], B: [0.25, 0.5, 1, 1.5, 2], scale: ['inv_d'], target: [1e-3], threads: [2] },
  pairs: { method: ['gram', 'bitset', 'simhash'], gen: ['sparse'], n: [1024, 4096], d: [128], threads: [2] },
  peak: {},
  // RoPE and positional attention (the attention suite with their methods): exact vs fast, d = 8
  // for rope_*, the papers' scale 1/d; positional_* take --d 4 as the issue's targets do.
  rope: { suite: 'attention', method: ['flash', 'rope_flash', 'rope_polynomial'], n: [2048, 4096, 16384, 65536], d: [8], scale: ['inv_d'], threads: [2] },
  ssm: { method: ['scan', 'mamba_block', 'attention_block'], L: [1024, 4096, 16384], D: [256], N: [16], threads: [1, 2] },
  triad: { threads: [1, 2] },
  // The backward given O and lse against the flash forward (issue #14: ≤ 3× at n = 4096, d = 64, 2 threads).
  grad: { method: ['flash'], n: [4096], d: [64], threads: [2] },
  // Layer collapse (issue #18): one forward of the L-layer, H-head network vs L, H and n (no report: compare false).
  collapse: { method: ['san_forward'], n: [256, 1024, 4096], d: [32], layers: [1, 2, 4, 8], heads: [1, 2], compare: ['false'], threads: [2] },
  // The paper's problem L(X), dL/dX (the grad suite's loss_* methods): loss_polynomial vs loss_exact at d = 8,
  // the paper's scale 1/d (issue #14: slopes ≤ 1.1 vs ≥ 1.9, with the crossover).
  grad_loss: { suite: 'grad', method: ['loss_exact', 'loss_polynomial'], n: [1024, 2048, 4096, 8192, 16384, 32768, 65536], d: [8], scale: ['inv_d'], threads: [2] },
  // Issue #16: blocks_lse (and the paper's blocks) against direct flash at N = 16,384, M = 1,024 (target ≤ 1.5×);
  // the window's time slope in N at fixed r and M (target ≤ 1.05).
  simulate: { method: ['blocks_lse', 'blocks'], n: [16384], d: [64], M: [1024], threads: [2] },
  simulate_window: { suite: 'simulate', method: ['window'], n: [4096, 16384, 65536, 262144], d: [64], M: [256], window: [64], threads: [2] },
  // Which neurons fire (issue #19): dtree's forward ≥ 5× dense's at n = 1,024, m = 32,768, d = 32, b = 2.5
  // (Φ̄(b) = 0.6 % fire); whole steps full batch and s = 32. The b sweep: --b 1,1.5,2,2.5,3,3.5 --batch 32.
  neurons: { method: ['dense', 'dtree'], n: [1024], m: [32768], d: [32], b: [2.5], batch: [0, 32], threads: [2] },
  // Tensor attention (issue #15): exact's slope and GFLOP/s against flash's in the same run (flash at n = 8192,
  // so both kernels run long enough to meet the same machine load); --method
  // windowed --n 4096,...,65536 --causal true and --method polynomial --dist nonnegative --d 4 for the others.
  tensor: { method: ['exact'], n: [128, 256, 512, 1024], d: [16], vs: ['flash'], flash_n: [8192], threads: [2] },
  // The polynomial method's error vs B, tensor vs matrix attention at equal rank (nonnegative inputs), and Match3.
  tensor_threshold: { layer: ['tensor', 'matrix'], B: [0.5, 1, 1.5, 2, 3], n: [1024], d: [4], degree: [4], threads: [2] },
  match3: { layer: ['tensor', 'matrix'], n: [4, 8, 16, 24, 32, 48], instances: [50], threads: [2] },
  // Gaussian kernel graphs (issue #17): exact vs polynomial vs fgt in n; the B sweep (polynomial's rank and
  // time vs exact at n = 16,384, d = 4, δ = 1e-6); fgt's time vs d at fixed n and error.
  kernel: { method: ['exact', 'polynomial', 'fgt'], n: [4096, 16384], d: [4], B: [1], threads: [2], min_ms: [100] },
  kernel_B: { suite: 'kernel', method: ['polynomial'], n: [16384], d: [4], B: [0.5, 1, 2, 4, 6, 8, 10, 12, 16, 24, 32, 39], error: [1e-6], compare_exact: ['true'], threads: [2], min_ms: [30], check_rows: [8] },
  kernel_fgt: { suite: 'kernel', method: ['fgt'], n: [4096], d: [1, 2, 3, 4, 5, 6], B: [1], error: [1e-4], compare_exact: ['true'], threads: [2], min_ms: [50], check_rows: [8] },
};

function parseArgs(argv) {
  const suite = argv[0] && !argv[0].startsWith('--') ? argv[0] : 'attention';
  const opts = {};
  let json = false;
  let peers = suite === 'attention' || suite === 'pairs';
  let flavours = ['mt'];
  for (let i = suite === argv[0] ? 1 : 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--no-peers') peers = false;
    else if (a.startsWith('--') && i + 1 < argv.length) {
      const key = a.slice(2);
      const values = argv[++i].split(',').filter(Boolean);
      if (key === 'flavour') flavours = values;
      else opts[key] = values;
    } else {
      console.error(`bench: cannot read argument '${a}' (options are --key value[,value...])`);
      process.exit(2);
    }
  }
  if (!SUITES[suite]) {
    console.error(`bench: unknown suite '${suite}', known: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
  for (const f of flavours) {
    if (![...WASM_FLAVOURS, 'native'].includes(f)) {
      console.error(`bench: flavour '${f}' must be ${WASM_FLAVOURS.join(', ')} or native`);
      process.exit(2);
    }
  }
  // A named sweep may run another C++ suite (rope → attention).
  const { suite: cppSuite = suite, ...defaults } = SUITES[suite];
  return { suite: cppSuite, opts: { ...defaults, ...opts }, json, flavours, peers: peers && cppSuite === suite && ['attention', 'pairs'].includes(suite) };
}

function* product(opts) {
  const keys = Object.keys(opts);
  const lists = keys.map((k) => (Array.isArray(opts[k]) ? opts[k] : [opts[k]]));
  const idx = new Array(keys.length).fill(0);
  if (lists.some((l) => l.length === 0)) return;
  for (;;) {
    yield Object.fromEntries(keys.map((k, i) => [k, lists[i][idx[i]]]));
    let j = keys.length - 1;
    while (j >= 0 && ++idx[j] === lists[j].length) idx[j--] = 0;
    if (j < 0) return;
  }
}

function nativeMeasure(point) {
  const exe = path.join(NATIVE_DIR, 'subquad_measure');
  if (!existsSync(exe)) throw new Error(`native: ${exe} is missing; run "npm run build" first`);
  const args = Object.entries(point).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const r = capture(exe, args);
  if (r.code !== 0) throw new Error(r.stderr.trim().replace(/^error: /, ''));
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const COLUMNS = ['suite', 'method', 'n', 'd', 'flavour', 'threads', 'median_ms', 'gflops', 'error'];

function printRow(r, widths) {
  const cells = COLUMNS.map((c, i) => {
    const v = r[c] ?? (c === 'n' ? r.L : c === 'd' ? r.D : undefined); // the ssm suite says L, D
    const s = typeof v === 'number' ? String(Number(v.toPrecision(4))) : String(v ?? '—');
    return i < 2 || c === 'flavour' ? s.padEnd(widths[i]) : s.padStart(widths[i]);
  });
  console.log(cells.join('  '));
}

// A sweep over several methods shares its options; each method gets the ones
// it takes. A key that is an option of another method of the suite's family
// (degree for flash in a polynomial-vs-flash sweep) is left out for this one;
// any other key goes through, so the library refuses a typo by name.
export function routed(request, schema) {
  const suite = schema?.suites?.[request.suite];
  const family = schema?.families?.[suite?.family];
  const method = family?.methods?.[request.method];
  if (!method) return request;
  const others = new Set(Object.values(family.methods).flatMap((m) => Object.keys(m.options)));
  return Object.fromEntries(Object.entries(request).filter(([k]) =>
    k === 'suite' || k in suite.options || k in method.options || !others.has(k)));
}

export async function main(argv) {
  // The page against the CLI: headless Chromium drives the sweep (build/bench-page.mjs).
  if (argv[0] === 'page') return (await import('./bench-page.mjs')).benchPage(argv.slice(1));
  // An FMA flavour asked for (any suite, peers too) on a Node without relaxed SIMD: again, with the flag.
  const fmaAsked = argv.some((a, i) => argv[i - 1] === '--flavour' && /-fma\b/.test(a));
  if (fmaAsked && !relaxedSimdSupported() && !process.execArgv.includes(RELAXED_SIMD_FLAG)) {
    const r = spawnSync(process.execPath, [RELAXED_SIMD_FLAG, ...process.execArgv, fileURLToPath(import.meta.url), ...argv], { stdio: 'inherit' });
    return r.status ?? 1;
  }
  // Our kernels against their peers at their best, alternating, in one run (build/bench-peers.mjs).
  if (argv[0] === 'peers') return (await import('./bench-peers.mjs')).benchPeers(argv.slice(1), nativeMeasure);
  const { suite, opts, json, flavours, peers } = parseArgs(argv);
  const widths = [9, 16, 7, 5, 7, 7, 10, 8, 9];
  if (!json) {
    console.log(COLUMNS.map((c, i) => (i < 2 || c === 'flavour' ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  }
  let failures = 0;
  const measured = [];
  // The schema routes each method its options (native reads the same C++ tables).
  const probe = await createSubquad({ flavour: 'st' });
  const schema = probe.schema();
  probe.dispose();
  for (const flavour of flavours) {
    const maxThreads = Math.max(1, ...(opts.threads || [1]).map(Number));
    const sq = flavour === 'native' ? null : await createSubquad({ flavour, threads: flavour.startsWith('mt') ? maxThreads : 0 });
    try {
      for (const point of product(opts)) {
        const request = routed({ suite, ...point }, schema);
        if (flavour.startsWith('st') && Number(request.threads) > 1) continue; // st has one thread
        try {
          const r = flavour === 'native' ? nativeMeasure(request) : sq.measure(request);
          measured.push(r);
          if (json) console.log(JSON.stringify(r));
          else printRow(r, widths);
        } catch (e) {
          failures++;
          const line = { suite, ...point, flavour, error_message: e.message };
          if (json) console.log(JSON.stringify(line));
          else console.log(`${suite} ${JSON.stringify(point)} on ${flavour}: ${e.message}`);
        }
      }
    } finally {
      sq?.dispose();
    }
  }
  if (peers && suite === 'pairs') {
    // FAISS on the same instances (build/bench-peers.mjs), with the BLAS it runs on.
    const { pairsFaissRows } = await import('./bench-peers.mjs');
    const threads = Math.max(1, ...(opts.threads || [1]).map(Number));
    for (const r of await pairsFaissRows([...product(opts)], measured, threads, Number(opts.min_ms?.[0] ?? 200))) {
      if (json || r.error_message) console.log(JSON.stringify(r));
      else printRow(r, widths);
    }
  }
  if (peers && suite === 'attention') {
    const ns = (opts.n || []).map(Number);
    const ds = (opts.d || [64]).map(Number);
    const threadList = (opts.threads || [1]).map(Number);
    for (const n of ns) {
      for (const d of ds) {
        const runs = [...threadList.map((t) => ['onnxruntime', t]), ['tfjs', 1]];
        for (const [peer, t] of runs) {
          try {
            const r = peerMeasure(peer, n, d, t);
            if (json) console.log(JSON.stringify(r));
            else printRow(r, widths);
          } catch (e) {
            const line = { suite, method: peer, n, d, flavour: 'peer', threads: t, error_message: e.message };
            if (json) console.log(JSON.stringify(line));
            else console.log(`${peer} n=${n} d=${d} threads=${t}: ${e.message}`);
          }
        }
      }
    }
  }
  return failures ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
