// Fits for measured curves: least squares on log-log points gives the
// empirical exponent (time ∝ n^slope); crossovers come from two fits.
// Pure functions, tested under Node (tests/node/fit.test.mjs).

/** Least-squares line through (log x, log y); null with fewer than 2 usable points. */
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
  return { slope, intercept, r2, points: n };
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
