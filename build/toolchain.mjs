// Checks the toolchain and, on Debian/Ubuntu, installs what is missing with
// apt (through sudo when not root); elsewhere prints exactly what to install.
// Also runs `npm install` when node_modules lacks the dev dependencies.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, run, which, step, red, green, capture } from './util.mjs';

// What each part of the build needs: a check and the Debian package providing it.
const REQUIREMENTS = [
  { what: 'C++ compiler (g++)', pkg: 'g++', ok: () => which('g++') || which('c++'), parts: ['native'] },
  { what: 'CMake', pkg: 'cmake', ok: () => which('cmake'), parts: ['native', 'wasm'] },
  { what: 'Ninja', pkg: 'ninja-build', ok: () => which('ninja'), parts: ['native', 'wasm'] },
  { what: 'Eigen 3', pkg: 'libeigen3-dev', ok: () => existsSync('/usr/include/eigen3/Eigen/Core'), parts: ['native', 'wasm'] },
  { what: 'doctest', pkg: 'doctest-dev', ok: () => existsSync('/usr/include/doctest/doctest.h'), parts: ['native'] },
  { what: 'Emscripten (emcc)', pkg: 'emscripten', ok: () => which('emcc') && which('emcmake'), parts: ['wasm'] },
  // The FMA flavours (relaxed SIMD): Emscripten 3.1.6 drives clang 16 and its
  // wasm-ld (build/build.mjs, ../shared/TOOLCHAIN.md "Relaxed SIMD (FMA)").
  { what: 'clang 16 (FMA flavours)', pkg: 'clang-16', ok: () => existsSync('/usr/lib/llvm-16/bin/clang'), parts: ['wasm'] },
  { what: 'lld 16 (FMA flavours)', pkg: 'lld-16', ok: () => existsSync('/usr/lib/llvm-16/bin/wasm-ld'), parts: ['wasm'] },
  { what: 'Chromium', pkg: 'chromium', ok: () => existsSync('/usr/bin/chromium'), parts: ['browser'] },
  { what: 'clang (for libFuzzer)', pkg: 'clang', ok: () => which('clang++'), parts: ['fuzz'] },
  { what: "clang's libFuzzer runtime", pkg: 'libclang-rt-14-dev', ok: hasLibFuzzer, parts: ['fuzz'] },
  // The bench's peers (the `peers` suite, the pairs suite's FAISS row, tests/node/peers.test.mjs):
  // native FAISS, on OpenBLAS — without it Debian's numpy/faiss use the reference BLAS, ~20× slower.
  { what: 'FAISS for Python 3 (python3-faiss)', pkg: 'python3-faiss', ok: () => pythonWithFaiss() !== null, parts: ['peers'] },
  { what: 'OpenBLAS (pthread build)', pkg: 'libopenblas0-pthread', ok: hasOpenBlas, parts: ['peers'] },
];

// Debian's python3-faiss lives in /usr/lib/python3/dist-packages: /usr/bin/python3 sees it where
// a pyenv/venv python3 earlier on PATH does not. SUBQUAD_PYTHON overrides. null when none imports it.
let faissPython;
export function pythonWithFaiss() {
  if (faissPython !== undefined) return faissPython;
  const candidates = [process.env.SUBQUAD_PYTHON, '/usr/bin/python3', which('python3')].filter(Boolean);
  faissPython = candidates.find((py) => existsSync(py) && capture(py, ['-c', 'import faiss, numpy']).code === 0) ?? null;
  return faissPython;
}

function hasOpenBlas() {
  return readdirSync('/usr/lib').some((dir) => dir.endsWith('-linux-gnu') && existsSync(`/usr/lib/${dir}/openblas-pthread`));
}

function hasLibFuzzer() {
  const base = '/usr/lib/llvm-14/lib/clang';
  if (!existsSync(base)) return false;
  return readdirSync(base).some((v) => existsSync(`${base}/${v}/lib/linux/libclang_rt.fuzzer-x86_64.a`));
}

export function isDebianLike() {
  return existsSync('/etc/debian_version') && which('apt-get');
}

export async function ensureToolchain(parts = ['native', 'wasm', 'browser', 'fuzz', 'peers']) {
  let missing = REQUIREMENTS.filter((r) => r.parts.some((p) => parts.includes(p)) && !r.ok());
  // Off Debian the peers are optional: their bench rows and tests say they were skipped.
  const optional = isDebianLike() ? [] : missing.filter((r) => r.parts.every((p) => p === 'peers'));
  if (optional.length) {
    console.error(`  skipping the peers (no ${optional.map((m) => m.what).join(', ')}): their bench rows and tests are skipped`);
    missing = missing.filter((r) => !optional.includes(r));
  }
  if (missing.length) {
    const pkgs = [...new Set(missing.map((m) => m.pkg))];
    step(`Installing missing tools: ${missing.map((m) => m.what).join(', ')}`);
    if (!isDebianLike()) {
      console.error(red(`subquad needs: ${missing.map((m) => m.what).join(', ')}.`));
      console.error(`On Debian 12 / Ubuntu: sudo apt-get install -y ${pkgs.join(' ')}`);
      console.error('Elsewhere install the equivalents (Emscripten 3.1.x, Eigen 3.4, doctest 2.4, CMake ≥ 3.19, Ninja, Chromium).');
      process.exit(1);
    }
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    const sudo = root ? [] : ['sudo'];
    if (!root && !which('sudo')) {
      console.error(red('Not root and no sudo: install these as root, then run again:'));
      console.error(`  apt-get update && apt-get install -y ${pkgs.join(' ')}`);
      process.exit(1);
    }
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const apt = (...args) => {
      const cmd = [...sudo, 'apt-get', ...args];
      console.log(`  ${cmd.join(' ')}`);
      return run(cmd[0], cmd.slice(1), { env });
    };
    let code = await apt('update', '-qq');
    if (code === 0) code = await apt('install', '-y', '-qq', ...pkgs);
    faissPython = undefined; // re-check after installing
    const still = missing.filter((r) => !r.ok());
    if (code !== 0 || still.length) {
      console.error(red(`Could not install: ${still.map((m) => m.what).join(', ') || pkgs.join(', ')}`));
      process.exit(1);
    }
    console.log(green('  toolchain installed'));
  }
  await ensureNodeModules();
}

// One package per need: playwright-core (browser tests), binaryen (the FMA
// flavours' wasm-opt). A checkout that predates either gets `npm ci` again.
const NODE_MODULES_MARKERS = ['playwright-core/package.json', 'binaryen/bin/wasm-opt'];

export async function ensureNodeModules() {
  if (NODE_MODULES_MARKERS.every((f) => existsSync(path.join(ROOT, 'node_modules', f)))) return;
  step('Installing npm dev dependencies');
  const lock = existsSync(path.join(ROOT, 'package-lock.json'));
  const code = await run('npm', [lock ? 'ci' : 'install', '--no-audit', '--no-fund']);
  if (code !== 0) {
    console.error(red('npm install failed'));
    process.exit(1);
  }
}

// `node build/toolchain.mjs` checks and installs everything.
if (import.meta.url === `file://${process.argv[1]}`) {
  await ensureToolchain();
  console.log(green('toolchain ok'));
}
