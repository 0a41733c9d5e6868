// One colour and one dash per method, the same in every chart of every panel:
// "flash" is vermillion and solid wherever it is drawn, whichever methods are
// ticked beside it. Colours are Okabe–Ito's (distinguishable with the common
// colour-vision deficiencies); the dash tells apart methods that share one.
// A new family adds its methods to STYLES (tests/node/palette.test.mjs checks
// every method of the library has an entry and that each family's differ).
// Pure data, no DOM.

export const COLORS = {
  blue: '#0072B2',
  vermillion: '#D55E00',
  green: '#009E73',
  purple: '#CC79A7',
  orange: '#E69F00',
  sky: '#56B4E9',
  yellow: '#F0E442',
  grey: '#8C8C8C',
  fg: 'fg', // Okabe–Ito's black: the text colour, so it reads on dark themes too
};

export const DASHES = {
  solid: [],
  dashed: [6, 3],
  dotted: [2, 2],
  dashdot: [8, 3, 2, 3],
  long: [12, 4],
};

/** method name → [colour, dash]. References are grey; a method family keeps its hue. */
export const STYLES = {
  // attention (plain softmax), also in versus and grad
  exact: ['blue', 'solid'],
  exact_reference: ['grey', 'dotted'],
  flash: ['vermillion', 'solid'],
  polynomial: ['green', 'solid'],
  window: ['purple', 'dashed'],
  linear: ['orange', 'dashed'],
  performer: ['sky', 'dashed'],
  lsh: ['fg', 'dashdot'],
  reference: ['grey', 'dotted'],
  // RoPE and positional attention
  rope_reference: ['grey', 'dashdot'],
  rope_flash: ['vermillion', 'dashed'],
  rope_polynomial: ['green', 'dashed'],
  positional_reference: ['grey', 'long'],
  positional_exact: ['blue', 'dashed'],
  positional_fft: ['orange', 'solid'],
  // the construction (its generators, and the substitute reader)
  maxip: ['blue', 'dotted'],
  ov: ['orange', 'dotted'],
  similar: ['green', 'dotted'],
  sketch_reader: ['purple', 'solid'],
  // state-space models
  scan_reference: ['grey', 'dotted'],
  scan: ['sky', 'dotted'],
  scan_chunked: ['sky', 'dashdot'],
  mamba_block_reference: ['grey', 'dashdot'],
  mamba_block: ['sky', 'solid'],
  attention_block_reference: ['grey', 'long'],
  attention_block: ['vermillion', 'dashdot'],
  // layer collapse (the network, its surrogates; the depth chart's two networks)
  san_forward: ['blue', 'solid'],
  san_merged: ['green', 'dashed'],
  first_layer: ['orange', 'dotted'],
  res_norm: ['purple', 'dotted'],
  fit_one_layer: ['vermillion', 'dashdot'],
  float32: ['grey', 'long'],
  skips: ['blue', 'solid'],
  no_skips: ['vermillion', 'dashed'],
  // the paper's loss problem (grad family: L(X), dL/dX)
  loss_reference: ['grey', 'long'],
  loss_exact: ['vermillion', 'long'],
  loss_polynomial: ['green', 'long'],
  // pair search
  gram: ['blue', 'solid'],
  bitset: ['sky', 'dashed'],
  simhash: ['orange', 'solid'],
  minhash: ['purple', 'dashed'],
  // simulate (large from small; its window is attention's window above)
  blocks: ['blue', 'dashdot'],
  blocks_lse: ['vermillion', 'dotted'],
  sinks: ['purple', 'dashdot'],
  sampled: ['green', 'dashdot'],
  packed: ['orange', 'long'],
  // the sampled mode's two data sets (simulate panel)
  bounded: ['green', 'solid'],
  needle: ['fg', 'dashed'],
  // which neurons fire (reference is attention's grey dotted)
  dense: ['orange', 'long'],
  dtree: ['green', 'dashdot'],
  // Gaussian kernel graphs (reference, exact, polynomial as above)
  fgt: ['orange', 'dashdot'],
  laplacian_solve: ['fg', 'solid'],
  // tensor attention (reference, exact, polynomial as above); its error-vs-B chart's two layers
  windowed: ['purple', 'long'],
  tensor: ['green', 'solid'],
  matrix: ['blue', 'dashed'],
};

const key = (s) => `${s.color}|${s.dash.join(',')}`;

function resolveStyle([color, dash]) {
  return { color: COLORS[color], dash: DASHES[dash] };
}

// Every colour × dash combination, for methods the table does not name yet.
const GRID = Object.keys(DASHES).flatMap((d) => Object.keys(COLORS).filter((c) => c !== 'grey').map((c) => resolveStyle([c, d])));

function hash(name) {
  let h = 2166136261;
  for (const ch of name) h = Math.imul(h ^ ch.codePointAt(0), 16777619) >>> 0;
  return h;
}

/**
 * The style of `method` ({ color, dash }, color 'fg' = the text colour).
 * `taken` (a Set of styleKey()s already used in the same chart) makes a
 * method missing from the table take a free combination instead of a used one.
 */
export function styleFor(method, taken = new Set()) {
  const base = String(method).split(' ')[0];
  if (STYLES[base]) return resolveStyle(STYLES[base]);
  const start = hash(base) % GRID.length;
  for (let k = 0; k < GRID.length; k++) {
    const s = GRID[(start + k) % GRID.length];
    if (!taken.has(key(s))) return s;
  }
  return GRID[start];
}

export const styleKey = key;
