// The FMA flavours (st-fma, mt-fma: relaxed SIMD's f32x4.relaxed_madd in the
// micro-kernels and exp) on the numerics of every kernel, and how the loader
// detects relaxed SIMD. Results may differ from the plain builds only by
// rounding, so the tolerances are the family tests'. The rest of the suite
// (bad input, limits, soak) runs on the plain flavours only: same sources.
// Needs relaxed SIMD: Node 22, or Node 20 with --experimental-wasm-relaxed-simd
// (build/test.mjs passes it; node --test's children inherit it).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createSubquad, relaxedSimdSupported, SubquadError } from '../../web/lib/subquad.mjs';
import { load, disposeAll, randomMatrix, attentionReference, relativeError, scanInputs, scanReference,
  bruteForcePair, kernelReference } from './helpers.mjs';

after(disposeAll);

const FMA = ['st-fma', 'mt-fma'];
const RELAXED = relaxedSimdSupported();
const LOADER = fileURLToPath(new URL('../../web/lib/subquad.js', import.meta.url));

test('this runtime validates the relaxed-SIMD probe (Node 20: run with --experimental-wasm-relaxed-simd)', () => {
  assert.equal(RELAXED, true, `relaxed SIMD is off in Node ${process.version}: run node --experimental-wasm-relaxed-simd --test ${fileURLToPath(import.meta.url)}`);
});

test('auto loads mt-fma where relaxed SIMD and threads are both there; info() says so', async () => {
  const sq = await createSubquad({ flavour: 'auto', threads: 2 });
  try {
    const info = sq.info();
    assert.equal(info.flavour, 'mt-fma');
    assert.equal(info.fma, true);
    assert.equal(info.relaxedSimd, true);
    assert.equal(info.threads, 2);
    assert.equal(sq.module.flavour(), 'mt-fma'); // the C++ side's own name (build_flavour)
  } finally {
    sq.dispose();
  }
});

test('without relaxed SIMD: auto falls back to mt, an FMA flavour is refused by name, st still loads', () => {
  // A child Node with relaxed SIMD switched off (the probe really fails there).
  const script = `
    const { createSubquad, relaxedSimdSupported } = require(${JSON.stringify(LOADER)});
    (async () => {
      const out = { probe: relaxedSimdSupported(), refused: {} };
      for (const flavour of ['mt-fma', 'st-fma']) {
        try { (await createSubquad({ flavour })).dispose(); out.refused[flavour] = 'loaded'; }
        catch (e) { out.refused[flavour] = { name: e.name, param: e.param, message: e.message }; }
      }
      const sq = await createSubquad({ flavour: 'auto', threads: 1 });
      out.auto = sq.info();
      sq.dispose();
      console.log(JSON.stringify(out));
    })();`;
  const out = JSON.parse(execFileSync(process.execPath, ['--no-experimental-wasm-relaxed-simd', '-e', script],
    { encoding: 'utf8', timeout: 60000 }).trim().split('\n').pop());
  assert.equal(out.probe, false);
  for (const flavour of ['mt-fma', 'st-fma']) {
    const e = out.refused[flavour];
    assert.equal(e.name, 'SubquadError', JSON.stringify(e));
    assert.equal(e.param, 'flavour');
    assert.match(e.message, new RegExp(`^flavour: ${flavour} needs WebAssembly relaxed SIMD .*; use ${flavour.slice(0, 2)}$`));
  }
  assert.equal(out.auto.flavour, 'mt');
  assert.equal(out.auto.fma, false);
  assert.equal(out.auto.relaxedSimd, false);
});

test('flavour names: the FMA ones are listed in the refusal; the plain ones load without FMA', async () => {
  await assert.rejects(createSubquad({ flavour: 'fma' }), (e) => e instanceof SubquadError &&
    /^flavour: got 'fma', must be auto, mt-fma, mt, st-fma, st$/.test(e.message));
  const st = await load('st');
  assert.deepEqual([st.info().flavour, st.info().fma], ['st', false]);
});

// Every measured method of every family, on the same seeded problem: the FMA
// flavour's error against the double-precision reference (C++ reference.cpp,
// computed in the record) must be as small as the plain st build's.
const SWEEP = {
  attention: { n: 128, d: 16, check_rows: 16 },
  ssm: { L: 128, D: 16, N: 8, check_rows: 128 },
  grad: { n: 96, d: 8, check_rows: 32 },
  collapse: { n: 32, d: 8 },
  simulate: { n: 256, d: 16, M: 64 },
  tensor: { n: 48, d: 4, check_rows: 8 },
  kernel: { n: 200, d: 3, check_rows: 50 },
  neurons: { n: 64, m: 512, d: 8 },
};
const SKIP = new Set(['attention/positional_fft']); // seconds at any n (its FFT plan); positional_exact covers the family
const ERROR_KEYS = ['error', 'error_rel', 'loss_error', 'fit_error'];

for (const flavour of FMA) {
  test(`${flavour}: every measured method of every family is as accurate as st against the double reference`, async () => {
    const sq = await load(flavour);
    const plain = await load('st');
    const schema = plain.schema();
    let compared = 0;
    for (const [suite, dims] of Object.entries(SWEEP)) {
      for (const method of schema.suites[suite].options.method.values) {
        if (SKIP.has(`${suite}/${method}`)) continue;
        const point = { suite, method, ...dims, seed: 3, min_ms: 0 };
        const p = plain.measure(point);
        const f = sq.measure(point); // mt-fma: all its pool's 2 threads
        const at = `${suite}/${method}`;
        assert.equal(f.flavour, flavour, at);
        for (const key of ERROR_KEYS) {
          if (!Number.isFinite(p[key])) continue;
          assert.ok(Number.isFinite(f[key]) && f[key] <= 2 * p[key] + 1e-6, `${at} ${key}: ${flavour} ${f[key]} vs st ${p[key]}`);
          compared++;
        }
        // neurons: the same training run (loss before and after) as plain.
        for (const key of ['loss_first', 'loss_last']) {
          if (Number.isFinite(p[key])) assert.ok(Math.abs(f[key] - p[key]) <= 1e-4 * Math.abs(p[key]), `${at} ${key}: ${f[key]} vs ${p[key]}`);
        }
      }
    }
    assert.ok(compared >= 40, `only ${compared} errors compared`);
  });

  test(`${flavour}: exact and flash attention, the scan, gram pairs and the exact kernel sum match the JS double references`, async () => {
    const sq = await load(flavour);
    const threads = flavour.startsWith('mt') ? 2 : 1;
    for (const { n, d, causal } of [{ n: 67, d: 8, causal: false }, { n: 130, d: 32, causal: true }]) {
      const Q = randomMatrix(n, d, 1, 1), K = randomMatrix(n, d, 1, 2), V = randomMatrix(n, d, 1, 3);
      const ref = attentionReference(Q, K, V, n, d, { causal });
      for (const method of ['exact', 'flash']) {
        const { O } = sq.attention(method, { Q, K, V, n, d }, { causal, threads });
        assert.ok(relativeError(O, ref) <= 1e-5, `${method} n=${n} causal=${causal}: ${relativeError(O, ref)}`);
      }
    }
    const inputs = scanInputs(300, 20, 16, 5);
    const y = scanReference(inputs);
    for (const method of ['scan', 'scan_chunked']) {
      const r = sq.ssmScan(method, inputs, method === 'scan_chunked' ? { threads, chunk: 64 } : { threads });
      assert.ok(relativeError(r.y, y) <= 1e-4, `${method}: ${relativeError(r.y, y)}`);
    }
    const G = randomMatrix(90, 12, 1, 7);
    for (const problem of ['msd', 'maxip', 'minip']) {
      const r = sq.pairs('gram', { X: G, n: 90, d: 12 }, { problem, threads });
      const b = bruteForcePair(problem, G, 90, 12);
      assert.deepEqual([r.i, r.j], [b.i, b.j], problem);
      assert.ok(Math.abs(r.value - b.value) <= 1e-5 * Math.max(1, Math.abs(b.value)), `${problem}: ${r.value} vs ${b.value}`);
    }
    const n = 150, d = 3;
    const X = randomMatrix(n, d, 1, 11), w = randomMatrix(n, 1, 1, 12);
    const want = kernelReference(X, n, d, w, { bandwidth: 1 });
    const got = sq.kernelProduct('exact', { X, n, d, w }, { bandwidth: 1, threads });
    assert.ok(relativeError(got.y, want) <= 1e-5, `kernel exact: ${relativeError(got.y, want)}`);
  });

  test(`${flavour}: the GEMM variants are the relaxed-SIMD ones, and each, forced, gives flash and exact within rounding of the JS reference`, async () => {
    const sq = await load(flavour);
    const { picked, variants } = sq.info().kernels.gemm;
    assert.ok(variants.length >= 4 && variants.every((v) => /^gemm_f32_\dx8_wasmrelaxedsimd_/.test(v.name)), variants.map((v) => v.name).join(', '));
    const n = 77, d = 24;
    const Q = randomMatrix(n, d, 1, 1), K = randomMatrix(n, d, 1, 2), V = randomMatrix(n, d, 1, 3);
    const ref = attentionReference(Q, K, V, n, d, { causal: true });
    try {
      for (const { name } of variants) {
        assert.equal(sq.kernelVariants(name).picked, name);
        for (const method of ['flash', 'exact']) {
          const err = relativeError(sq.attention(method, { Q, K, V, n, d }, { causal: true }).O, ref);
          assert.ok(err <= 1e-5, `${name} ${method}: ${err}`);
        }
      }
    } finally {
      sq.kernelVariants(picked);
    }
  });
}
