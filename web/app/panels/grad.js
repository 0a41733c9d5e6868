// "Attention gradients": the backward pass (cpp/grad/) against n — flash
// (FlashAttention-2) and the polynomial method's exact gradient — each point
// timed beside the flash forward it needs; slopes, the backward/forward ratio
// and the distance to the exact gradient come from the records.
import { mountSweep } from '../sweep.js';
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
  const choices = methods.grad.filter((m) => m.name !== 'reference');
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
  if (state.autorun && state.panel === 'grad') sweep.run();
}
