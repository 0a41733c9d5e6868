// subquad's service worker: offline use and, optionally, cross-origin isolation.
//
// Offline: network first, cache as the fallback — online you always get the
// build that was just served (a stale .wasm beside fresh glue JS would break),
// offline you get the last one seen. Everything same-origin is cached as it is
// fetched, so one complete visit makes the page work offline.
//
// Isolation on static hosts that cannot send headers (registered as sw.js?coi=1):
// responses get COOP/COEP/CORP added, the approach of the coi-serviceworker
// package, so threads work after one reload.
'use strict';
const CACHE = 'subquad-v1';
const COI = new URL(self.location.href).searchParams.get('coi') === '1';

self.addEventListener('install', () => self.skipWaiting());
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
      return withIsolation(response);
    } catch (e) {
      // Offline: the page itself may be requested with a query string.
      const hit = (await cache.match(req)) || (await cache.match(req, { ignoreSearch: true }));
      if (hit) return withIsolation(hit);
      throw e;
    }
  })());
});
