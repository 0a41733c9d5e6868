// Peer rows for the attention bench: the same computation, softmax(s·QKᵀ)V,
// in onnxruntime-web's and tfjs-backend-wasm's WASM backends, timed the same
// way (repeat ≥ min_ms, median), so the ratio is measured in one run.
import { createRequire } from 'node:module';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { ROOT } from './util.mjs';

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

function inputs(n, d, B, seed) {
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
export async function onnxruntime({ n, d, threads, B = 1, minMs = 200 }) {
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
  const t = await timeMedian(() => session.run(feeds), minMs);
  await session.release();
  return record('onnxruntime-web', n, d, threads, t, versionOf('onnxruntime-web'));
}

/** tfjs-backend-wasm on one shape (tfjs picks its own thread count in Node). */
export async function tfjs({ n, d, B = 1, minMs = 200 }) {
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

// Each peer configuration runs in its own process: onnxruntime-web fixes its
// thread count when its WASM first initialises.
//   node build/peers.mjs <onnxruntime|tfjs> <n> <d> <threads>  → one JSON line
if (import.meta.url === `file://${process.argv[1]}`) {
  const [peer, n, d, threads] = process.argv.slice(2);
  const opts = { n: Number(n || 1024), d: Number(d || 64), threads: Number(threads || 1) };
  const r = peer === 'tfjs' ? await tfjs(opts) : await onnxruntime(opts);
  console.log(JSON.stringify(r));
  process.exit(0); // ORT's worker threads would keep Node alive
}
