// `npm start`: install what is missing, build what is stale, serve the page.
import { ensureToolchain } from './toolchain.mjs';
import { buildAll } from './build.mjs';
import { startServer, parseServeArgs } from './serve.mjs';
import { step, red } from './util.mjs';

const opts = parseServeArgs(process.argv.slice(2));
await ensureToolchain(['native', 'wasm']);
const code = await buildAll();
if (code !== 0) {
  console.error(red('build failed; not serving'));
  process.exit(code);
}
step('Serving web/');
try {
  const { url } = await startServer(opts);
  console.log(`\n  Open ${url} in your browser (Ctrl-C stops the server).\n`);
} catch (e) {
  console.error(red(`could not listen on ${opts.host}:${opts.port}: ${e.message} (try --port 0 or PORT=8090 npm start)`));
  process.exit(1);
}
