// The library's schema for the page: web/app/library.js, written by the build
// from sq.schema() (every family's methods, options and limits; a Node test
// checks it equals the running module's). A sweep shares its controls across
// methods; pickOptions passes each method only the options it takes, since
// the library refuses an unknown option rather than ignore it.
import LIBRARY from './library.js';

export function schema() {
  return LIBRARY;
}

/** The options of `method` in `family` among `options` ({} when the schema lacks the method). */
export function pickOptions(family, method, options, from = LIBRARY) {
  const m = from?.families?.[family]?.methods?.[method];
  if (!m) return {};
  const out = {};
  for (const [k, v] of Object.entries(options)) if (k in m.options) out[k] = v;
  return out;
}
