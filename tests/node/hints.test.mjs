// The β / ln n each panel suggests to "watch it go wrong" (web/app/hints.js)
// does go wrong, measurably, while the panel's default gets it right.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { load, disposeAll } from './helpers.mjs';
import { FAILING_BETA } from '../../web/app/hints.js';
import { defaults } from '../../web/app/state.js';

after(disposeAll);
const page = defaults();
const html = readFileSync(new URL('../../web/index.html', import.meta.url), 'utf8');

test(`documents: at β / ln n = ${FAILING_BETA.documents} one attention layer names a clearly worse pair than the optimum; at the default it does not`, async () => {
  const sq = await load('st');
  const corpus = JSON.parse(gunzipSync(readFileSync(new URL('../../web/data/corpus.json.gz', import.meta.url))).toString());
  const texts = corpus.documents.slice(0, page.dcount).map((d) => `${d.subject}\n${d.text}`);
  const run = (beta) => sq.similarDocuments(texts, { method: 'attention', beta, vocab: page.dvocab, weighting: page.dweight, problem: page.dproblem });
  const good = run(page.dbeta);
  assert.ok(good.value >= good.best.value - 1e-6, `default β: ${good.value} vs ${good.best.value}`);
  const bad = run(FAILING_BETA.documents);
  assert.ok(bad.value <= good.best.value - 0.2, `β / ln n = ${FAILING_BETA.documents}: cosine ${bad.value} vs the optimum's ${good.best.value}`);
  // The page's text names this value.
  assert.match(html, new RegExp(`set β / ln n to <span id="documents-beta-hint">${FAILING_BETA.documents}</span> to watch it go wrong`));
});

test(`versus: at β / ln n = ${FAILING_BETA.versus} flash solves few planted instances at the default n; at the default β all`, async () => {
  const sq = await load('st');
  const run = (beta) => sq.measure({ suite: 'construction', method: 'flash', n: page.vnmax, l: page.vl, beta, seeds: page.vseeds });
  assert.equal(run(page.vbeta).accuracy, 1);
  const bad = run(FAILING_BETA.versus);
  assert.ok(bad.accuracy <= 0.2, `β / ln n = ${FAILING_BETA.versus}: ${bad.accuracy} solved`);
});
