// The library's schema (sq.schema(): every family's methods, options and
// limits), kept once for the page. A sweep shares its controls across
// methods; pickOptions passes each method only the options it takes, since
// the library refuses an unknown option rather than ignore it.
let current = null;

export function setSchema(schema) {
  current = schema;
}

export function schema() {
  return current;
}

/** The options of `method` in `family` among `options` (all of them before the schema is known). */
export function pickOptions(family, method, options, from = current) {
  const m = from?.families?.[family]?.methods?.[method];
  if (!from) return { ...options };
  if (!m) return {};
  const out = {};
  for (const [k, v] of Object.entries(options)) if (k in m.options) out[k] = v;
  return out;
}
