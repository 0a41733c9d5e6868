/* global Reveal */
// The example deck: 1280×720 slides so an embedded panel fills one exactly.
Reveal.initialize({ width: 1280, height: 720, margin: 0, hash: true, controls: true, progress: true });
