// The whole UI state is one object that round-trips through the query string,
// so every view is a shareable link (as in TensorFlow Playground's state.ts).
// A schema gives each key its type, default and allowed range; anything
// invalid in a URL falls back to the default instead of breaking the page.
import { PANELS } from './catalog.js';

export const SCHEMA = {
  // 'home' lists every panel; links made before it existed name no panel and
  // meant the attention panel (see fromQuery).
  panel: { type: 'enum', values: ['home', ...PANELS.map((p) => p.panel)], default: 'home' },
  flavour: { type: 'enum', values: ['auto', 'mt', 'st'], default: 'auto' },
  embed: { type: 'bool', default: false },
  autorun: { type: 'bool', default: false },
  run: { type: 'enum', values: ['single', 'sweep', 'errors', 'versus'], default: 'single' }, // what autorun runs
  theme: { type: 'enum', values: ['auto', 'light', 'dark'], default: 'auto' },
  fontscale: { type: 'number', min: 0.5, max: 3, default: 1 },
  // attention panel
  method: { type: 'string', default: 'exact' },
  n: { type: 'int', min: 1, max: 1 << 20, default: 1024 },
  d: { type: 'int', min: 1, max: 4096, default: 64 },
  threads: { type: 'int', min: 0, max: 64, default: 0 },
  scale: { type: 'enum', values: ['sqrt', 'inv_d'], default: 'sqrt' },
  B: { type: 'number', min: 0.01, max: 100, default: 1 },
  causal: { type: 'bool', default: false },
  methods: { type: 'list', default: 'exact,flash,linear' }, // time-vs-n sweep
  nmin: { type: 'int', min: 16, max: 1 << 20, default: 256 },
  nmax: { type: 'int', min: 16, max: 1 << 20, default: 4096 },
  // attention panel: error vs B (the polynomial method and the heuristics)
  emethods: { type: 'list', default: 'polynomial' },
  Bmin: { type: 'number', min: 0.01, max: 100, default: 0.25 },
  Bmax: { type: 'number', min: 0.01, max: 100, default: 4 },
  en: { type: 'int', min: 16, max: 1 << 20, default: 1024 },
  ed: { type: 'int', min: 1, max: 64, default: 8 },
  degree: { type: 'int', min: 0, max: 12, default: 4 },
  poly: { type: 'enum', values: ['taylor', 'chebyshev'], default: 'chebyshev' },
  // SSM vs attention
  smethods: { type: 'list', default: 'mamba_block,attention_block' },
  Lmin: { type: 'int', min: 1, max: 1 << 20, default: 512 },
  Lmax: { type: 'int', min: 1, max: 1 << 20, default: 8192 },
  sD: { type: 'int', min: 1, max: 4096, default: 256 },
  sN: { type: 'int', min: 1, max: 256, default: 16 },
  // pair search
  pmethods: { type: 'list', default: 'gram,simhash' },
  pnmin: { type: 'int', min: 16, max: 1 << 20, default: 1024 },
  pnmax: { type: 'int', min: 16, max: 1 << 20, default: 8192 },
  pgen: { type: 'enum', values: ['planted', 'planted_sparse', 'ovhard'], default: 'planted' },
  prho: { type: 'number', min: 0, max: 1, default: 0.9 },
  pd: { type: 'int', min: 1, max: 4096, default: 128 },
  pseeds: { type: 'int', min: 1, max: 20, default: 3 },
  // documents
  dsource: { type: 'enum', values: ['corpus', 'own'], default: 'corpus' },
  dcount: { type: 'int', min: 2, max: 1500, default: 1500 },
  dvocab: { type: 'int', min: 2, max: 8192, default: 1000 },
  dweight: { type: 'enum', values: ['tfidf', 'binary'], default: 'tfidf' },
  dproblem: { type: 'enum', values: ['msd', 'lsd'], default: 'msd' },
  dmethod: { type: 'string', default: 'gram' },
  dbeta: { type: 'number', min: 0.01, max: 10000, default: 100 },
  // attention vs subquadratic (the construction)
  vmethods: { type: 'list', default: 'flash,linear,lsh,sketch_reader' },
  vnmin: { type: 'int', min: 16, max: 65536, default: 64 },
  vnmax: { type: 'int', min: 16, max: 65536, default: 2048 },
  vl: { type: 'int', min: 4, max: 4096, default: 64 },
  vbeta: { type: 'number', min: 0.01, max: 100, default: 2 },
  vstate: { type: 'int', min: 1, max: 1 << 24, default: 2048 },
  vseeds: { type: 'int', min: 1, max: 100, default: 5 },
  vdegree: { type: 'int', min: 0, max: 12, default: 2 }, // the polynomial method's rank is C(ℓ+g, g)
};

function parseValue(spec, text) {
  switch (spec.type) {
    case 'bool':
      return text === '1' || text === 'true';
    case 'int': {
      const v = Number(text);
      return Number.isInteger(v) && v >= spec.min && v <= spec.max ? v : spec.default;
    }
    case 'number': {
      const v = Number(text);
      return Number.isFinite(v) && v >= spec.min && v <= spec.max ? v : spec.default;
    }
    case 'enum':
      return spec.values.includes(text) ? text : spec.default;
    case 'list':
      return /^[\w.-]{1,40}(,[\w.-]{1,40}){0,15}$/.test(text) ? text : spec.default;
    default:
      return /^[\w.-]{1,40}$/.test(text) ? text : spec.default;
  }
}

export function defaults() {
  return Object.fromEntries(Object.entries(SCHEMA).map(([k, s]) => [k, s.default]));
}

// Keys that say how to show the page, not what to show.
const PRESENTATION = new Set(['flavour', 'theme', 'fontscale', 'coi']);

export function fromQuery(search) {
  const params = new URLSearchParams(search);
  const state = defaults();
  for (const [key, spec] of Object.entries(SCHEMA)) {
    if (params.has(key)) state[key] = parseValue(spec, params.get(key));
  }
  // No panel named: the home view, unless the link carries a panel's settings
  // (or embed=1) — such links predate the home view and meant attention.
  if (!params.has('panel') && [...params.keys()].some((k) => k in SCHEMA && !PRESENTATION.has(k))) {
    state.panel = 'attention';
  }
  return state;
}

/** Only non-default values go into the URL, so links stay short. */
export function toQuery(state) {
  const params = new URLSearchParams();
  for (const [key, spec] of Object.entries(SCHEMA)) {
    const v = state[key];
    if (v === spec.default || v === undefined) continue;
    params.set(key, spec.type === 'bool' ? (v ? '1' : '0') : String(v));
  }
  // Home with settings would read as an old attention link (see fromQuery).
  if (state.panel === 'home' && [...params.keys()].some((k) => !PRESENTATION.has(k))) params.set('panel', 'home');
  const q = params.toString();
  return q ? `?${q}` : '';
}
