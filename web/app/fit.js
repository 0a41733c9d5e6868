// Fits for measured curves: least squares on log-log points gives the
// empirical exponent (time ∝ n^slope); crossovers come from two fits.
// Pure functions, tested under Node (tests/node/fit.test.mjs).

// Two-sided 95 % quantiles of Student's t with 1…30 degrees of freedom.
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** t quantile for a two-sided 95 % interval with df degrees of freedom. */
export function t975(df) {
  if (!(df >= 1)) return NaN;
  return df <= 30 ? T975[Math.floor(df) - 1] : 1.96 + 2.4 / df;  // within 0.2 % of the exact value past 30
}

/**
 * Least-squares line through (log x, log y); null with fewer than 2 usable
 * points. Returns { slope, intercept, r2, points, se, ci95: [lo, hi] } — the
 * slope's standard error and 95 % interval need 3 points (null with 2).
 */
export function fitLogLog(points) {
  const pts = points.filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(x) && Number.isFinite(y));
  const distinctX = new Set(pts.map(([x]) => x)).size;
  if (pts.length < 2 || distinctX < 2) return null;
  const lx = pts.map(([x]) => Math.log(x));
  const ly = pts.map(([, y]) => Math.log(y));
  const n = pts.length;
  const mx = lx.reduce((a, b) => a + b, 0) / n;
  const my = ly.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (lx[i] - mx) ** 2;
    sxy += (lx[i] - mx) * (ly[i] - my);
    syy += (ly[i] - my) ** 2;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 1;
  let se = null;
  let ci95 = null;
  if (n >= 3) {
    const rss = Math.max(0, syy - slope * sxy);  // residual sum of squares
    se = Math.sqrt(rss / (n - 2) / sxx);
    const h = t975(n - 2) * se;
    ci95 = [slope - h, slope + h];
  }
  return { slope, intercept, r2, points: n, se, ci95 };
}

/** "1.98 ± 0.04 (r² 0.999)": a slope as the page and the exports show it. */
export function slopeText(fit, digits = 2) {
  if (!fit) return '';
  const ci = fit.ci95 ? ` ± ${((fit.ci95[1] - fit.ci95[0]) / 2).toFixed(digits)}` : '';
  return `${fit.slope.toFixed(digits)}${ci} (r² ${fit.r2.toFixed(3)}, ${fit.points} points)`;
}

/** Spread of repeated timings: { min, q1, median, q3, max } from a bench record's fields. */
export function spreadOf(record) {
  const f = (k) => (Number.isFinite(record?.[k]) ? record[k] : null);
  return { min: f('min_ms'), q1: f('q1_ms'), median: f('median_ms'), q3: f('q3_ms'), max: f('max_ms') };
}

/** y predicted by a log-log fit at x. */
export function predict(fit, x) {
  return Math.exp(fit.intercept + fit.slope * Math.log(x));
}

/** x where two log-log fits cross (null when parallel or outside (0, ∞)). */
export function crossover(a, b) {
  if (!a || !b || Math.abs(a.slope - b.slope) < 1e-9) return null;
  const lx = (b.intercept - a.intercept) / (a.slope - b.slope);
  const x = Math.exp(lx);
  return Number.isFinite(x) && x > 0 ? x : null;
}

/**
 * The first measured x at which series `fast` becomes faster than `slow` and
 * stays so for every larger measured x (measured, not extrapolated).
 * Each argument maps x → y. Returns null if it never happens.
 */
export function measuredCrossover(slow, fast) {
  const xs = [...slow.keys()].filter((x) => fast.has(x)).sort((p, q) => p - q);
  let found = null;
  for (const x of xs) {
    if (fast.get(x) < slow.get(x)) {
      if (found === null) found = x;
    } else {
      found = null;
    }
  }
  return found;
}

/** An axis label: 1e-5 for small magnitudes (never rounded to "0"), 3 significant digits otherwise. */
export function tickLabel(v) {
  if (v == null || !Number.isFinite(v)) return '';
  if (v !== 0 && Math.abs(v) < 1e-3) {
    const [m, e] = v.toExponential(0).split('e');
    return `${m}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(3)));
}

/**
 * Ticks of a log axis over [min, max]: labelled major ticks at powers of ten,
 * unlabelled minor ones at 2× and 5× them. When the range holds fewer than
 * two powers of ten, 2× and 5× are labelled too (still no other values).
 */
export function logTicks(min, max) {
  const major = [];
  const minor = [];
  if (!(min > 0) || !(max > min)) return { major, minor };
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const eps = 1e-9;
  for (let e = lo; e <= hi; e++) {
    const p = Number(`1e${e}`);
    if (p >= min * (1 - eps) && p <= max * (1 + eps)) major.push(p);
    for (const m of [2, 5]) {
      const v = Number(`${m}e${e}`);
      if (v >= min * (1 - eps) && v <= max * (1 + eps)) minor.push(v);
    }
  }
  if (major.length < 2) return { major: [...major, ...minor].sort((a, b) => a - b), minor: [] };
  return { major, minor };
}
