// "SSM vs attention": a Mamba-style block and an attention block of the same
// width, time vs sequence length L, fitted slopes and the measured crossover.
import { mountSweep } from '../sweep.js';
import { estimateSsm } from '../plan.js';
import { panelEntry } from '../catalog.js';
import { measuredCrossover } from '../fit.js';
import { $ } from '../ui.js';

const L_CHOICES = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144];
const ATTENTION_MAX_L = 16384; // beyond this one attention block takes many seconds per call

function seriesMaps(chart) {
  return new Map([...chart.series].map(([name, pts]) => [name, new Map([...pts].map(([x, p]) => [x, p.y]))]));
}

export function mountSsm({ client, info, methods, state, saveState }) {
  if (!methods.ssm?.length) {
    const note = $('#ssm-missing');
    note.hidden = false;
    note.textContent = 'This build has no state-space kernels yet, so there is nothing to measure here.';
    return;
  }
  const choices = methods.ssm.filter((m) => !m.name.endsWith('_reference'));
  const sweep = mountSweep({
    id: 'ssm',
    label: `${panelEntry('ssm').title} sweep`,
    estimate: estimateSsm,
    mount: $('#ssm-sweep'),
    client, info, state, saveState,
    suite: 'ssm',
    methods: choices,
    methodsKey: 'smethods',
    x: { key: 'L', label: 'L (sequence length)', choices: L_CHOICES, minKey: 'Lmin', maxKey: 'Lmax' },
    y: { key: 'median_ms', label: 'median time (ms)' },
    controls: [
      { stateKey: 'sD', label: 'D (width)', type: 'number' },
      { stateKey: 'sN', label: 'N (state)', type: 'number' },
      { stateKey: 'sthreads', label: 'threads', type: 'threads' },
    ],
    request: (method, L, s) => (method === 'attention_block' && L > ATTENTION_MAX_L
      ? { skip: `attention_block at L = ${L.toLocaleString('en')} (quadratic: each call would take tens of seconds)` }
      : { suite: 'ssm', method, L, D: s.sD, N: s.sN, threads: s.sthreads, min_ms: 100 }),
    caption: (chart) => {
      const series = seriesMaps(chart);
      if (!series.has('mamba_block') || !series.has('attention_block')) return '1 means time ∝ L, 2 means ∝ L².';
      const x = measuredCrossover(series.get('attention_block'), series.get('mamba_block'));
      return x
        ? `mamba_block is faster than attention_block from L = ${x.toLocaleString('en')} on (measured).`
        : 'mamba_block has not overtaken attention_block in the measured range: extend L.';
    },
    refLines: (chart) => {
      const series = seriesMaps(chart);
      if (!series.has('mamba_block') || !series.has('attention_block')) return [];
      const x = measuredCrossover(series.get('attention_block'), series.get('mamba_block'));
      return x ? [{ x, label: 'crossover' }] : [];
    },
  });
  if (state.autorun && state.panel === 'ssm') sweep.run();
}
