// The whole UI state is one object that round-trips through the query string,
// so every view is a shareable link (as in TensorFlow Playground's state.ts).
// A schema gives each key its type, default and allowed range; anything
// invalid in a URL falls back to the default instead of breaking the page.
import { PANELS } from './catalog.js';
import LIBRARY from './library.js';

// Keys that set a library parameter name it with `lib` and take their type,
// limits and allowed values from the library's schema (web/app/library.js,
// written by the build from sq.schema()): the page offers exactly what the
// C++ side accepts, and a limit changed there changes here. Refs:
//   dim:<family>.<dim>                 a family's dimension
//   option:<family>.<method>.<option>  a method's option
//   suite:<suite>.<key>                a bench suite's own key
//   limit:<name>                       another call's limit (documents.vocab)
// `values` keeps a page's subset of an enum (each must be a library value);
// `names` offers a number option's named values only (scale: sqrt, inv_d).
const PAGE = {
  // 'home' lists every panel; links made before it existed name no panel and
  // meant the attention panel (see fromQuery).
  panel: { type: 'enum', values: ['home', ...PANELS.map((p) => p.panel)], default: 'home' },
  flavour: { type: 'enum', values: ['auto', 'mt-fma', 'mt', 'st-fma', 'st'], default: 'auto' },
  embed: { type: 'bool', default: false },
  autorun: { type: 'bool', default: false },
  run: { type: 'string', default: 'single' }, // what autorun runs: a form's id (a sweep's cfg.id, 'single', 'documents')
  theme: { type: 'enum', values: ['auto', 'light', 'dark'], default: 'auto' },
  fontscale: { type: 'number', min: 0.5, max: 3, default: 1 },
  // attention panel
  method: { type: 'string', default: 'exact' },
  n: { lib: 'dim:attention.n', default: 1024 },
  d: { lib: 'dim:attention.d', default: 64 },
  threads: { lib: 'option:attention.flash.threads', default: 0 },
  scale: { lib: 'option:attention.flash.scale', names: true, default: 'sqrt' },
  B: { lib: 'suite:attention.B', default: 1 },
  causal: { lib: 'option:attention.flash.causal', default: false },
  methods: { type: 'list', default: 'exact,flash,linear' }, // time-vs-n sweep
  nmin: { lib: 'dim:attention.n', default: 256 },
  nmax: { lib: 'dim:attention.n', default: 4096 },
  // attention panel: error vs B (the polynomial method and the heuristics)
  emethods: { type: 'list', default: 'polynomial' },
  Bmin: { lib: 'suite:attention.B', default: 0.25 },
  Bmax: { lib: 'suite:attention.B', default: 4 },
  en: { lib: 'dim:attention.n', default: 1024 },
  ed: { lib: 'dim:attention.d', default: 8 },
  degree: { lib: 'option:attention.polynomial.degree', default: 4 },
  poly: { lib: 'option:attention.polynomial.poly', default: 'chebyshev' },
  // attention panel: the degree (rank, time) a fixed error needs as B grows
  gmethods: { type: 'list', default: 'polynomial' },
  gBmin: { lib: 'suite:poly_degree.B', default: 0.25 },
  gBmax: { lib: 'suite:poly_degree.B', default: 3 },  // past √ln 4096 = 2.88
  gn: { lib: 'suite:poly_degree.n', default: 4096 },
  gd: { lib: 'suite:poly_degree.d', default: 8 },
  gtarget: { lib: 'suite:poly_degree.target', default: 0.001 },
  // RoPE attention
  rmethods: { type: 'list', default: 'rope_flash,rope_polynomial,positional_exact,positional_fft' },
  rnmin: { lib: 'dim:attention.n', default: 1024 },
  rnmax: { lib: 'dim:attention.n', default: 8192 },
  rd: { lib: 'dim:attention.d', default: 8 },  // rope_*: even
  rpd: { lib: 'dim:attention.d', default: 4 },  // positional_*: C(d+g, g) pieces
  rdegree: { lib: 'option:attention.rope_polynomial.degree', default: 4 },
  rlayout: { lib: 'option:attention.rope_flash.rope_layout', default: 'interleaved' },
  rbase: { lib: 'option:attention.rope_flash.rope_base', default: 10000 },
  // RoPE panel: error vs B at a fixed degree, both fast methods
  remethods: { type: 'list', default: 'rope_polynomial,positional_fft' },
  rBmin: { lib: 'suite:attention.B', default: 0.25 },
  rBmax: { lib: 'suite:attention.B', default: 4 },
  ren: { lib: 'dim:attention.n', default: 1024 },
  rw: { lib: 'suite:attention.w', default: 'uniform' },
  // attention gradients (grad)
  bmethods: { type: 'list', default: 'flash,polynomial' },
  bnmin: { lib: 'suite:grad.n', default: 512 },
  bnmax: { lib: 'suite:grad.n', default: 8192 },
  bd: { lib: 'suite:grad.d', default: 8 },
  bdegree: { lib: 'option:grad.polynomial.degree', default: 4 },
  // layer collapse: the η grid's shape, the highlighted η (log slider)
  ceta: { lib: 'option:collapse.san_forward.eta', default: 0.01 },
  cL: { lib: 'option:collapse.san_forward.layers', default: 6 },
  cH: { lib: 'option:collapse.san_forward.heads', default: 2 },
  cd: { lib: 'suite:collapse.d', default: 16 },
  cn: { lib: 'suite:collapse.n', default: 64 },
  cthreads: { lib: 'option:collapse.san_forward.threads', default: 0 },
  cfit: { type: 'bool', default: false },  // also train fit_one_layer at every η
  // tensor attention: time vs n, error vs B (tensor vs matrix), Match3
  xmethods: { type: 'list', default: 'exact,windowed,polynomial' },
  xnmin: { lib: 'suite:tensor.n', default: 64 },
  xnmax: { lib: 'suite:tensor.n', default: 4096 },
  xd: { lib: 'suite:tensor.d', default: 8 },
  xdegree: { lib: 'option:tensor.polynomial.degree', default: 4 },
  xthreads: { lib: 'option:tensor.exact.threads', default: 0 },
  xemethods: { type: 'list', default: 'tensor,matrix' },
  xeBmin: { lib: 'suite:tensor_threshold.B', default: 0.5 },
  xeBmax: { lib: 'suite:tensor_threshold.B', default: 3 },
  xen: { lib: 'suite:tensor_threshold.n', default: 1024 },
  xed: { lib: 'suite:tensor_threshold.d', default: 4 },
  xedegree: { lib: 'suite:tensor_threshold.degree', default: 4 },
  xethreads: { lib: 'suite:tensor_threshold.threads', default: 0 },
  xmmethods: { type: 'list', default: 'tensor,matrix' },
  xmnmin: { lib: 'suite:match3.n', default: 4 },
  xmnmax: { lib: 'suite:match3.n', default: 48 },
  xminstances: { lib: 'suite:match3.instances', default: 20 },
  xmthreads: { lib: 'suite:match3.threads', default: 0 },
  // attention gradients: the paper's loss L(X), dL/dX (loss_* methods)
  lmethods: { type: 'list', default: 'loss_exact,loss_polynomial' },
  lnmin: { lib: 'suite:grad.n', default: 512 },
  lnmax: { lib: 'suite:grad.n', default: 8192 },
  ld: { lib: 'suite:grad.d', default: 8 },
  ldegree: { lib: 'option:grad.loss_polynomial.degree', default: 4 },
  lthreads: { lib: 'option:grad.loss_exact.threads', default: 0 },
  // attention gradients: the live training run (sq.attentionTraining)
  trn: { lib: 'limit:training.n', default: 1024 },
  trd: { lib: 'limit:training.d', default: 4 },
  trsteps: { lib: 'limit:training.steps', default: 200 },
  trlr: { lib: 'limit:training.lr', default: 3 },
  trteacher: { lib: 'limit:training.teacher', default: 3 },
  trdegree: { lib: 'option:grad.loss_polynomial.degree', default: 3 },
  trthreads: { lib: 'option:grad.loss_exact.threads', default: 0 },
  // large from small (simulate): one run, and sampled's error vs M
  simmode: { lib: 'suite:simulate.method', default: 'blocks_lse' },
  simn: { lib: 'suite:simulate.n', default: 2048 },
  simd: { lib: 'suite:simulate.d', default: 16 },
  // M, r and s: their real limits depend on N (M ≤ N, r < M, s ≤ M), which the library checks per run.
  simM: { type: 'int', min: 2, max: 16384, default: 256 },
  simcausal: { lib: 'option:simulate.blocks.causal', default: false },
  simr: { type: 'int', min: 1, max: 16383, default: 64 },
  sims: { type: 'int', min: 1, max: 16384, default: 4 },
  simprec: { lib: 'option:simulate.blocks.precision', default: 'float32' },
  simB: { lib: 'suite:simulate.B', default: 1 },
  simscale: { type: 'enum', values: ['sqrt', '1'], default: 'sqrt' }, // 1/√d, or 1 (the paper's unscaled scores)
  simthreads: { lib: 'option:simulate.blocks.threads', default: 0 },
  simsn: { lib: 'suite:simulate.n', default: 4096 },
  simsthreads: { lib: 'option:simulate.sampled.threads', default: 0 },
  // which neurons fire (neurons): network shape, the threshold slider, mini-batch, training steps
  nn: { lib: 'suite:neurons.n', default: 512 },
  nm: { lib: 'suite:neurons.m', default: 8192 },
  nd: { lib: 'suite:neurons.d', default: 32 },
  nb: { lib: 'suite:neurons.b', default: 2.5 },
  ns: { lib: 'option:neurons.dtree.batch', default: 32 },
  nsteps: { type: 'int', min: 1, max: 200, default: 20 },
  nthreads: { lib: 'option:neurons.dtree.threads', default: 0 },
  // SSM vs attention
  smethods: { type: 'list', default: 'mamba_block,attention_block' },
  Lmin: { lib: 'suite:ssm.L', default: 512 },
  Lmax: { lib: 'suite:ssm.L', default: 8192 },
  sD: { lib: 'suite:ssm.D', default: 256 },
  sN: { lib: 'option:ssm.mamba_block.N', default: 16 },
  // pair search
  pmethods: { type: 'list', default: 'gram,simhash' },
  pnmin: { lib: 'suite:pairs.n', default: 1024 },
  pnmax: { lib: 'suite:pairs.n', default: 16384 }, // simhash overtakes gram near 8k (tests/browser/pairs.test.mjs)
  pgen: { lib: 'suite:pairs.gen', values: ['planted', 'planted_sparse', 'ovhard'], default: 'planted' },
  prho: { lib: 'suite:pairs.rho', default: 0.9 },
  pd: { lib: 'suite:pairs.d', default: 128 },
  pseeds: { lib: 'suite:pairs.seeds', default: 3 },
  // documents
  dsource: { type: 'enum', values: ['corpus', 'own'], default: 'corpus' },
  dcount: { type: 'int', min: 2, max: 1500, default: 1500 }, // the bundled corpus has 1,500 e-mails
  dvocab: { lib: 'limit:documents.vocab', default: 1000 },
  dweight: { type: 'enum', values: ['tfidf', 'binary'], default: 'tfidf' },
  dproblem: { lib: 'option:pairs.gram.problem', values: ['msd', 'lsd'], default: 'msd' },
  dmethod: { type: 'string', default: 'gram' },
  dbeta: { lib: 'option:construction.similar.beta', default: 100 },
  // attention vs subquadratic (the construction)
  vmethods: { type: 'list', default: 'flash,linear,lsh,sketch_reader' },
  vnmin: { lib: 'suite:construction.n', default: 64 },
  vnmax: { lib: 'suite:construction.n', default: 2048 },
  vl: { lib: 'suite:construction.l', default: 64 },
  vbeta: { lib: 'suite:construction.beta', default: 2 },
  vstate: { lib: 'suite:construction.state', default: 2048 },
  vseeds: { lib: 'suite:construction.seeds', default: 5 },
  vdegree: { lib: 'option:attention.polynomial.degree', default: 2 }, // the polynomial method's rank is C(ℓ+g, g)
  // Every form has keys of its own (a copied link reproduces each form): the
  // attention time sweep's shape and options, and each sweep's threads.
  td: { lib: 'dim:attention.d', default: 64 },
  tB: { lib: 'suite:attention.B', default: 1 },
  tscale: { lib: 'option:attention.flash.scale', names: true, default: 'sqrt' },
  tdegree: { lib: 'option:attention.polynomial.degree', default: 4 },
  tthreads: { lib: 'option:attention.flash.threads', default: 0 },
  ethreads: { lib: 'option:attention.flash.threads', default: 0 },
  gthreads: { lib: 'option:attention.flash.threads', default: 0 },
  rthreads: { lib: 'option:attention.flash.threads', default: 0 },
  rethreads: { lib: 'option:attention.flash.threads', default: 0 },
  red: { lib: 'dim:attention.d', default: 8 },
  repd: { lib: 'dim:attention.d', default: 4 },
  redegree: { lib: 'option:attention.rope_polynomial.degree', default: 4 },
  bthreads: { lib: 'option:attention.flash.threads', default: 0 },
  sthreads: { lib: 'option:attention.flash.threads', default: 0 },
  pthreads: { lib: 'option:attention.flash.threads', default: 0 },
  vthreads: { lib: 'option:attention.flash.threads', default: 0 },
  // Gaussian kernel graphs: time vs n, the B sweep, fgt vs d, the label demo
  kmethods: { type: 'list', default: 'exact,polynomial,fgt' },
  knmin: { lib: 'suite:kernel.n', default: 1024 },
  knmax: { lib: 'suite:kernel.n', default: 16384 },
  kd: { lib: 'suite:kernel.d', default: 4 },
  kB: { lib: 'suite:kernel.B', default: 1 },
  kerror: { lib: 'option:kernel.polynomial.error', default: 0.000001 },
  kthreads: { lib: 'option:kernel.exact.threads', default: 0 },
  kbmethods: { type: 'list', default: 'polynomial' },
  kBmin: { lib: 'suite:kernel.B', default: 0.5 },
  kBmax: { lib: 'suite:kernel.B', default: 16 },
  kbn: { lib: 'suite:kernel.n', default: 4096 },
  kbd: { lib: 'suite:kernel.d', default: 4 },
  kberror: { lib: 'option:kernel.polynomial.error', default: 0.000001 },
  kbthreads: { lib: 'option:kernel.exact.threads', default: 0 },
  kfmethods: { type: 'list', default: 'fgt,exact' },
  kfdmin: { lib: 'suite:kernel.d', default: 1 },
  kfdmax: { lib: 'suite:kernel.d', default: 5 },
  kfn: { lib: 'suite:kernel.n', default: 2048 },
  kfB: { lib: 'suite:kernel.B', default: 1 },
  kferror: { lib: 'option:kernel.fgt.error', default: 0.0001 },
  kfthreads: { lib: 'option:kernel.exact.threads', default: 0 },
  kgn: { lib: 'suite:kernel.n', default: 2000 },
  kgproduct: { lib: 'option:kernel.laplacian_solve.product', values: ['exact', 'fgt', 'polynomial'], default: 'exact' },
  kgseeds: { type: 'int', min: 1, max: 50, default: 3 },
};

// Links made before the forms had keys of their own: what a shared key meant
// for the form the link ran (`run`), e.g. ?run=sweep&d=32 set the sweep's d.
const LEGACY = {
  sweep: { d: 'td', B: 'tB', threads: 'tthreads', scale: 'tscale', degree: 'tdegree' },
  errors: { threads: 'ethreads' },
  degree: { threads: 'gthreads' },
};

/** The library's spec a `lib` ref names (undefined when the build lacks it). */
export function librarySpec(ref, library = LIBRARY) {
  const [kind, path] = ref.split(':');
  const parts = path.split('.');
  if (kind === 'dim') return library.families?.[parts[0]]?.dims?.[parts[1]] && { type: 'integer', ...library.families[parts[0]].dims[parts[1]] };
  if (kind === 'option') return library.families?.[parts[0]]?.methods?.[parts[1]]?.options?.[parts[2]];
  if (kind === 'suite') return library.suites?.[parts[0]]?.options?.[parts[1]];
  if (kind === 'limit') return library.limits?.[path] && { type: 'integer', ...library.limits[path] };
  return undefined;
}

/** A page key's spec with its type, limits and values filled from the library. */
export function resolve(key, page, library = LIBRARY) {
  if (!page.lib) return page;
  const lib = librarySpec(page.lib, library);
  if (!lib) throw new Error(`state: '${key}' names ${page.lib}, which the library's schema lacks`);
  const spec = { ...page };
  if (page.names) return { ...spec, type: 'enum', values: lib.names };
  if (lib.type === 'enum') return { ...spec, type: 'enum', values: page.values ?? lib.values };
  if (lib.type === 'boolean') return { ...spec, type: 'bool' };
  return { ...spec, type: lib.type === 'integer' ? 'int' : 'number', min: lib.min, max: lib.max, minExclusive: !!lib.minExclusive };
}

export const SCHEMA = Object.fromEntries(Object.entries(PAGE).map(([k, s]) => [k, resolve(k, s)]));

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
      const low = spec.minExclusive ? v > spec.min : v >= spec.min;
      return Number.isFinite(v) && low && v <= spec.max ? v : spec.default;
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
  for (const [old, key] of Object.entries(LEGACY[params.get('run')] ?? {})) {
    if (params.has(old) && !params.has(key)) state[key] = parseValue(SCHEMA[key], params.get(old));
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
