// The local server: isolation headers, wasm MIME type, and no way out of web/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer } from '../../build/serve.mjs';

let isolated;
let plain;
before(async () => {
  isolated = await startServer({ port: 0, quiet: true });
  plain = await startServer({ port: 0, quiet: true, isolate: false });
});
after(() => {
  isolated.server.close();
  plain.server.close();
});

// Raw request, so paths like /../ reach the server unnormalised.
function get(port, path, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves the page with COOP, COEP and CORP when isolating', async () => {
  const r = await get(isolated.port, '/');
  assert.equal(r.status, 200);
  assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
  assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp');
  assert.equal(r.headers['cross-origin-resource-policy'], 'cross-origin');
  assert.match(r.body, /<title>subquad/);
});

test('without isolation there is no COOP/COEP (a plain static host)', async () => {
  const r = await get(plain.port, '/');
  assert.equal(r.status, 200);
  assert.equal(r.headers['cross-origin-opener-policy'], undefined);
  assert.equal(r.headers['cross-origin-embedder-policy'], undefined);
});

test('wasm is served as application/wasm', async () => {
  const r = await get(isolated.port, '/wasm/subquad-st.wasm', 'HEAD');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/wasm');
});

test('paths outside web/ are refused, however they are spelled', async () => {
  for (const path of ['/../package.json', '/..%2fpackage.json', '/%2e%2e/package.json', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/app/../../package.json', '/..\\package.json', '/%00', '/%c0%ae%c0%ae/package.json']) {
    const r = await get(isolated.port, path);
    assert.ok([400, 403, 404].includes(r.status), `${path} → ${r.status}`);
    assert.doesNotMatch(r.body, /"devDependencies"|root:x:0/, path);
  }
});

test('only GET and HEAD are allowed', async () => {
  const r = await get(isolated.port, '/', 'POST');
  assert.equal(r.status, 405);
});

test('binds to 127.0.0.1 by default', () => {
  assert.equal(isolated.server.address().address, '127.0.0.1');
});
