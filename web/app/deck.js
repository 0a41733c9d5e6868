/* global Reveal */
// The example deck: 1280×720 slides so an embedded panel fills one exactly.
Reveal.initialize({ width: 1280, height: 720, margin: 0, hash: true, controls: true, progress: true });

// A panel in a slide posts the navigation keys it does not use itself
// ({ type: 'subquad:key', key, shiftKey }, see web/app/main.js): once focus is
// inside the panel the arrows still move the deck.
const MOVES = {
  ArrowRight: () => Reveal.right(), ArrowLeft: () => Reveal.left(), ArrowUp: () => Reveal.up(), ArrowDown: () => Reveal.down(),
  PageDown: () => Reveal.next(), PageUp: () => Reveal.prev(), n: () => Reveal.next(), N: () => Reveal.next(),
  p: () => Reveal.prev(), P: () => Reveal.prev(), Home: () => Reveal.slide(0), End: () => Reveal.slide(Reveal.getTotalSlides() - 1),
  Escape: () => Reveal.toggleOverview(), o: () => Reveal.toggleOverview(), O: () => Reveal.toggleOverview(),
  b: () => Reveal.togglePause(), B: () => Reveal.togglePause(), '.': () => Reveal.togglePause(),
};
window.addEventListener('message', (e) => {
  const d = e.data;
  if (!d || d.type !== 'subquad:key') return;
  if (![...document.querySelectorAll('iframe')].some((f) => f.contentWindow === e.source)) return; // our panels only
  if (d.key === ' ') (d.shiftKey ? Reveal.prev : Reveal.next)();
  else MOVES[d.key]?.();
});
