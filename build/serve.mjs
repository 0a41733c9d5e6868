// Dependency-free static server for web/, with the headers cross-origin
// isolation needs (COOP, COEP, CORP) and application/wasm.
//   node build/serve.mjs [--port 8080] [--host 127.0.0.1] [--no-isolation]
// --no-isolation serves without COOP/COEP, as a plain static host would (the
// page then runs the single-threaded flavour and says why).
import http from 'node:http';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { WEB_DIR } from './util.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.gz': 'application/gzip',
  '.woff2': 'font/woff2',
};

/** Starts the server; resolves to { server, url, port }. */
export function startServer({ root = WEB_DIR, port = 8080, host = '127.0.0.1', isolate = true, quiet = false } = {}) {
  const rootDir = path.resolve(root);
  const server = http.createServer(async (req, res) => {
    const headers = {
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    };
    if (isolate) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    const send = (status, body, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { ...headers, 'Content-Type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return send(400, 'bad request');
    }
    // Resolve inside web/ only: anything that escapes (../, %2e%2e%2f, NUL) is refused.
    const file = path.resolve(rootDir, '.' + path.posix.normalize('/' + pathname));
    if (pathname.includes('\0') || (file !== rootDir && !file.startsWith(rootDir + path.sep))) {
      return send(403, 'forbidden');
    }
    let target = file;
    try {
      let st = await fs.stat(target);
      if (st.isDirectory()) {
        target = path.join(target, 'index.html');
        st = await fs.stat(target);
      }
      res.writeHead(200, {
        ...headers,
        'Content-Type': TYPES[path.extname(target).toLowerCase()] || 'application/octet-stream',
        'Content-Length': st.size,
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(target).pipe(res);
    } catch {
      send(404, 'not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      const url = `http://${host}:${actual}/`;
      if (!quiet) {
        console.log(`subquad is served at ${url}  (${isolate ? 'cross-origin isolated: threads on' : 'not isolated: single-threaded'})`);
      }
      resolve({ server, url, port: actual });
    });
  });
}

export function parseServeArgs(argv) {
  const opts = { port: Number(process.env.PORT) || 8080, host: process.env.HOST || '127.0.0.1', isolate: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') opts.port = Number(argv[++i]);
    else if (argv[i] === '--host') opts.host = argv[++i];
    else if (argv[i] === '--no-isolation') opts.isolate = false;
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    console.error(`port: got ${opts.port}, must be an integer in [0, 65535]`);
    process.exit(2);
  }
  return opts;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await startServer(parseServeArgs(process.argv.slice(2)));
}
