// Browser-test plumbing: Debian's Chromium through playwright-core, and the
// project's own server, isolated (COOP/COEP) or not, on a free local port.
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startServer } from '../../build/serve.mjs';
import { ROOT } from '../../build/util.mjs';

export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    ],
  });
}

export async function serve(isolate) {
  return startServer({ port: 0, isolate, quiet: true });
}

/**
 * Opens a page that records console errors, uncaught exceptions and any request
 * leaving 127.0.0.1 (the page must be self-contained).
 */
export async function openPage(browser, url, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  // Long main-thread tasks (> 50 ms), recorded from the start.
  await page.addInitScript(() => {
    window.__longTasks = [];
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
    } catch {}
  });
  const problems = [];
  const external = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol)) external.push(r.url());
  });
  await page.goto(url);
  return { context, page, problems, external };
}

export async function waitReady(page) {
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
}

/** The longest main-thread task (ms) that started after `since` (page time). */
export function longestTaskSince(page, since) {
  return page.evaluate((t) => Math.max(0, ...window.__longTasks.filter((e) => e.start >= t).map((e) => e.duration)), since);
}

/** One browser and one server (isolated unless told) for a test file: env.browser, env.server. */
export function sharedBrowser({ isolate = true } = {}) {
  const env = {};
  before(async () => {
    env.browser = await launch();
    env.server = await serve(isolate);
  });
  after(async () => {
    await env.browser?.close();
    env.server?.server.close();
  });
  return env;
}

/** One browser and two servers, cross-origin isolated and plain: env.browser, env.servers.{isolated, plain}. */
export function bothServers() {
  const env = { servers: {} };
  before(async () => {
    env.browser = await launch();
    env.servers.isolated = await serve(true);
    env.servers.plain = await serve(false);
  });
  after(async () => {
    await env.browser?.close();
    for (const s of Object.values(env.servers)) s.server.close();
  });
  return env;
}
