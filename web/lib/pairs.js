// subquad's pairs family in JS: most / least similar pair search, documents → vectors, the pair by one attention layer (cpp/pairs/, cpp/experiments/).
// The core (web/lib/subquad.js) installs it on the api; shapes are checked
// against the library's schema (sq.schema()), options by the C++ parser,
// which refuses what a method does not take. Loaded by require() in Node and
// by importScripts / <script> in browsers, beside subquad.js.
(function (root, factory) {
  const install = factory();
  if (typeof module === 'object' && module.exports) module.exports = install;
  else (root.subquadFamilies = root.subquadFamilies || {}).pairs = install;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  return function install(api, core) {
    const { Module, check, fail, unwrap, stringify, positiveInt, floatArray, withinBudget, withHeap } = core;

    const dims = () => api.schema().families.pairs.dims;
    const generated = () => api.schema().suites.pairs.options;
    const limits = () => api.schema().limits;

    // Pair search inputs: X (n×d) and optional Y (m×d), checked against their shapes.
    function pairsData({ X, n, d, Y, m }) {
      positiveInt('n', n, dims().n.max);
      positiveInt('d', d, dims().d.max);
      const inputs = { X: floatArray('X', X, n * d, 'n·d') };
      let rows = n;
      if (Y !== undefined && Y !== null) {
        positiveInt('m', m, dims().m.max);
        inputs.Y = floatArray('Y', Y, m * d, 'm·d');
        rows += m;
      } else if (m !== undefined && m !== null) {
        fail('m: given without Y (pass both for a bichromatic problem)');
      }
      withinBudget('n, d', 'inputs', 4 * rows * d);
      return { inputs, m: inputs.Y ? m : 0 };
    }

    // The last texts → vectors conversion (≈ 200 ms for the 1,500 bundled
    // e-mails), reused while the texts and settings stay the same — compared
    // exactly, string by string, so a reuse can never answer for other texts.
    // It lives with this instance: a fresh module starts empty.
    let lastDocuments = null;
    function documentsOf(texts, vocab, weighting) {
      const c = lastDocuments;
      if (c && c.vocab === vocab && c.weighting === weighting && c.texts.length === texts.length &&
          c.texts.every((t, k) => t === texts[k])) {
        return { docs: c.docs, reused: true };
      }
      lastDocuments = null; // drop the old vectors before making new ones
      const docs = api.documents(texts, { vocab, weighting });
      lastDocuments = { texts, vocab, weighting, docs };
      return { docs, reused: false };
    }

    /** The vocabulary words documents i and j both contain, in j's order. */
    function sharedWords(docs, i, j) {
      const inI = new Set(docs.tokens[i]);
      return docs.tokens[j].filter((t) => inI.has(t)).map((t) => docs.vocab[t]);
    }

    const SIMILAR_OPTIONS = ['vocab', 'weighting', 'problem', 'method', 'beta', 'threads'];

    Object.assign(api, {
      /**
       * Texts → vectors → the most ('msd') or least ('lsd') similar pair of
       * documents, by a pair-search method or by one attention layer
       * (method 'attention': flash, diagonal masked, β = beta·ln n); with
       * a heuristic, the exact answer beside it (gram), and the vocabulary
       * words the two documents share. options: vocab, weighting, problem,
       * method, beta, threads. The vectors of the last call are reused while
       * texts and settings are the same (vectorsReused says so).
       */
      similarDocuments(texts, options = {}) {
        check();
        for (const key of Object.keys(options || {})) {
          if (!SIMILAR_OPTIONS.includes(key)) fail(`${key}: unknown option for similarDocuments; options are ${SIMILAR_OPTIONS.join(', ')}`);
        }
        const { vocab = 256, weighting = 'binary', problem = 'msd', method = 'gram', beta = 100, threads = 0 } = options || {};
        const { docs, reused } = documentsOf(texts, vocab, weighting);
        const data = { X: docs.X, n: docs.n, d: docs.d };
        const notes = [...docs.notes];
        let r;
        if (method === 'attention') {
          r = api.pairsByAttention(data, { problem, beta, threads, method: 'flash' });
          const k = docs.n - r.zeroRows;
          r.candidates = r.totalPairs = (k * (k - 1)) / 2;
          if (r.found) {
            notes.push(`Attention: β = ${beta} · ln ${k} = ${r.beta.toFixed(1)}; row #${r.i + 1}'s output estimates its best cosine as ${r.estimate.toFixed(4)} ` +
              (r.decoded ? 'and its position code names the partner.' : 'but tied or near-tied partners blur its position code, so the output step scanned that row (n·ℓ work).'));
          }
        } else {
          r = api.pairs(method, data, { problem, threads });
        }
        const exact = method !== 'attention' && api.schema().families.pairs.methods[method]?.exact;
        const best = exact ? r : api.pairs('gram', data, { problem, threads });
        return {
          method, problem, weighting, n: docs.n, d: docs.d, i: r.i, j: r.j, value: r.value,
          found: r.found, ms: r.ms, candidates: r.candidates, totalPairs: r.totalPairs, notes,
          shared: r.found ? sharedWords(docs, r.i, r.j) : [], vectorsReused: reused,
          best: { i: best.i, j: best.j, value: best.value },
        };
      },



      // Vectors are row-major Float32Arrays: X is n×d; Y (m×d) makes the
      // problem bichromatic. Problems: msd, lsd (cosine), maxip, minip
      // (inner product, optional threshold), ov. Ties: smallest (i, j).

      /**
       * Runs a pair-search method; returns { i, j, value, found, candidates,
       * totalPairs, ms, threads, stats } (i = j = -1 when no valid pair exists).
       * options: problem, threshold, tables, bits, bands, rows, seed, threads;
       * gamma (≥ 1) also checks the pair against the exact optimum → result.check.
       */
      pairs(method, { X, n, d, Y, m } = {}, options = {}) {
        check();
        const data = pairsData({ X, n, d, Y, m });
        const { gamma, ...rest } = options || {};
        const { result } = withHeap(data.inputs, {}, (p) =>
          unwrap(Module.pairsRun(String(method), p.X, n, d, p.Y || 0, data.m, stringify(rest))),
        );
        if (gamma !== undefined && gamma !== null && result.i >= 0) {
          result.check = api.pairsCheck(rest.problem || 'msd', { X, n, d, Y, m }, result, gamma);
        }
        return result;
      },

      /**
       * The most (problem 'msd') or least ('lsd') similar pair by one attention
       * layer with a masked diagonal (THEORY.md §3; cpp/experiments/construction.hpp):
       * Q = ±β·U, K = U, V = [U | position codes], β = beta·ln n. options:
       * problem, method (an attention method with a diagonal mask: flash,
       * exact, exact_reference), beta (default 100), threads. Returns { found,
       * i, j, value (exact cosine), estimate (read from the output), decoded
       * (partner named by the codes, no row scan), beta, zeroRows, ms }.
       */
      pairsByAttention({ X, n, d } = {}, options = {}) {
        check();
        const data = pairsData({ X, n, d });
        withinBudget('n, d', 'Q, K, V and the output of the attention layer', 16 * n * (d + 21));
        const { result } = withHeap(data.inputs, {}, (p) =>
          unwrap(Module.pairsByAttention(p.X, n, d, stringify(options))),
        );
        return result;
      },

      /** γ-checker: { ok, optimum, value, ratio } for the pair (i, j) against the exact optimum. */
      pairsCheck(problem, { X, n, d, Y, m } = {}, { i, j } = {}, gamma = 1) {
        check();
        const data = pairsData({ X, n, d, Y, m });
        if (!Number.isInteger(i) || !Number.isInteger(j)) fail(`i, j: got ${i}, ${j}, must be integers`);
        if (typeof gamma !== 'number' || !(gamma >= 1)) fail(`gamma: got ${gamma}, must be a number >= 1`);
        const { result } = withHeap(data.inputs, {}, (p) =>
          unwrap(Module.pairsCheck(String(problem), p.X, n, d, p.Y || 0, data.m, i, j, gamma)),
        );
        return result;
      },

      /**
       * A seeded instance: gen = gaussian | sparse | planted | planted_sparse | ovhard;
       * returns { X, n, d, planted: [i, j] or null }.
       */
      pairsGenerate(gen, options = {}) {
        check();
        const { n = 1024, d = 128 } = options || {};
        positiveInt('n', n, generated().n.max);
        positiveInt('d', d, generated().d.max);
        withinBudget('n, d', 'the generated vectors', 8 * n * d);
        return unwrap(Module.pairsGenerate(String(gen), stringify(options)));
      },

      /**
       * Documents → vectors: texts is an array of strings (one per document);
       * options: vocab (words kept, by document frequency), weighting
       * ('binary' | 'tfidf'), stopwords (true: drop English stop-words).
       * Returns { X, n, d, vocab, tokens (vocab ids per document), notes }.
       */
      documents(texts, options = {}) {
        check();
        if (!Array.isArray(texts)) fail('texts: must be an array of strings (one per document)');
        const most = limits()['documents.count'].max;
        if (texts.length < 1 || texts.length > most) fail(`texts: got ${texts.length} documents, must be between 1 and ${most}`);
        let chars = 0;
        for (let k = 0; k < texts.length; k++) {
          if (typeof texts[k] !== 'string') fail(`texts: entry ${k} is not a string`);
          chars += texts[k].length;
          if (chars > limits()['documents.bytes'].max) fail(`texts: more than ${limits()['documents.bytes'].max} characters in all (limit 16 MiB)`);
        }
        const { weighting = 'binary' } = options || {};
        if (weighting !== 'binary' && weighting !== 'tfidf') fail(`weighting: got '${weighting}', must be binary or tfidf`);
        return unwrap(Module.pairsDocuments(texts, stringify(options)));
      },

      /** The tokeniser documents() uses: lowercase words of any script, in order. */
      tokenize(text) {
        check();
        if (typeof text !== 'string') fail('text: must be a string');
        if (text.length > limits()['documents.bytes'].max) fail(`text: more than ${limits()['documents.bytes'].max} characters (limit 16 MiB)`);
        return unwrap(Module.pairsTokenize(text)).tokens;
      },
    });
  };
});
