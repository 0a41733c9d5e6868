// Checks the toolchain and, on Debian/Ubuntu, installs what is missing with
// apt (through sudo when not root); elsewhere prints exactly what to install.
// Also runs `npm install` when node_modules lacks the dev dependencies.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, run, which, step, red, green } from './util.mjs';

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
];

function hasLibFuzzer() {
  const base = '/usr/lib/llvm-14/lib/clang';
  if (!existsSync(base)) return false;
  return readdirSync(base).some((v) => existsSync(`${base}/${v}/lib/linux/libclang_rt.fuzzer-x86_64.a`));
}

function isDebianLike() {
  return existsSync('/etc/debian_version') && which('apt-get');
}

export async function ensureToolchain(parts = ['native', 'wasm', 'browser', 'fuzz']) {
  const missing = REQUIREMENTS.filter((r) => r.parts.some((p) => parts.includes(p)) && !r.ok());
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
