// libFuzzer runner (clang, ASan + UBSan): `npm run fuzz -- <target|all> [seconds]`.
// Targets are cpp/fuzz/harness_<target>.cpp. Seeds and saved findings live in
// tests/fuzz-regressions/<target>/ (replayed by the doctest suite); the growing
// corpus and any crash files go to test-results/fuzz/<target>/.
// Prints one line per target: seconds, executions, findings; exit 1 on a finding.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { ROOT, run, step, red, green, which } from './util.mjs';

const FUZZ_DIR = path.join(ROOT, 'build-fuzz');

export function fuzzTargets() {
  return readdirSync(path.join(ROOT, 'cpp', 'fuzz'))
    .filter((f) => /^harness_\w+\.cpp$/.test(f))
    .map((f) => f.slice('harness_'.length, -'.cpp'.length))
    .sort();
}

export async function buildFuzzers() {
  if (!which('clang++')) {
    console.error(red('fuzz: clang++ is missing (apt-get install clang libclang-rt-14-dev)'));
    return 1;
  }
  if (!existsSync(path.join(FUZZ_DIR, 'build.ninja'))) {
    const code = await run('cmake', ['-S', ROOT, '-B', FUZZ_DIR, '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=RelWithDebInfo',
      '-DCMAKE_CXX_COMPILER=clang++', '-DSUBQUAD_FUZZ=ON']);
    if (code !== 0) return code;
  }
  return run('ninja', ['-C', FUZZ_DIR, '-j', String(Number(process.env.SUBQUAD_JOBS) || 2)]);
}

/** Runs one fuzzer for `seconds`; resolves to { target, seconds, execs, findings }. */
export function fuzzOne(target, seconds) {
  const work = path.join(ROOT, 'test-results', 'fuzz', target);
  const corpus = path.join(work, 'corpus');
  mkdirSync(corpus, { recursive: true });
  const seeds = path.join(ROOT, 'tests', 'fuzz-regressions', target);
  const args = [`-max_total_time=${seconds}`, '-timeout=10', '-rss_limit_mb=4096', '-print_final_stats=1',
    `-artifact_prefix=${work}/`, corpus];
  if (existsSync(seeds)) args.push(seeds);
  return new Promise((resolve) => {
    const child = spawn(path.join(FUZZ_DIR, `fuzz_${target}`), args, { cwd: ROOT });
    let log = '';
    child.stderr.on('data', (b) => (log += b));
    child.stdout.on('data', (b) => (log += b));
    child.on('exit', (code) => {
      const execs = Number((log.match(/stat::number_of_executed_units:\s*(\d+)/) || [])[1] || 0);
      const crashes = readdirSync(work).filter((f) => /^(crash|leak|timeout|oom)-/.test(f));
      const findings = code === 0 ? 0 : Math.max(1, crashes.length);
      if (findings) process.stderr.write(log.split('\n').slice(-40).join('\n'));
      resolve({ target, seconds, execs, findings, artifacts: crashes.map((f) => path.join(work, f)) });
    });
  });
}

export async function fuzzAll(which, seconds) {
  const targets = which === 'all' ? fuzzTargets() : [which];
  const results = [];
  for (const t of targets) {
    if (!fuzzTargets().includes(t)) {
      console.error(red(`fuzz: unknown target '${t}', known: ${fuzzTargets().join(', ')}`));
      return [{ target: t, findings: 1 }];
    }
    const r = await fuzzOne(t, seconds);
    const mark = r.findings ? red('FINDING') : green('clean');
    console.log(`fuzz ${t}: ${seconds} s, ${r.execs} executions, ${r.findings} findings — ${mark}`);
    for (const a of r.artifacts || []) console.log(`  reproduce: build-fuzz/fuzz_${t} ${a}  (then copy it to tests/fuzz-regressions/${t}/)`);
    results.push(r);
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = process.argv[2] || 'all';
  const seconds = Number(process.argv[3] || 30);
  step(`Building fuzzers (clang, libFuzzer + ASan + UBSan)`);
  if ((await buildFuzzers()) !== 0) process.exit(1);
  step(`Fuzzing ${target} for ${seconds} s each`);
  const results = await fuzzAll(target, seconds);
  process.exit(results.some((r) => r.findings) ? 1 : 0);
}
