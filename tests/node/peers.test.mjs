// The bench's peers compute what we compute: FAISS's best pair (build/faiss_peer.py, both
// modes) against a double-precision brute force and our gram on the same generated
// vectors; onnxruntime-web's and tfjs-wasm's attention against the double reference.
// Tiny shapes: these check the machinery, the bench times it (npm run bench -- peers).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { load, disposeAll, attentionReference, bruteForcePair } from './helpers.mjs';
import { faiss, faissAvailable, inputs } from '../../build/peers.mjs';
import { verdict } from '../../build/bench-peers.mjs';
import { isDebianLike } from '../../build/toolchain.mjs';

after(disposeAll);

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// On Debian the toolchain step installs python3-faiss (npm test's 'peers' part): missing is a failure there.
const noFaiss = !faissAvailable() && !isDebianLike() ? 'python3 with faiss is not installed (not Debian: the FAISS peer is optional here)' : false;

test('FAISS peer: both modes find the brute-force pair and gram\'s, for every problem it maps', { skip: noFaiss }, async () => {
  assert.ok(faissAvailable(), 'python3-faiss missing: run node build/toolchain.mjs (installs python3-faiss, libopenblas0-pthread)');
  const sq = await load('st');
  const n = 203, d = 24; // n not a multiple of the triangle's block (64): a short last block
  const { X } = sq.pairsGenerate('gaussian', { n, d, seed: 5 });
  for (const problem of ['msd', 'lsd', 'maxip', 'minip']) {
    const b = bruteForcePair(problem, X, n, d);
    const ours = sq.pairs('gram', { X, n, d }, { problem });
    assert.deepEqual([ours.i, ours.j], [b.i, b.j], `gram ${problem}`);
    const rows = faiss({ X, n, d, problem, threads: 1, block: 64, minMs: 0 });
    assert.deepEqual(rows.map((r) => r.mode), ['full', 'triangle']);
    for (const r of rows) {
      assert.deepEqual([r.i, r.j], [b.i, b.j], `${r.mode} ${problem}`);
      assert.ok(Math.abs(r.value - b.value) <= 1e-5 * Math.max(1, Math.abs(b.value)), `${r.mode} ${problem}: ${r.value} vs ${b.value}`);
      assert.equal(r.n, n);
      assert.match(r.blas, /\S/);
      assert.ok(r.blas_libraries.length >= 1 && r.sgemm_from, 'the BLAS library is read from the process map');
      assert.ok(r.median_ms > 0 && r.reps >= 1);
    }
    // The triangle computes each block against the rows from its start on: n²/2 + n·block/2 at most.
    assert.equal(rows[0].inner_products, n * n);
    assert.ok(rows[1].inner_products < n * n && rows[1].inner_products >= (n * (n + 1)) / 2);
  }
  // The 0/1 orthogonal-vectors problem maps to a minimal inner product of 0.
  const S = sq.pairsGenerate('sparse', { n: 120, d: 40, density: 0.1, seed: 2 }).X;
  const [r] = faiss({ X: S, n: 120, d: 40, problem: 'ov', threads: 1, modes: ['full'], minMs: 0 });
  assert.equal(r.value, bruteForcePair('ov', S, 120, 40).value);
});

// Debian's reference BLAS, which FAISS falls back to without OpenBLAS: the line must say so.
const NETLIB = '/usr/lib/x86_64-linux-gnu/blas';
test('FAISS peer: the BLAS line names the BLAS the process mapped', { skip: noFaiss || (!existsSync(`${NETLIB}/libblas.so.3`) && 'no Debian reference BLAS here') }, async () => {
  const sq = await load('st');
  const { X } = sq.pairsGenerate('gaussian', { n: 64, d: 8, seed: 1 });
  const [open] = faiss({ X, n: 64, d: 8, threads: 1, modes: ['full'], minMs: 0 });
  const [netlib] = faiss({ X, n: 64, d: 8, threads: 1, modes: ['full'], minMs: 0, env: { LD_LIBRARY_PATH: NETLIB } });
  assert.match(netlib.blas, /^reference BLAS/);
  assert.ok(netlib.sgemm_from.startsWith(NETLIB), netlib.sgemm_from);
  assert.notEqual(open.blas, netlib.blas);
  assert.deepEqual([open.i, open.j], [netlib.i, netlib.j]);
});

function peerOutput(peer, n, d) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'build', 'peers.mjs'), peer, String(n), String(d), '1', '--output'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()).O;
}

test('onnxruntime-web and tfjs-wasm compute the attention the bench times', () => {
  const n = 37, d = 8;
  const { Q, K, V } = inputs(n, d, 1, 1);
  const ref = attentionReference(Q, K, V, n, d);
  for (const peer of ['onnxruntime', 'tfjs']) {
    const O = peerOutput(peer, n, d);
    assert.equal(O.length, n * d);
    let err = 0;
    for (let i = 0; i < n * d; i++) err = Math.max(err, Math.abs(O[i] - ref[i]));
    assert.ok(err < 1e-5, `${peer}: max error ${err}`);
  }
});

test('the 2× / 75 % verdict: which case holds', () => {
  // ceiling 100 GFLOP/s; 1e9 flops: ours 20 ms = 50 GFLOP/s (50 %).
  const a = verdict({ oursMs: 20, peerMs: 50, flops: 1e9, ceiling: 100, peer: 'p' }); // 2× p needs 40 %
  assert.equal(a.target_applies, true);
  assert.equal(a.target_held, true);
  assert.ok(Math.abs(a.ratio - 2.5) < 1e-12 && Math.abs(a.share - 0.5) < 1e-12 && Math.abs(a.share_needed_for_2x - 0.4) < 1e-12);
  const b = verdict({ oursMs: 20, peerMs: 30, flops: 1e9, ceiling: 100, peer: 'p' }); // needs 66.7 %: applies, 1.5×
  assert.equal(b.target_applies, true);
  assert.equal(b.target_held, false);
  const c = verdict({ oursMs: 20, peerMs: 25, flops: 1e9, ceiling: 100, peer: 'p' }); // needs 80 %: does not apply
  assert.equal(c.target_applies, false);
  assert.equal(c.target_held, null);
  assert.match(c.verdict, /does not apply/);
});
