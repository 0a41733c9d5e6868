// The documents panel's request, { op: 'similarPair', … } → one record:
// texts → vectors → the most (or least) similar pair, plus the exact answer
// when the chosen method is a heuristic, and the vocabulary words the two
// documents share (for highlighting). Domain logic only: it takes the library
// instance `sq` and never touches the worker's queue or messages, so it can
// move into the library later unchanged. A classic script: the worker loads
// it with importScripts; tests/node/documents-op.test.mjs runs it in a vm context.
'use strict';
(function (root) {
  function makeDocumentsOp(sq) {
    // The last texts → vectors conversion (≈ 200 ms for the 1,500 bundled
    // e-mails), reused while the texts and settings stay the same — compared
    // exactly, string by string, so a reuse can never answer for other texts.
    // It lives with this `sq`: a fresh module (a restarted worker) starts empty.
    let last = null;
    function documentsOf(texts, vocab, weighting) {
      const c = last;
      if (c && c.vocab === vocab && c.weighting === weighting && c.texts.length === texts.length &&
          c.texts.every((t, k) => t === texts[k])) {
        return { docs: c.docs, reused: true };
      }
      last = null; // drop the old vectors before making new ones
      const docs = sq.documents(texts, { vocab, weighting });
      last = { texts, vocab, weighting, docs };
      return { docs, reused: false };
    }

    function similarPair({ texts, vocab, weighting, problem, method, beta, threads }) {
      const { docs, reused } = documentsOf(texts, vocab, weighting);
      const data = { X: docs.X, n: docs.n, d: docs.d };
      const notes = [...docs.notes];
      let r;
      if (method === 'attention') {
        // One attention layer (flash, diagonal masked) compares every pair.
        r = sq.pairsByAttention(data, { problem, beta, threads, method: 'flash' });
        const k = docs.n - r.zeroRows;
        r.candidates = r.totalPairs = (k * (k - 1)) / 2;
        if (r.found) {
          notes.push(`Attention: β = ${beta} · ln ${k} = ${r.beta.toFixed(1)}; row #${r.i + 1}'s output estimates its best cosine as ${r.estimate.toFixed(4)} ` +
            (r.decoded ? 'and its position code names the partner.' : 'but tied or near-tied partners blur its position code, so the output step scanned that row (n·ℓ work).'));
        }
      } else {
        r = sq.pairs(method, data, { problem, threads });
      }
      const exact = method !== 'attention' && sq.methods().pairs.find((m) => m.name === method)?.exact;
      const best = exact ? r : sq.pairs('gram', data, { problem, threads });
      return {
        op: 'similarPair', method, problem, weighting, n: docs.n, d: docs.d, i: r.i, j: r.j, value: r.value,
        found: r.found, ms: r.ms, candidates: r.candidates, totalPairs: r.totalPairs, notes,
        shared: r.found ? sharedWords(docs, r.i, r.j) : [], vectorsReused: reused,
        best: { i: best.i, j: best.j, value: best.value },
      };
    }

    return { similarPair };
  }

  /** The vocabulary words documents i and j both contain, in j's order. */
  function sharedWords(docs, i, j) {
    const inI = new Set(docs.tokens[i]);
    return docs.tokens[j].filter((t) => inI.has(t)).map((t) => docs.vocab[t]);
  }

  makeDocumentsOp.sharedWords = sharedWords;
  root.subquadDocumentsOp = makeDocumentsOp;
})(self);
