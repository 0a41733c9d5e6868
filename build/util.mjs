// Small helpers shared by the build scripts (no dependencies).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const NATIVE_DIR = path.join(ROOT, 'build-native');
export const WASM_DIR = path.join(ROOT, 'build-wasm');
export const WASM_FMA_DIR = path.join(ROOT, 'build-wasm-fma');
export const WEB_DIR = path.join(ROOT, 'web');

const color = process.stdout.isTTY && !process.env.NO_COLOR;
export const bold = (s) => (color ? `\x1b[1m${s}\x1b[0m` : s);
export const red = (s) => (color ? `\x1b[31m${s}\x1b[0m` : s);
export const green = (s) => (color ? `\x1b[32m${s}\x1b[0m` : s);

export function step(title) {
  console.log(`\n${bold(`▶ ${title}`)}`);
}

/** Runs a command with inherited stdio; resolves to its exit code. */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
    child.on('error', (e) => {
      console.error(red(`${cmd}: ${e.message}`));
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Runs a command, capturing output; returns { code, stdout, stderr }. */
export function capture(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', ...opts });
  return { code: r.status ?? 1, stdout: r.stdout || '', stderr: r.stderr || '' };
}

export function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return null;
}

export async function timed(label, fn) {
  const t0 = performance.now();
  const result = await fn();
  const s = (performance.now() - t0) / 1000;
  console.log(`  ${label}: ${s.toFixed(1)} s`);
  return result;
}
