// Builds what is stale: the native library + doctest suite + measure CLI
// (build-native/), and both WASM flavours (build-wasm/ → web/wasm/), then
// copies the page's npm assets into web/vendor/. Ninja makes reruns incremental.
import { existsSync, mkdirSync, copyFileSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { buildCorpus } from './corpus.mjs';
import { writeLibrarySchema } from './library-schema.mjs';
import { writePrecache } from './precache.mjs';
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
    // SUBQUAD_WASM_LOCK=<file> serialises WASM builds across checkouts on one
    // machine (emcc links are memory- and CPU-hungry; two at once thrash).
    const ninja = ['ninja', '-C', WASM_DIR, '-j', jobs];
    const lock = process.env.SUBQUAD_WASM_LOCK;
    if (code === 0) code = lock ? await run('flock', [lock, ...ninja]) : await run(ninja[0], ninja.slice(1));
    if (code !== 0) console.error(red('wasm build failed'));
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
  for (const part of [buildNative, buildWasm, writeLibrarySchema, copyVendor, buildCorpus, writePrecache]) {
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
