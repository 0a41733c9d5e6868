// Values a panel suggests trying because they measurably fail — each is run
// by tests/node/hints.test.mjs, which checks it fails there while the
// panel's default succeeds. Pure data, no DOM.

/**
 * β / ln n at which one attention layer no longer names the best pair:
 * documents — the bundled corpus at the panel's defaults (its pair's cosine
 * falls well below the optimum's); versus — the planted instances at the
 * sweep's default n = 2,048 (few or none solved).
 */
export const FAILING_BETA = { documents: 0.1, versus: 0.02 };
