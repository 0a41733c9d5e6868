// Builds what is stale: the native library + doctest suite + measure CLI
// (build-native/), and both WASM flavours (build-wasm/ → web/wasm/), then
// copies the page's npm assets into web/vendor/. Ninja makes reruns incremental.
import { existsSync, mkdirSync, copyFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT, NATIVE_DIR, WASM_DIR, WEB_DIR, run, step, timed, red } from './util.mjs';

const jobs = String(Number(process.env.SUBQUAD_JOBS) || 2);

async function configure(dir, wrapper, extra = []) {
  if (existsSync(path.join(dir, 'build.ninja'))) return 0;
  const args = ['-S', ROOT, '-B', dir, '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=Release', ...extra];
  return wrapper ? run(wrapper, ['cmake', ...args]) : run('cmake', args);
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
    let code = await configure(WASM_DIR, 'emcmake');
    if (code === 0) code = await run('ninja', ['-C', WASM_DIR, '-j', jobs]);
    if (code !== 0) console.error(red('wasm build failed'));
    return code;
  });
}

// Page assets from npm, copied (not bundled) so the site is self-contained.
const VENDOR = [
  ['uplot/dist/uPlot.iife.min.js', 'uPlot.iife.min.js'],
  ['uplot/dist/uPlot.min.css', 'uPlot.min.css'],
];

export function copyVendor() {
  const out = path.join(WEB_DIR, 'vendor');
  mkdirSync(out, { recursive: true });
  for (const [from, to] of VENDOR) {
    const src = path.join(ROOT, 'node_modules', from);
    const dst = path.join(out, to);
    if (!existsSync(src)) continue;  // optional until the dependency is installed
    if (!existsSync(dst) || statSync(dst).mtimeMs < statSync(src).mtimeMs) copyFileSync(src, dst);
  }
  return 0;
}

export async function buildAll() {
  for (const part of [buildNative, buildWasm, copyVendor]) {
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
