// Builds what is stale: the native library + doctest suite + measure CLI
// (build-native/), both WASM flavours (build-wasm/ → web/wasm/) and their FMA
// twins (build-wasm-fma/ → web/wasm/subquad-{st,mt}-fma.*), then copies the
// page's npm assets into web/vendor/. Ninja makes reruns incremental.
import { existsSync, mkdirSync, copyFileSync, statSync, readdirSync, readFileSync, writeFileSync, chmodSync, symlinkSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildCorpus } from './corpus.mjs';
import { writeLibrarySchema } from './library-schema.mjs';
import { writePrecache } from './precache.mjs';
import { ROOT, NATIVE_DIR, WASM_DIR, WASM_FMA_DIR, WEB_DIR, run, step, timed, red } from './util.mjs';

const jobs = String(Number(process.env.SUBQUAD_JOBS) || 2);

async function configure(dir, wrapper, extra = [], opts = {}) {
  if (existsSync(path.join(dir, 'build.ninja'))) return 0;
  const args = ['-S', ROOT, '-B', dir, '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=Release', ...extra];
  return wrapper ? run(wrapper, ['cmake', ...args], opts) : run('cmake', args, opts);
}

// emcc runs Binaryen's tools by bare name from PATH. `npm run` puts
// node_modules/.bin first, where the npm package binaryen (the FMA flavours'
// optimiser) links a wasm-opt whose output Emscripten 3.1.6 misreads: the WASM
// builds run without those folders (the FMA build adds its own shim).
export function wasmEnv(extraPath = []) {
  const dirs = (process.env.PATH || '').split(path.delimiter).filter((d) => d && !/node_modules[\\/]\.bin[\\/]?$/.test(d));
  return { ...process.env, PATH: [...extraPath, ...dirs].join(path.delimiter) };
}

// SUBQUAD_WASM_LOCK=<file> serialises WASM builds across checkouts on one
// machine (emcc links are memory- and CPU-hungry; two at once thrash).
function ninjaLocked(dir, opts = {}) {
  const ninja = ['ninja', '-C', dir, '-j', jobs];
  const lock = process.env.SUBQUAD_WASM_LOCK;
  return lock ? run('flock', [lock, ...ninja], opts) : run(ninja[0], ninja.slice(1), opts);
}

export async function buildNative({ sanitize = false } = {}) {
  const dir = sanitize ? `${NATIVE_DIR}-sanitize` : NATIVE_DIR;
  step(`Native build${sanitize ? ' (ASan + UBSan)' : ''} → ${path.relative(ROOT, dir)}/`);
  return timed('native build', async () => {
    let code = await configure(dir, null, sanitize ? ['-DSUBQUAD_SANITIZE=ON'] : []);
    if (code === 0) code = await run('ninja', ['-C', dir, '-j', jobs]);
    if (code !== 0) console.error(red('native build failed'));
    return code;
  });
}

export async function buildWasm() {
  step('WebAssembly build (st: SIMD, mt: SIMD + threads) → web/wasm/');
  return timed('wasm build', async () => {
    const env = wasmEnv();
    let code = await configure(WASM_DIR, 'emcmake', [], { env });
    if (code === 0) code = await ninjaLocked(WASM_DIR, { env });
    if (code !== 0) console.error(red('wasm build failed'));
    return code;
  });
}

// The FMA flavours (relaxed SIMD: f32x4.relaxed_madd), ../shared/TOOLCHAIN.md
// "Relaxed SIMD (FMA)": Debian's Emscripten 3.1.6 drives bookworm's clang 16
// through a config file of our own (never /usr/share/emscripten's), and runs
// Binaryen's optimiser from the npm package `binaryen` (Debian's Binaryen 108
// cannot parse the final opcodes) through a shim first on PATH.
export const LLVM16 = '/usr/lib/llvm-16/bin';
const FMA_TOOLCHAIN = path.join(WASM_FMA_DIR, 'toolchain');

// binaryen ≥ 1xx prints the --minify-imports-and-exports* mapping as JSON;
// emcc 3.1.6 parses `old => new` lines. The shim runs the npm wasm-opt and
// translates that one output; everything else passes through unchanged.
const WASM_OPT_SHIM = `#!/usr/bin/env node
// Written by build/build.mjs: wasm-opt from the npm package binaryen, with the
// JSON import/export mapping of --minify-imports-and-exports* turned into the
// "old => new" lines Emscripten 3.1.6 reads.
const { spawnSync } = require('child_process');
const r = spawnSync(process.execPath, [WASM_OPT, ...process.argv.slice(2)],
  { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 30 });
if (r.error) { console.error('wasm-opt shim: ' + r.error.message); process.exit(127); }
let out = r.stdout || '';
if (process.argv.some((a) => a.startsWith('--minify-imports'))) {
  const start = out.indexOf('{');
  const end = out.lastIndexOf('}');
  if (start >= 0 && end > start) {
    try {
      const map = JSON.parse(out.slice(start, end + 1));
      const lines = [];
      for (const imp of map.imports || []) lines.push(imp[imp.length - 2] + ' => ' + imp[imp.length - 1]);
      for (const exp of map.exports || []) lines.push(exp[0] + ' => ' + exp[1]);
      out = out.slice(0, start) + lines.join('\\n') + '\\n' + out.slice(end + 1);
    } catch (e) { /* not the mapping: pass it through */ }
  }
}
process.stdout.write(out);
process.exit(r.status === null ? 1 : r.status);
`;

// The other Binaryen tools emcc may run on the module (wasm-metadce at -O3),
// linked from the npm package as they are: 108's cannot parse the opcodes
// either. wasm-emscripten-finalize stays Debian's (the npm package has none).
const BINARYEN_LINKED = ['wasm-metadce', 'wasm-as', 'wasm-dis', 'wasm2js', 'wasm-ctor-eval'];

/** Writes build-wasm-fma/toolchain/{em16.config, bin/wasm-opt, bin/<BINARYEN_LINKED>}; returns the folder. */
export function writeFmaToolchain() {
  const wasmOpt = path.join(ROOT, 'node_modules', 'binaryen', 'bin', 'wasm-opt');
  if (!existsSync(wasmOpt)) throw new Error(`${wasmOpt} is missing (npm install)`);
  const config = readFileSync('/usr/share/emscripten/.emscripten', 'utf8')
    .split('\n')
    .filter((line) => !/_ADD_VERSION/.test(line))
    .map((line) => (/^LLVM_ROOT = /.test(line) ? `LLVM_ROOT = '${LLVM16}'` : line))
    .join('\n');
  mkdirSync(path.join(FMA_TOOLCHAIN, 'bin'), { recursive: true });
  const write = (file, text) => {
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
  };
  write(path.join(FMA_TOOLCHAIN, 'em16.config'), config);
  const shim = path.join(FMA_TOOLCHAIN, 'bin', 'wasm-opt');
  write(shim, WASM_OPT_SHIM.replace('[WASM_OPT,', `[${JSON.stringify(wasmOpt)},`));
  chmodSync(shim, 0o755);
  for (const tool of BINARYEN_LINKED) {
    const target = path.join(ROOT, 'node_modules', 'binaryen', 'bin', tool);
    const link = path.join(FMA_TOOLCHAIN, 'bin', tool);
    let current = null;
    try {
      current = readlinkSync(link);
    } catch {
      // no link yet
    }
    if (current === target) continue;
    rmSync(link, { force: true });
    symlinkSync(target, link);
  }
  return FMA_TOOLCHAIN;
}

export async function buildWasmFma() {
  step('WebAssembly FMA build (st-fma, mt-fma: relaxed SIMD, clang 16) → web/wasm/');
  return timed('wasm fma build', async () => {
    let dir;
    try {
      dir = writeFmaToolchain();
    } catch (e) {
      console.error(red(`wasm fma build: ${e.message}`));
      return 1;
    }
    // CMake's compiler checks run emcc too: the same config and shim.
    const env = { ...wasmEnv([path.join(dir, 'bin')]), EM_CONFIG: path.join(dir, 'em16.config') };
    let code = await configure(WASM_FMA_DIR, 'emcmake', ['-DSUBQUAD_FMA=ON', `-DSUBQUAD_FMA_TOOLCHAIN=${dir}`], { env });
    if (code === 0) code = await ninjaLocked(WASM_FMA_DIR, { env });
    if (code !== 0) console.error(red('wasm fma build failed'));
    return code;
  });
}

// Page assets from npm, copied (not bundled) so the site is self-contained.
// A folder entry copies the files in it whose names match.
const VENDOR = [
  ['uplot/dist/uPlot.esm.js', 'uPlot.esm.js'],
  ['uplot/dist/uPlot.min.css', 'uPlot.min.css'],
  ['katex/dist/katex.mjs', 'katex.mjs'],
  ['katex/dist/katex.min.css', 'katex.min.css'],
  ['katex/dist/fonts', 'fonts', /\.woff2$/],
  ['reveal.js/dist/reveal.js', 'reveal.js'],
  ['reveal.js/dist/reveal.css', 'reveal.css'],
  ['reveal.js/dist/theme/white.css', 'reveal-white.css'],
];

function copyIfNewer(src, dst) {
  if (!existsSync(dst) || statSync(dst).mtimeMs < statSync(src).mtimeMs) copyFileSync(src, dst);
}

export function copyVendor() {
  const out = path.join(WEB_DIR, 'vendor');
  mkdirSync(out, { recursive: true });
  const missing = [];
  for (const [from, to, filter] of VENDOR) {
    const src = path.join(ROOT, 'node_modules', from);
    if (!existsSync(src)) {
      missing.push(from);
      continue;
    }
    if (filter) {
      mkdirSync(path.join(out, to), { recursive: true });
      for (const f of readdirSync(src)) if (filter.test(f)) copyIfNewer(path.join(src, f), path.join(out, to, f));
    } else {
      copyIfNewer(src, path.join(out, to));
    }
  }
  if (missing.length) {
    console.error(red(`missing npm assets (run npm install): ${missing.join(', ')}`));
    return 1;
  }
  return 0;
}

export async function buildAll() {
  for (const part of [buildNative, buildWasm, buildWasmFma, writeLibrarySchema, copyVendor, buildCorpus, writePrecache]) {
    const code = await part();
    if (code !== 0) return code;
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { ensureToolchain } = await import('./toolchain.mjs');
  await ensureToolchain(['native', 'wasm']);
  process.exit(await buildAll());
}
