// Shared by the Node tests: loading each flavour once, seeded data, and an
// independent double-precision attention reference written in JS.
import { createSubquad } from '../../web/lib/subquad.mjs';

export const FLAVOURS = ['st', 'mt'];

const cache = new Map();
/** One module per flavour for the whole file; mt gets a pool of 2 threads. */
export function load(flavour) {
  if (!cache.has(flavour)) cache.set(flavour, createSubquad({ flavour, threads: flavour === 'mt' ? 2 : 0 }));
  return cache.get(flavour);
}
export async function disposeAll() {
  for (const p of cache.values()) (await p).dispose();
  cache.clear();
}

/** Mulberry32: a tiny seeded generator for test inputs (independent of the C++ RNG). */
export function randomMatrix(rows, cols, B, seed) {
  let a = seed >>> 0;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = (2 * u - 1) * B;
  }
  return out;
}

/** Softmax attention in double precision, obvious loops. */
export function attentionReference(Q, K, V, n, d, { scale = 1 / Math.sqrt(d), causal = false } = {}) {
  const O = new Float64Array(n * d);
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const keys = causal ? i + 1 : n;
    let m = -Infinity;
    for (let j = 0; j < keys; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += Q[i * d + k] * K[j * d + k];
      s[j] = scale * dot;
      if (s[j] > m) m = s[j];
    }
    let sum = 0;
    for (let j = 0; j < keys; j++) {
      const a = Math.exp(s[j] - m);
      sum += a;
      for (let k = 0; k < d; k++) O[i * d + k] += a * V[j * d + k];
    }
    for (let k = 0; k < d; k++) O[i * d + k] /= sum;
  }
  return O;
}

/** max |a − b| / max |b| */
export function relativeError(a, b) {
  let err = 0;
  let ref = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  return ref > 0 ? err / ref : err;
}
