// Starts the WASM worker as the very first thing the page does (a classic
// script in <head>), so the module downloads and compiles while the page's
// own modules load. web/app/client.js adopts this worker and the messages it
// has already sent.
'use strict';
(() => {
  try {
    const flavour = new URLSearchParams(location.search).get('flavour');
    const worker = new Worker(new URL('worker.js', document.currentScript.src));
    const early = { worker, messages: [], flavour: ['mt-fma', 'mt', 'st-fma', 'st'].includes(flavour) ? flavour : 'auto' };
    worker.onmessage = (e) => early.messages.push(e.data);
    worker.postMessage({ type: 'init', flavour: early.flavour, threads: 0 });
    self.subquadEarly = early;
  } catch {
    // No early start (e.g. workers blocked): client.js starts one itself.
  }
})();
