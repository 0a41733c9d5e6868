// ESM face of web/lib/subquad.js (Node: `import { createSubquad } from 'subquad'`).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const api = require('./subquad.js');

export const { createSubquad, SubquadError, simdSupported, relaxedSimdSupported, threadsSupported, FAMILIES, FLAVOURS } = api;
export default api;
