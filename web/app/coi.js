// Registers web/sw.js (offline use). With ?coi=1 — for static hosts that
// cannot send COOP/COEP — the worker also adds those headers and the page
// reloads once to become cross-origin isolated; the choice is remembered
// (?coi=0 forgets it). Inside an iframe nothing reloads: a deck that is not
// isolated cannot be fixed from inside, and reloading there would loop.
// ?sw=0 skips the service worker entirely.
(function () {
  'use strict';
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  var params = new URLSearchParams(location.search);
  if (params.get('sw') === '0') return;
  if (params.get('coi') === '0') localStorage.removeItem('subquad-coi');
  if (params.get('coi') === '1') localStorage.setItem('subquad-coi', '1');
  var coi = localStorage.getItem('subquad-coi') === '1';
  navigator.serviceWorker.register(coi ? 'sw.js?coi=1' : 'sw.js').then(function (reg) {
    if (!coi || self.crossOriginIsolated || window.top !== window.self) return;
    if (sessionStorage.getItem('subquad-coi-reloaded')) return; // once only
    var reload = function () {
      sessionStorage.setItem('subquad-coi-reloaded', '1');
      location.reload();
    };
    if (navigator.serviceWorker.controller) reload();
    else navigator.serviceWorker.addEventListener('controllerchange', reload);
  }).catch(function () { /* offline support is a bonus, never an error */ });
})();
