// subquad's service worker: offline use and, optionally, cross-origin isolation.
//
// Offline: network first, cache as the fallback — online you always get the
// build that was just served (a stale .wasm beside fresh glue JS would break),
// offline you get the last one seen. Everything same-origin is cached as it is
// fetched, and on install (and whenever the build changes) every file in
// precache.json (written by build/precache.mjs: all of app/, panels, lib,
// wasm of every flavour, FMA ones included, vendor, data) is fetched too, so a panel never
// visited — the documents corpus, the other flavours — works offline.
//
// Isolation on static hosts that cannot send headers (registered as sw.js?coi=1):
// responses get COOP/COEP/CORP added, the approach of the coi-serviceworker
// package, so threads work after one reload.
'use strict';
const CACHE = 'subquad-v1';
const COI = new URL(self.location.href).searchParams.get('coi') === '1';

const LIST = new URL('precache.json', self.location.href).href;

// Fetches every listed file into the cache unless this build's list was
// cached already. Failures are skipped: offline support is a bonus.
let refreshing = null;
function precache() {
  refreshing ||= (async () => {
    const cache = await caches.open(CACHE);
    try {
      const res = await fetch(LIST, { cache: 'no-cache' });
      if (!res.ok) return;
      const list = await res.clone().json();
      const seen = await cache.match(LIST);
      if (seen && (await seen.json()).version === list.version) return;
      await Promise.all(list.files.map(async (f) => {
        const url = new URL(f, self.location.href).href;
        try {
          const r = await fetch(url, { cache: 'no-cache' });
          if (r.ok) await cache.put(url, r);
        } catch { /* offline or gone: skipped */ }
      }));
      await cache.put(LIST, res);
    } catch { /* offline: keep what is cached */ }
  })().finally(() => { refreshing = null; });
  return refreshing;
}

self.addEventListener('install', (event) => event.waitUntil(precache().then(() => self.skipWaiting())));
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function withIsolation(response) {
  if (!COI || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'cross-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(req);
      if (response.ok) cache.put(req, response.clone());
      // A page load online: bring the precache up to this build (in the background).
      if (req.mode === 'navigate' && response.ok) event.waitUntil(precache());
      return withIsolation(response);
    } catch (e) {
      // Offline: the page itself may be requested with a query string.
      const hit = (await cache.match(req)) || (await cache.match(req, { ignoreSearch: true }));
      if (hit) return withIsolation(hit);
      throw e;
    }
  })());
});
