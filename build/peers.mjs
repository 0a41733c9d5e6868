// Peer rows for the attention bench: the same computation, softmax(s·QKᵀ)V,
// in onnxruntime-web's and tfjs-backend-wasm's WASM backends, timed the same
// way (repeat ≥ min_ms, median), so the ratio is measured in one run. And the
// pairs family's peer, native FAISS brute force (build/faiss_peer.py) on the
// same vectors as our gram, with the BLAS it runs on.
import { createRequire } from 'node:module';
import path from 'node:path';
import os from 'node:os';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ROOT, capture } from './util.mjs';
import { pythonWithFaiss } from './toolchain.mjs';

const require = createRequire(import.meta.url);
const versionOf = (pkg) => JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;

// ---- a minimal ONNX model, encoded by hand (protobuf) ------------------------

function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const key = (field, wire) => varint((field << 3) | wire);
const int = (field, v) => [...key(field, 0), ...varint(v)];
const bytes = (field, b) => [...key(field, 2), ...varint(b.length), ...b];
const str = (field, s) => bytes(field, [...Buffer.from(s, 'utf8')]);

function tensorType(dims) {
  const shape = dims.flatMap((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  return bytes(1, [...int(1, 1 /* FLOAT */), ...bytes(2, shape)]);
}
const valueInfo = (name, dims) => [...str(1, name), ...bytes(2, tensorType(dims))];
function node(op, inputs, outputs, attrs = []) {
  return [...inputs.flatMap((i) => str(1, i)), ...outputs.flatMap((o) => str(2, o)), ...str(3, `${op}_${outputs[0]}`), ...str(4, op), ...attrs];
}

/** softmax(Q Kt) V with Q [n,d] (already scaled), Kt [d,n], V [n,d]: MatMul → Softmax → MatMul. */
export function attentionOnnx() {
  const graph = [
    ...bytes(1, node('MatMul', ['Q', 'Kt'], ['S'])),
    ...bytes(1, node('Softmax', ['S'], ['P'], bytes(5, [...str(1, 'axis'), ...int(3, 1), ...int(20, 2 /* INT */)]))),
    ...bytes(1, node('MatMul', ['P', 'V'], ['O'])),
    ...str(2, 'attention'),
    ...bytes(11, valueInfo('Q', ['n', 'd'])),
    ...bytes(11, valueInfo('Kt', ['d', 'n'])),
    ...bytes(11, valueInfo('V', ['n', 'd'])),
    ...bytes(12, valueInfo('O', ['n', 'd'])),
  ];
  const model = [...int(1, 8), ...bytes(8, [...str(1, ''), ...int(2, 17)]), ...bytes(7, graph)];
  return Uint8Array.from(model);
}

// ---- inputs and timing ----------------------------------------------------------

/** Q, K, V in [−B, B] (Mulberry32, seed): the peers' inputs, for tests to rebuild. */
export function inputs(n, d, B, seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 * B - B;
  };
  const Q = new Float32Array(n * d).map(next);
  const K = new Float32Array(n * d).map(next);
  const V = new Float32Array(n * d).map(next);
  return { Q, K, V };
}

async function timeMedian(fn, minMs) {
  await fn(); // warm-up
  const times = [];
  const start = performance.now();
  while (times.length < 3 || performance.now() - start < minMs) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    if (times.length >= 200) break;
  }
  times.sort((x, y) => x - y);
  return { median_ms: times[times.length >> 1], reps: times.length };
}

function record(method, n, d, threads, t, version) {
  return { suite: 'attention', method, n, d, flavour: 'peer', threads, median_ms: t.median_ms, reps: t.reps,
    gflops: (4 * n * n * d) / (t.median_ms * 1e6), version };
}

/** onnxruntime-web (WASM backend) on one shape; threads = its numThreads. */
export async function onnxruntime({ n, d, threads, B = 1, minMs = 200, output = false }) {
  const ort = require('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  ort.env.logLevel = 'error';
  const session = await ort.InferenceSession.create(attentionOnnx(), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const { Q, K, V } = inputs(n, d, B, 1);
  const s = 1 / Math.sqrt(d);
  const Qs = Q.map((x) => x * s);
  const Kt = new Float32Array(d * n);
  for (let j = 0; j < n; j++) for (let k = 0; k < d; k++) Kt[k * n + j] = K[j * d + k];
  const feeds = {
    Q: new ort.Tensor('float32', Qs, [n, d]),
    Kt: new ort.Tensor('float32', Kt, [d, n]),
    V: new ort.Tensor('float32', V, [n, d]),
  };
  if (output) {
    const { O } = await session.run(feeds);
    await session.release();
    return { O: Array.from(O.data) };
  }
  const t = await timeMedian(() => session.run(feeds), minMs);
  await session.release();
  return record('onnxruntime-web', n, d, threads, t, versionOf('onnxruntime-web'));
}

/** tfjs-backend-wasm on one shape (tfjs picks its own thread count in Node). */
export async function tfjs({ n, d, B = 1, minMs = 200, output = false }) {
  const tf = require('@tensorflow/tfjs-core');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + path.sep);
  await tf.setBackend('wasm');
  await tf.ready();
  const { Q, K, V } = inputs(n, d, B, 1);
  const q = tf.tensor2d(Q, [n, d]);
  const k = tf.tensor2d(K, [n, d]);
  const v = tf.tensor2d(V, [n, d]);
  const s = 1 / Math.sqrt(d);
  if (output) {
    const o = tf.tidy(() => tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), s)), v));
    const O = Array.from(await o.data());
    tf.dispose([o, q, k, v]);
    return { O };
  }
  const t = await timeMedian(async () => {
    const o = tf.tidy(() => tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), s)), v));
    await o.data();
    o.dispose();
  }, minMs);
  q.dispose();
  k.dispose();
  v.dispose();
  return record('tfjs-wasm', n, d, 1, t, versionOf('@tensorflow/tfjs-backend-wasm'));
}

// Peers (onnxruntime-web, tfjs-backend-wasm) for the attention suite, one process each.
export function peerMeasure(peer, n, d, threads) {
  const r = capture(process.execPath, [path.join(ROOT, 'build', 'peers.mjs'), peer, String(n), String(d), String(threads)]);
  if (r.code !== 0) throw new Error(`${peer}: ${(r.stderr.trim().split('\n').find((l) => /Error/.test(l)) || r.stderr.trim()).slice(0, 300)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// ---- FAISS (native, through Debian's python3-faiss) ---------------------------

/** Whether FAISS can run here (python3 with faiss and numpy). */
export const faissAvailable = () => pythonWithFaiss() !== null;

/**
 * FAISS brute force on X (n×d float32, row-major) for one pairs problem; one
 * record per mode ('full': IndexFlatIP over all n² products; 'triangle':
 * faiss.knn on the upper triangle by row blocks). build/faiss_peer.py says
 * exactly what each times. threads: OpenMP and OpenBLAS threads (0 = theirs);
 * env: extra environment for the Python process (e.g. LD_LIBRARY_PATH to another BLAS).
 */
export function faiss({ X, n, d, problem = 'msd', threads = 0, modes = ['full', 'triangle'], block = 4096, minMs = 200, env: extraEnv = {} }) {
  const python = pythonWithFaiss();
  if (!python) throw new Error('faiss: python3 with faiss and numpy is missing (Debian: node build/toolchain.mjs installs python3-faiss, libopenblas0-pthread)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'subquad-faiss-'));
  try {
    const file = path.join(dir, 'X.f32');
    const rows = X instanceof Float32Array ? X : Float32Array.from(X);
    writeFileSync(file, Buffer.from(rows.buffer, rows.byteOffset, n * d * 4));
    const env = { ...process.env, ...extraEnv };
    if (threads > 0) env.OPENBLAS_NUM_THREADS = env.OMP_NUM_THREADS = String(threads);
    const r = capture(python, [path.join(ROOT, 'build', 'faiss_peer.py'), '--input', file, '--n', String(n), '--d', String(d),
      '--problem', problem, '--threads', String(threads), '--modes', modes.join(','), '--block', String(block), '--min-ms', String(minMs)], { env, maxBuffer: 1 << 24 });
    if (r.code !== 0) throw new Error(`faiss: ${r.stderr.trim().split('\n').slice(-1)[0] || `exit ${r.code}`}`);
    return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Each peer configuration runs in its own process: onnxruntime-web fixes its
// thread count when its WASM first initialises.
//   node build/peers.mjs <onnxruntime|tfjs> <n> <d> <threads> [--output]  → one JSON line
//   (--output: the output O on the inputs above instead of a timing, for the tests)
if (import.meta.url === `file://${process.argv[1]}`) {
  const [peer, n, d, threads, flag] = process.argv.slice(2);
  const opts = { n: Number(n || 1024), d: Number(d || 64), threads: Number(threads || 1), output: flag === '--output' };
  const r = peer === 'tfjs' ? await tfjs(opts) : await onnxruntime(opts);
  console.log(JSON.stringify(r));
  process.exit(0); // ORT's worker threads would keep Node alive
}
