// "Documents": the bundled corpus or the visitor's own texts → bag-of-words or
// TF-IDF vectors → the most (or least) similar pair, shown side by side with
// the shared vocabulary words highlighted. Everything happens in this page:
// the texts go to the worker, never to a server.
import { $, el, fmt, showError, runWithProgress, copyLinkButton } from '../ui.js';

const STORE_KEY = 'subquad.documents.text';
const MAX_TEXT_BYTES = 16 * 1048576; // the C++ tokeniser's cap, checked here first
const MAX_SHOWN_CHARS = 4000;
// A text box lays out all of its text on the main thread: 3 MB freezes
// Chromium for 3 s (English) to 27 s (mixed scripts). Above this size the text
// is held in the page instead, with a short preview, and never laid out.
const MAX_BOX_CHARS = 131072;
const PREVIEW_CHARS = 2000;
const ATTENTION_SUMMARY = 'Alman–Yu construction: documents as tokens, Q = ±β·U, K = U, V = [U | position codes], diagonal masked; ' +
  'each row\'s output estimates its best cosine and names its partner; an O(n·ℓ) output step picks the best row.';

let corpusPromise = null;

/** The bundled corpus (web/data/corpus.json.gz, built by build/corpus.mjs). */
export function loadCorpus() {
  corpusPromise ||= (async () => {
    const res = await fetch(new URL('../../data/corpus.json.gz', import.meta.url));
    if (!res.ok) throw new Error(`corpus: could not load data/corpus.json.gz (HTTP ${res.status})`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    // Some static hosts send .gz with Content-Encoding: gzip (already inflated).
    const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
    const text = gzipped
      ? await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text()
      : new TextDecoder().decode(bytes);
    return JSON.parse(text);
  })();
  corpusPromise.catch(() => { corpusPromise = null; });
  return corpusPromise;
}

/** One document per paragraph (blank lines separate documents). */
export function splitDocuments(text) {
  return text.split(/\n[ \t]*\n/).map((p) => p.trim()).filter(Boolean);
}

/** The text as nodes, words in `shared` wrapped in <mark>. */
function highlighted(text, shared) {
  const shown = text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)} …` : text;
  const nodes = [];
  let plain = '';
  for (const part of shown.split(/([\p{L}\p{N}]+)/u)) {
    if (part && shared.has(part.toLowerCase())) {
      if (plain) nodes.push(plain);
      plain = '';
      nodes.push(el('mark', {}, part));
    } else {
      plain += part;
    }
  }
  if (plain) nodes.push(plain);
  return nodes;
}

export function mountDocuments({ client, methods, state, saveState }) {
  const form = $('#documents-form');
  if (!methods.pairs?.length) {
    const note = $('#documents-missing');
    note.hidden = false;
    note.textContent = 'This build has no pair-search kernels yet, so documents cannot be compared here.';
    form.hidden = true;
    return;
  }
  const ui = {
    runButton: $('#documents-run'),
    cancelButton: $('#documents-cancel'),
    progress: $('#documents-progress'),
    errorBox: $('#documents-error'),
  };
  const textarea = $('#documents-text');
  const methodSelect = form.elements.dmethod;
  for (const m of methods.pairs) {
    methodSelect.append(el('option', { value: m.name, title: m.summary }, `${m.name}${m.exact ? '' : ' (heuristic)'}`));
  }
  if (methods.attention?.some((m) => m.name === 'flash')) {
    methodSelect.append(el('option', { value: 'attention', title: ATTENTION_SUMMARY }, 'one attention layer (flash)'));
  }
  const fields = ['dsource', 'dcount', 'dvocab', 'dweight', 'dproblem', 'dmethod', 'dbeta'];
  for (const f of fields) form.elements[f].value = String(state[f]);
  if (!methodSelect.value) methodSelect.value = methods.pairs.find((m) => m.name === 'gram')?.name || methods.pairs[0].name;

  // The visitor's texts stay in this browser (localStorage), never on a server.
  // `held` is their text when it is too large for the text box (see MAX_BOX_CHARS).
  let held = null;
  let storeNote = '';
  const ownText = () => held ?? textarea.value;
  const store = () => {
    try {
      localStorage.setItem(STORE_KEY, ownText());
      storeNote = '';
    } catch (err) {
      try { localStorage.removeItem(STORE_KEY); } catch { /* storage disabled */ }
      storeNote = err?.name === 'QuotaExceededError'
        ? ' — too large for this browser\'s storage, so it is kept for this visit only'
        : ' — this browser allows no storage here, so it is kept for this visit only';
    }
  };
  const sync = () => {
    const own = form.elements.dsource.value === 'own';
    $('#documents-own').hidden = !own;
    $('#documents-corpus').hidden = own;
    $('#documents-beta').hidden = methodSelect.value !== 'attention';
    const text = ownText();
    const count = splitDocuments(text).length;
    $('#documents-count').textContent = `${count.toLocaleString('en')} document${count === 1 ? '' : 's'}${storeNote}`;
    textarea.hidden = held !== null;
    const box = $('#documents-held');
    box.hidden = held === null;
    box.dataset.chars = String(held?.length ?? 0);
    if (held !== null) {
      $('#documents-held-summary').textContent = `Your ${fmt(held.length / 1048576, 3)} M characters of text are kept in this page, not in the text box: ` +
        `a box that large would freeze the page for seconds. Add more with .txt files, or press Forget to start again. The first ${PREVIEW_CHARS.toLocaleString('en')} characters:`;
      $('#documents-held-preview').textContent = `${held.slice(0, PREVIEW_CHARS)}${held.length > PREVIEW_CHARS ? ' …' : ''}`;
    }
  };
  /** Puts the visitor's text in the box, or holds it in the page when it is too large for one. */
  const setText = (text, { save = true } = {}) => {
    held = text.length > MAX_BOX_CHARS ? text : null;
    textarea.value = held === null ? text : '';
    if (save) store();
    sync();
  };
  let saved = '';
  try {
    saved = localStorage.getItem(STORE_KEY) || '';
  } catch { /* storage disabled: the text box still works */ }
  setText(saved, { save: false });
  // A paste that would make the box too large goes straight to `held`; any
  // other input that does is moved out before the next frame, so the browser
  // never lays it out.
  textarea.addEventListener('paste', (e) => {
    const pasted = e.clipboardData?.getData('text/plain') ?? '';
    const { value, selectionStart: from, selectionEnd: to } = textarea;
    if (value.length - (to - from) + pasted.length <= MAX_BOX_CHARS) return;
    e.preventDefault();
    setText(value.slice(0, from) + pasted + value.slice(to));
  });
  textarea.addEventListener('input', () => {
    if (textarea.value.length > MAX_BOX_CHARS) setText(textarea.value);
    else {
      store();
      sync();
    }
  });
  const read = () => {
    for (const f of fields) {
      const v = form.elements[f].value;
      state[f] = ['dcount', 'dvocab', 'dbeta'].includes(f) ? Number(v) : v;
    }
    saveState();
  };
  form.addEventListener('change', () => {
    read();
    sync();
  });
  ui.cancelButton.after(copyLinkButton({ id: 'documents-copy-link', state, read, run: 'documents' }));

  // Dropped or chosen .txt files: each file becomes one document (paragraph).
  async function addFiles(files) {
    const list = [...files];
    const bytes = list.reduce((s, f) => s + f.size, 0) + ownText().length;
    if (bytes > MAX_TEXT_BYTES) {
      showError(ui.errorBox, `files: ${fmt(bytes / 1048576)} MiB of text is more than the limit of ${MAX_TEXT_BYTES / 1048576} MiB; nothing was added.`);
      return;
    }
    const texts = await Promise.all(list.map((f) => f.text()));
    const docs = texts.map((t) => t.replace(/\r/g, '').replace(/\n[ \t]*\n+/g, '\n').trim()).filter(Boolean);
    form.elements.dsource.value = 'own';
    form.dispatchEvent(new Event('change'));
    setText([ownText().trim(), ...docs].filter(Boolean).join('\n\n'));
  }
  $('#documents-files').addEventListener('change', (e) => addFiles(e.target.files));
  const dropZone = $('#documents-own');
  dropZone.addEventListener('dragover', (e) => e.preventDefault());
  dropZone.addEventListener('drop', (e) => {
    if (!e.dataTransfer?.files?.length) return;
    e.preventDefault();
    addFiles(e.dataTransfer.files);
  });
  $('#documents-forget').addEventListener('click', () => setText(''));

  async function documentsToCompare() {
    if (form.elements.dsource.value === 'own') {
      const texts = splitDocuments(ownText());
      if (texts.length < 2) throw new Error('documents: paste at least two documents (separate them with a blank line) or drop .txt files');
      return { texts, labels: texts.map((_, k) => `your document ${k + 1}`) };
    }
    const corpus = await loadCorpus();
    const count = Math.max(2, Math.min(corpus.documents.length, Number(form.elements.dcount.value)));
    const docs = corpus.documents.slice(0, count);
    $('#documents-source').textContent = `${corpus.name}: ${corpus.source}. ${corpus.note}`;
    return { texts: docs.map((d) => `${d.subject}\n${d.text}`), labels: docs.map((d) => `${d.group} ${d.id}`) };
  }

  function render(record, texts, labels) {
    const out = $('#documents-result');
    const shared = new Set(record.shared);
    const similarity = record.weighting === 'tfidf' ? 'TF-IDF cosine' : 'cosine of 0/1 word vectors';
    const what = record.problem === 'lsd' ? 'Least similar pair' : 'Most similar pair';
    const work = record.totalPairs > 0 ? record.candidates / record.totalPairs : NaN;
    const headline = record.found
      ? `${what}: #${record.i + 1} and #${record.j + 1}, ${similarity} ${fmt(record.value, 4)}.`
      : `${what}: ${record.method} found no candidate pair.`;
    const detail = `${record.method === 'attention' ? 'One attention layer' : record.method} compared ${record.candidates.toLocaleString('en')} of ${record.totalPairs.toLocaleString('en')} pairs ` +
      `(${Number.isFinite(work) ? fmt(100 * work, 3) : '?'} %) of ${record.n.toLocaleString('en')} documents over ${record.d.toLocaleString('en')} words in ${fmt(record.ms)} ms.`;
    const tie = Math.abs(record.value - record.best.value) <= 1e-6 * Math.max(1, Math.abs(record.best.value));
    const exactNote = record.best.i === record.i && record.best.j === record.j
      ? 'This is the exact optimum.'
      : record.found && tie
        ? `It ties with the exact optimum (#${record.best.i + 1} and #${record.best.j + 1}, the same similarity): optimal.`
        : `The exact optimum is #${record.best.i + 1} and #${record.best.j + 1} (${fmt(record.best.value, 4)}): ` +
          (record.method === 'attention' ? 'with this β the weights do not concentrate on the best partner — raise β / ln n.' : 'the heuristic missed it.');
    const card = (k) => el('article', { class: 'doc' },
      el('h4', {}, `#${k + 1} · ${labels[k]}`),
      el('p', { class: 'doc-text' }, ...highlighted(texts[k], shared)));
    out.replaceChildren(
      el('p', { class: 'headline' }, headline),
      el('p', {}, `${detail} ${exactNote}`),
      ...(record.notes?.length ? [el('p', { class: 'note' }, ...record.notes.flatMap((n, k) => (k ? [el('br'), n] : [n])))] : []),
      ...(record.found ? [
        el('p', { class: 'caption' }, shared.size
          ? `They share ${shared.size} vocabulary word${shared.size === 1 ? '' : 's'} (highlighted).`
          : 'They share no vocabulary word.'),
        el('div', { class: 'doc-pair' }, card(record.i), card(record.j)),
      ] : []));
    out.dataset.value = String(record.value);
    out.dataset.reused = String(record.vectorsReused);
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(ui.errorBox, '');
    let input;
    try {
      input = await documentsToCompare();
    } catch (err) {
      showError(ui.errorBox, err.message);
      return;
    }
    const request = { op: 'similarPair', texts: input.texts, vocab: Number(form.elements.dvocab.value),
      weighting: form.elements.dweight.value, problem: form.elements.dproblem.value, method: methodSelect.value,
      beta: Number(form.elements.dbeta.value), threads: 0 };
    await runWithProgress(client, [request], {
      ui,
      label: 'Documents search',
      onRecord: (r) => render(r, input.texts, input.labels),
    });
  });
  ui.runButton.disabled = false;
  if (state.autorun && state.panel === 'documents') form.requestSubmit();
}
