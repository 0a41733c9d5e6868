// The service worker's precache list: every file the page may need offline
// (web/app, panels, lib, wasm of every flavour (st, mt and their -fma twins), vendor, data), so a panel
// never visited still works offline. Output: web/precache.json (ignored by
// git), { version, files }; version changes whenever a listed file does.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { WEB_DIR, step } from './util.mjs';

export const PRECACHE_FILE = path.join(WEB_DIR, 'precache.json');
// The slide deck's own files (reveal.js) are not part of any panel.
const SKIP = /^(precache\.json|deck\.html|app\/deck\.js|vendor\/reveal[^/]*)$/;

function walk(dir, rel = '') {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(full).isDirectory()) out.push(...walk(full, r));
    else if (!SKIP.test(r) && !name.startsWith('.')) out.push(r);
  }
  return out;
}

/** Lists the files in web/; returns { version, files } (paths relative to web/, './' for the page). */
export function precacheList(root = WEB_DIR) {
  const files = walk(root);
  const hash = createHash('sha256');
  for (const f of files) {
    const st = statSync(path.join(root, f));
    hash.update(`${f}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return { version: hash.digest('hex').slice(0, 16), files: ['./', ...files.filter((f) => f !== 'index.html')] };
}

export function writePrecache() {
  step('Service worker precache list → web/precache.json');
  const list = precacheList();
  writeFileSync(PRECACHE_FILE, `${JSON.stringify(list, null, 1)}\n`);
  console.log(`precache: ${list.files.length} files, version ${list.version}`);
  return 0;
}
