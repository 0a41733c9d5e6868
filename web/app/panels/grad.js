// "Attention gradients": the backward pass (cpp/grad/) against n — flash
// (FlashAttention-2) and the polynomial method's exact gradient — each point
// timed beside the flash forward it needs; slopes, the backward/forward ratio
// and the distance to the exact gradient come from the records. Below it the
// paper's own problem (the loss_* methods: L(X), dL/dX) timed against n, and
// the live training run (./training.js).
import { mountSweep } from '../sweep.js';
import { mountTraining } from './training.js';
import { estimateGrad } from '../plan.js';
import { panelEntry } from '../catalog.js';
import { $ } from '../ui.js';

const N_CHOICES = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];

export function mountGrad({ client, info, methods, state, saveState }) {
  if (!methods.grad?.length) {
    const note = $('#grad-missing');
    note.hidden = false;
    note.textContent = 'This build has no backward kernels, so there is nothing to measure here.';
    return;
  }
  const choices = methods.grad.filter((m) => m.name !== 'reference' && !m.loss);
  const sweep = mountSweep({
    id: 'grad',
    label: `${panelEntry('grad').title} sweep`,
    estimate: estimateGrad,
    mount: $('#grad-sweep'),
    client, info, state, saveState,
    suite: 'grad',
    methods: choices,
    methodsKey: 'bmethods',
    x: { key: 'n', label: 'n (tokens)', choices: N_CHOICES, minKey: 'bnmin', maxKey: 'bnmax' },
    y: { key: 'median_ms', label: 'backward median time (ms)' },
    y2: { key: 'error', label: 'distance to the exact gradient (max rel.)', logY: true, fit: false },
    controls: [
      { stateKey: 'bd', label: 'd (head width)', type: 'number' },
      { stateKey: 'bdegree', label: 'degree g (polynomial)', type: 'number' },
      { stateKey: 'bthreads', label: 'threads', type: 'threads' },
    ],
    request: (method, n, s) => ({
      suite: 'grad', method, n, d: s.bd, threads: s.bthreads, min_ms: 100,
      ...(method === 'polynomial' ? { degree: s.bdegree } : {}),
    }),
    caption: (chart, records) => {
      const flash = (records || []).filter((r) => r.method === 'flash');
      if (!flash.length) return '1 means time ∝ n, 2 means ∝ n². Each point also times the flash forward.';
      const last = flash.reduce((a, b) => (b.n > a.n ? b : a));
      return `flash backward / flash forward at n = ${last.n.toLocaleString('en')}: ` +
        `${last.backward_over_forward.toFixed(2)}× (measured; FlashAttention-2 does 2.5× the forward's multiply–adds).`;
    },
  });
  if (state.autorun && state.panel === 'grad' && !['gradloss', 'gradtrain'].includes(state.run)) sweep.run();

  const losses = methods.grad.filter((m) => m.loss && m.name !== 'loss_reference');
  if (!losses.length) return;
  const lossSweep = mountSweep({
    id: 'gradloss',
    label: 'loss-gradient sweep',
    estimate: estimateGrad,
    mount: $('#gradloss-sweep'),
    client, info, state, saveState,
    suite: 'grad',
    methods: losses,
    methodsKey: 'lmethods',
    x: { key: 'n', label: 'n (tokens)', choices: N_CHOICES, minKey: 'lnmin', maxKey: 'lnmax' },
    y: { key: 'median_ms', label: 'dL/dX median time (ms)' },
    y2: { key: 'error', label: 'distance of dL/dX to the exact gradient (max rel.)', logY: true, fit: false },
    controls: [
      { stateKey: 'ld', label: 'd (width)', type: 'number' },
      { stateKey: 'ldegree', label: 'degree g (loss_polynomial)', type: 'number' },
      { stateKey: 'lthreads', label: 'threads', type: 'threads' },
    ],
    request: (method, n, s) => ({
      suite: 'grad', method, n, d: s.ld, threads: s.lthreads, min_ms: 100, scale: 'inv_d',
      ...(method === 'loss_polynomial' ? { degree: s.ldegree } : {}),
    }),
    caption: (chart, records) => lossCaption(records || []),
  });
  if (state.autorun && state.panel === 'grad' && state.run === 'gradloss') lossSweep.run();

  const training = mountTraining({ mount: $('#gradtrain'), client, info, state, saveState });
  if (state.autorun && state.panel === 'grad' && state.run === 'gradtrain') training.run();
}

// The crossover and the largest-n ratio, from the records only.
function lossCaption(records) {
  const at = (m) => new Map(records.filter((r) => r.method === m).map((r) => [r.n, r]));
  const exact = at('loss_exact'), poly = at('loss_polynomial');
  const both = [...exact.keys()].filter((n) => poly.has(n)).sort((a, b) => a - b);
  if (!both.length) return 'loss_exact is O(n²d), loss_polynomial O(n·r·d²): 2 and 1 are the slopes the theorem predicts.';
  const faster = both.find((n) => poly.get(n).median_ms < exact.get(n).median_ms);
  const last = both[both.length - 1];
  const ratio = exact.get(last).median_ms / poly.get(last).median_ms;
  const cross = faster === undefined
    ? `loss_polynomial is not yet faster at any n measured (up to ${last.toLocaleString('en')}).`
    : `loss_polynomial is faster from n = ${faster.toLocaleString('en')} on (measured crossover).`;
  return `${cross} At n = ${last.toLocaleString('en')}: loss_exact / loss_polynomial = ${ratio.toFixed(1)}×.`;
}
