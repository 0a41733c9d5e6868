// Shared by the Node tests: loading each flavour once, seeded data, and an
// independent double-precision attention reference written in JS.
import { createSubquad } from '../../web/lib/subquad.mjs';

export const FLAVOURS = ['st', 'mt'];

const cache = new Map();
/** One module per flavour for the whole file; mt (and mt-fma) gets a pool of 2 threads. */
export function load(flavour) {
  if (!cache.has(flavour)) cache.set(flavour, createSubquad({ flavour, threads: flavour.startsWith('mt') ? 2 : 0 }));
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

/**
 * Softmax attention in double precision, obvious loops. K and V have nk rows
 * (default n); causal: query i sees keys j ≤ i + nk − n. The result carries
 * each row's natural-log log-sum-exp as `.lse`.
 */
export function attentionReference(Q, K, V, n, d, { scale = 1 / Math.sqrt(d), causal = false, nk = n } = {}) {
  const O = new Float64Array(n * d);
  const lse = new Float64Array(n);
  const s = new Float64Array(nk);
  for (let i = 0; i < n; i++) {
    const keys = causal ? i + nk - n + 1 : nk;
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
    lse[i] = m + Math.log(sum);
  }
  O.lse = lse;
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

/** Inputs with Δ in (0, 0.5] and A in [−4, 0): a mix of long and short memories. */
export function scanInputs(L, D, N, seed) {
  const unit = randomMatrix(L * D + D * N, 1, 1, seed + 9);
  return {
    L, D, N,
    x: randomMatrix(L, D, 1, seed),
    delta: Float32Array.from(unit.subarray(0, L * D), (u) => 0.25 * (u + 1) + 1e-3),
    A: Float32Array.from(unit.subarray(L * D), (u) => -2 * (u + 1) - 0.01),
    B: randomMatrix(L, N, 1, seed + 1),
    C: randomMatrix(L, N, 1, seed + 2),
    Dskip: randomMatrix(1, D, 1, seed + 3),
  };
}

/** The recurrence of THEORY.md §4 in double precision, obvious loops. */
export function scanReference({ x, delta, A, B, C, Dskip, L, D, N }) {
  const y = new Float64Array(L * D);
  const h = new Float64Array(N);
  for (let c = 0; c < D; c++) {
    h.fill(0);
    for (let t = 0; t < L; t++) {
      const dt = delta[t * D + c];
      const xt = x[t * D + c];
      let out = Dskip[c] * xt;
      for (let k = 0; k < N; k++) {
        h[k] = Math.exp(dt * A[c * N + k]) * h[k] + dt * B[t * N + k] * xt;
        out += C[t * N + k] * h[k];
      }
      y[t * D + c] = out;
    }
  }
  return y;
}

/** Pair search by brute force in double precision, ties to the smallest (i, j). */
export function bruteForcePair(problem, X, n, d, Y = null, m = 0) {
  const B = Y || X;
  const rows = Y ? m : n;
  let best = null;
  for (let i = 0; i < n; i++) {
    for (let j = Y ? 0 : i + 1; j < rows; j++) {
      let ip = 0, na = 0, nb = 0;
      for (let k = 0; k < d; k++) {
        ip += X[i * d + k] * B[j * d + k];
        na += X[i * d + k] ** 2;
        nb += B[j * d + k] ** 2;
      }
      let value = ip;
      if (problem === 'msd' || problem === 'lsd') {
        if (na === 0 || nb === 0) continue;
        value = ip / Math.sqrt(na * nb);
      }
      const score = { msd: value, maxip: value, lsd: -value, minip: -value, ov: -Math.abs(value) }[problem];
      if (!best || score > best.score + 1e-12) best = { i, j, value, score };
    }
  }
  return best || { i: -1, j: -1, value: 0 };
}

/**
 * y = A w (or L w = (A1)∘w − A w when laplacian) for A_ij = exp(−‖x_i − x_j‖²/h²),
 * in double, obvious loops: the kernel family's yardstick on the JS side.
 */
export function kernelReference(X, n, d, w, { bandwidth = 1, laplacian = false } = {}) {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let aw = 0, a1 = 0;
    for (let j = 0; j < n; j++) {
      let t = 0;
      for (let k = 0; k < d; k++) t += (X[i * d + k] - X[j * d + k]) ** 2;
      const a = Math.exp(-t / (bandwidth * bandwidth));
      aw += a * w[j];
      a1 += a;
    }
    y[i] = laplacian ? a1 * w[i] - aw : aw;
  }
  return y;
}
