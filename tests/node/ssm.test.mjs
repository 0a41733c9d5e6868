// The SSM family through the JS API: scans against an independent JS
// double-precision recurrence, blocks against the C++ double references (the
// bench's error column), native/st/mt agreement, and named errors that leave
// the module working.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FLAVOURS, load, disposeAll, randomMatrix, relativeError, scanInputs, scanReference } from './helpers.mjs';

after(disposeAll);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NATIVE = path.join(ROOT, 'build-native', 'subquad_measure');

const SHAPES = [
  { L: 1, D: 1, N: 1 },
  { L: 37, D: 5, N: 3, chunk: 8 },
  { L: 300, D: 20, N: 16, chunk: 64 },
  { L: 1000, D: 17, N: 7, chunk: 33 },
];

for (const flavour of FLAVOURS) {
  test(`${flavour}: scan and scan_chunked match the JS recurrence (rel. error <= 1e-4)`, async () => {
    const sq = await load(flavour);
    for (const shape of SHAPES) {
      const inputs = scanInputs(shape.L, shape.D, shape.N, shape.L + shape.D);
      const ref = scanReference(inputs);
      for (const method of ['scan', 'scan_chunked', 'scan_reference']) {
        for (const threads of [1, sq.info().threads]) {
          const r = sq.ssmScan(method, inputs, method === 'scan_chunked' ? { threads, chunk: shape.chunk } : { threads });
          const err = relativeError(r.y, ref);
          assert.ok(err <= 1e-4, `${method} ${JSON.stringify(shape)} threads=${threads}: error ${err}`);
          assert.equal(r.threads, threads);
          assert.ok(r.ms >= 0);
        }
      }
    }
  });

  test(`${flavour}: the registry lists scans and blocks; blocks match their double references`, async () => {
    const sq = await load(flavour);
    const list = sq.methods().ssm;
    const kinds = Object.fromEntries(list.map((m) => [m.name, m.kind]));
    assert.equal(kinds.scan, 'scan');
    assert.equal(kinds.scan_chunked, 'scan');
    assert.equal(kinds.mamba_block, 'block');
    assert.equal(kinds.attention_block, 'block');
    for (const method of ['mamba_block', 'attention_block']) {
      const r = sq.measure({ suite: 'ssm', method, L: 300, D: 64, N: 8, min_ms: 1, check_rows: 300 });
      assert.equal(r.flavour, flavour);
      assert.ok(r.error <= 1e-4, `${method}: error ${r.error}`);
      assert.ok(r.median_ms > 0);
    }
    const L = 50;
    const D = 16;
    const x = randomMatrix(L, D, 1, 4);
    for (const method of ['mamba_block', 'attention_block']) {
      const opts = method === 'mamba_block' ? { seed: 3, N: 4 } : { seed: 3 };  // N is the scan's state: mamba only
      const fast = sq.ssmBlock(method, { x, L, D }, opts);
      const ref = sq.ssmBlock(`${method}_reference`, { x, L, D }, opts);
      assert.equal(fast.y.length, L * D);
      assert.ok(relativeError(fast.y, ref.y) <= 1e-4, method);
    }
    const generated = sq.ssmBlock('mamba_block', { L, D }, { seed: 3, input_seed: 2 });
    assert.ok(generated.y.every(Number.isFinite));
    assert.ok(sq.ssmCost('scan', 1024, 256, 16).flops > 0);
  });

  test(`${flavour}: bad input is a named error and the next call is still right`, async () => {
    const sq = await load(flavour);
    const inputs = scanInputs(20, 4, 3, 1);
    const ref = scanReference(inputs);
    const nan = Float32Array.from(inputs.delta);
    nan[5] = NaN;
    assert.throws(() => sq.ssmScan('scan', { ...inputs, delta: nan }), { message: /^delta: entry 5 is nan, must be finite/i });
    assert.throws(() => sq.ssmScan('scan', { ...inputs, N: 0 }), { message: /^N: got 0/ });
    assert.throws(() => sq.ssmScan('scan', { ...inputs, x: inputs.x.subarray(1) }), { message: /^x: length 79 does not match L·D = 80/ });
    assert.throws(() => sq.ssmScan('scan_chunked', inputs, { chunk: 0 }), { message: /^chunk: got 0/ });
    assert.throws(() => sq.ssmScan('mamba_block', inputs), { message: /^method: 'mamba_block' is a block/ });
    assert.throws(() => sq.ssmBlock('attention_block', { L: 8, D: 12 }, { heads: 5 }), { message: /^heads: got 5/ });
    assert.throws(() => sq.measure({ suite: 'ssm', N: 0 }), { message: /^N: got 0/ });
    sq.setMemoryBudget(64);
    assert.throws(() => sq.ssmScan('scan', inputs), /memory budget/);
    sq.setMemoryBudget(0);
    assert.ok(relativeError(sq.ssmScan('scan', inputs).y, ref) <= 1e-4);
  });

  test(`${flavour}: the ssm and triad suites report time, bandwidth and error`, async () => {
    const sq = await load(flavour);
    const r = sq.measure({ suite: 'ssm', method: 'scan', L: 2048, D: 64, N: 16, min_ms: 5 });
    for (const key of ['median_ms', 'gbytes_per_s', 'error', 'checksum']) assert.ok(key in r, key);
    assert.ok(r.error <= 1e-4, `error ${r.error}`);
    // The scan beside its ceiling, the exp2 throughput measured in the same call: L·D·N exps per run.
    assert.equal(r.exp_variant, 'exp2_nonpositive');
    assert.ok(r.exp_ceiling_per_s_per_core > 0);
    assert.ok(Math.abs(r.exp_ceiling_per_s - r.threads * r.exp_ceiling_per_s_per_core) <= 1e-5 * r.exp_ceiling_per_s);
    assert.ok(Math.abs(r.exps_per_s - (2048 * 64 * 16) / (r.median_ms * 1e-3)) <= 1e-5 * r.exps_per_s);
    assert.ok(Math.abs(r.exp_share - r.exps_per_s / r.exp_ceiling_per_s) <= 1e-5 * r.exp_share); // JSON keeps 6 digits
    assert.equal(r.exp_target_held, r.exp_share >= r.exp_target_share);
    const block = sq.measure({ suite: 'ssm', method: 'mamba_block', L: 64, D: 16, N: 4, min_ms: 1, check_rows: 4 });
    assert.ok(!('exp_share' in block), 'only the fast scan reports the exp ceiling');
    const t = sq.measure({ suite: 'triad', n: 1 << 20, min_ms: 5 });
    assert.ok(t.gbytes_per_s > 0);
  });
}

test('native, st and mt give the same scan and block outputs for the same seed', async (t) => {
  const st = await load('st');
  const mt = await load('mt');
  const inputs = scanInputs(500, 24, 16, 7);
  const a = st.ssmScan('scan', inputs).y;
  const b = mt.ssmScan('scan', inputs, { threads: 2 }).y;
  assert.ok(relativeError(a, b) <= 1e-6);
  const opts = { suite: 'ssm', L: 700, D: 32, N: 16, min_ms: 1, seed: 4 };
  for (const method of ['scan', 'scan_chunked', 'mamba_block', 'attention_block']) {
    const rs = st.measure({ ...opts, method });
    const rm = mt.measure({ ...opts, method, threads: 2 });
    assert.ok(Math.abs(rs.checksum - rm.checksum) <= 1e-5 * rs.checksum, `${method}: st ${rs.checksum} mt ${rm.checksum}`);
    if (!existsSync(NATIVE)) {
      t.diagnostic('native measure CLI not built: native comparison skipped');
      continue;
    }
    const args = Object.entries({ ...opts, method }).flatMap(([k, v]) => [`--${k}`, String(v)]);
    const rn = JSON.parse(execFileSync(NATIVE, args, { encoding: 'utf8' }).trim().split('\n').pop());
    assert.ok(Math.abs(rs.checksum - rn.checksum) <= 1e-5 * rn.checksum, `${method}: st ${rs.checksum} native ${rn.checksum}`);
    assert.ok(rn.error <= 1e-4 && rs.error <= 1e-4, `${method}: errors ${rn.error} ${rs.error}`);
  }
});
