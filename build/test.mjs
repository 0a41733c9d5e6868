// `npm test`: install what is missing, build what is stale, then run in order
// the native doctest suite (CTest), the Node tests of both WASM flavours (and
// the numerics of their FMA twins), and
// the browser tests (headless Chromium). Prints each runner's summary and a
// closing "N passed, M failed" line; exits non-zero if anything failed.
//   npm test [-- --only native|sanitize|fuzz|node|browser]
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ensureToolchain } from './toolchain.mjs';
import { buildAll, buildNative } from './build.mjs';
import { buildFuzzers, fuzzAll } from './fuzz.mjs';
import { ROOT, NATIVE_DIR, step, bold, red, green } from './util.mjs';

const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : null;

/** Runs a command, streaming its output and keeping it for parsing. */
function runTee(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      process.stdout.write(b);
    });
    child.stderr.on('data', (b) => {
      out += b;
      process.stderr.write(b);
    });
    child.on('error', (e) => resolve({ code: 127, out: String(e) }));
    child.on('exit', (code) => resolve({ code: code ?? 1, out }));
  });
}

function lastMatch(text, re) {
  const all = [...text.matchAll(re)];
  return all.length ? all[all.length - 1] : null;
}

const results = [];

async function suite(name, cmd, args, parse) {
  step(name);
  const t0 = performance.now();
  const { code, out } = await runTee(cmd, args);
  const counts = parse(out);
  const seconds = (performance.now() - t0) / 1000;
  // A runner that exits non-zero failed, whatever it counted.
  const failed = code !== 0 ? Math.max(counts.failed, 1) : counts.failed;
  results.push({ name, passed: counts.passed, failed, seconds, code });
}

function parseDoctest(out) {
  const m = lastMatch(out, /test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed/g);
  return m ? { passed: +m[2], failed: +m[3] } : { passed: 0, failed: 0 };
}

function parseNodeTest(out) {
  const pass = lastMatch(out, /^# pass (\d+)/gm);
  const fail = lastMatch(out, /^# fail (\d+)/gm);
  return { passed: pass ? +pass[1] : 0, failed: fail ? +fail[1] : 0 };
}

function testFiles(dir) {
  const full = path.join(ROOT, 'tests', dir);
  return readdirSync(full)
    .filter((f) => f.endsWith('.test.mjs'))
    .sort()
    .map((f) => path.join('tests', dir, f));
}

// peers: tests/node/peers.test.mjs runs FAISS on Debian (python3-faiss on OpenBLAS).
await ensureToolchain(only === 'native' ? ['native'] : ['native', 'wasm', 'browser', 'fuzz', 'peers']);
const built = await buildAll();
if (built !== 0) {
  console.error(red('build failed'));
  console.log('0 passed, 1 failed');
  process.exit(1);
}

if (!only || only === 'native') {
  await suite('Native tests (doctest via CTest)', 'ctest', ['--test-dir', NATIVE_DIR, '-V'], parseDoctest);
}
if (!only || only === 'native' || only === 'sanitize') {
  // The same doctest suite under AddressSanitizer + UndefinedBehaviorSanitizer.
  if ((await buildNative({ sanitize: true })) !== 0) {
    results.push({ name: 'Native tests under ASan + UBSan', passed: 0, failed: 1, seconds: 0, code: 1 });
  } else {
    await suite('Native tests under ASan + UBSan', 'ctest', ['--test-dir', `${NATIVE_DIR}-sanitize`, '-V'], parseDoctest);
  }
}
if (!only || only === 'fuzz') {
  // A short libFuzzer smoke run per target (npm run fuzz -- <target> <s> for longer).
  step('Fuzz smoke (libFuzzer + ASan + UBSan)');
  const t0 = performance.now();
  const seconds = Number(process.env.SUBQUAD_FUZZ_SECONDS) || 20;
  if ((await buildFuzzers()) !== 0) {
    results.push({ name: 'Fuzz smoke', passed: 0, failed: 1, seconds: 0, code: 1 });
  } else {
    const r = await fuzzAll('all', seconds);
    const failed = r.filter((x) => x.findings).length;
    results.push({ name: `Fuzz smoke (${seconds} s per target)`, passed: r.length - failed, failed,
      seconds: (performance.now() - t0) / 1000, code: failed ? 1 : 0 });
  }
}
// The FMA flavours' file runs on its own, with relaxed SIMD on (Node 20 needs
// the flag; node --test's children and the pthread workers inherit it).
const FMA_TESTS = path.join('tests', 'node', 'fma.test.mjs');
const RELAXED_SIMD_ARGS = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
if (!only || only === 'node') {
  await suite('Node tests of the WASM build (st and mt)', process.execPath,
    ['--test', '--test-reporter=tap', '--test-concurrency=1', ...testFiles('node').filter((f) => f !== FMA_TESTS)], parseNodeTest);
  await suite('Node tests of the FMA flavours (st-fma, mt-fma; relaxed SIMD)', process.execPath,
    [...RELAXED_SIMD_ARGS, '--test', '--test-reporter=tap', '--test-concurrency=1', FMA_TESTS], parseNodeTest);
}
if (!only || only === 'browser') {
  await suite('Browser tests (headless Chromium)', process.execPath,
    ['--test', '--test-reporter=tap', '--test-concurrency=1', ...testFiles('browser')], parseNodeTest);
}

step('Summary');
let passed = 0;
let failed = 0;
for (const r of results) {
  passed += r.passed;
  failed += r.failed;
  const mark = r.failed ? red('FAIL') : green('ok  ');
  console.log(`  ${mark} ${r.name}: ${r.passed} passed, ${r.failed} failed (${r.seconds.toFixed(1)} s)`);
}
if (passed === 0 && failed === 0) failed = 1;  // running no test is a failure
console.log(bold(failed ? red('\nSOME TESTS FAILED') : green('\nALL TESTS PASSED')));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
