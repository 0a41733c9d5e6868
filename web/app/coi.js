// Cross-origin isolation for static hosts that cannot send COOP/COEP headers:
// with ?coi=1 (remembered in localStorage) a service worker (coi-serviceworker,
// bundled) adds the headers and the page reloads once, isolated. Inside an
// iframe it does nothing: a deck that is not isolated cannot be fixed from
// inside, and reloading there would loop.
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  if (params.get('coi') === '0') localStorage.removeItem('subquad-coi');
  if (params.get('coi') === '1') localStorage.setItem('subquad-coi', '1');
  var wanted = localStorage.getItem('subquad-coi') === '1';
  if (!wanted || self.crossOriginIsolated || window.top !== window.self || !('serviceWorker' in navigator)) return;
  var s = document.createElement('script');
  s.src = 'coi-serviceworker.js';
  document.head.appendChild(s);
})();
