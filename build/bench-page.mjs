// `npm run bench -- page`: headless Chromium drives the Attention panel's
// time-vs-n sweep (the page's own worker, cross-origin isolated, mt), and the
// same requests are measured by the library in Node (what the CLI measures).
// Prints one JSON line per point with both medians and their ratio; the
// target is agreement within 10 %.
//
//   npm run bench -- page [--methods exact,flash] [--n 1024,4096] [--d 64] [--threads 2]
import { createRequire } from 'node:module';
import { launch, serve } from '../tests/browser/helpers.mjs';

const require = createRequire(import.meta.url);
const { createSubquad } = require('../web/lib/subquad.js');

function parse(argv) {
  const o = { methods: ['exact', 'flash'], n: [1024, 4096], d: 64, threads: 2 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const v = argv[i + 1] ?? '';
    if (key === 'methods') o.methods = v.split(',');
    else if (key === 'n') o.n = v.split(',').map(Number);
    else if (key === 'd' || key === 'threads') o[key] = Number(v);
  }
  return o;
}

export async function benchPage(argv) {
  const o = parse(argv);
  const nmin = Math.min(...o.n);
  const nmax = Math.max(...o.n);
  const browser = await launch();
  const server = await serve(true);
  let records;
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const threads = o.threads;
    await page.goto(`${server.url}?panel=attention&methods=${o.methods.join(',')}&nmin=${nmin}&nmax=${nmax}&td=${o.d}&tthreads=${threads}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
    await page.click('#sweep-run');
    // A long sweep is refused until asked: take "Run it anyway".
    await page.waitForFunction(() => document.querySelector('#sweep-error [data-offer=anyway]') || !document.querySelector('#sweep-cancel').disabled, null, { timeout: 60000 });
    if (await page.locator('#sweep-error [data-offer=anyway]').count()) await page.click('#sweep-error [data-offer=anyway]');
    await page.waitForSelector('#sweep-progress', { state: 'visible', timeout: 60000 });
    await page.waitForSelector('#sweep-progress', { state: 'hidden', timeout: 30 * 60000 });
    records = await page.evaluate(() => [...document.querySelector('#sweep-chart').chart.series.values()].flatMap((m) => [...m.values()].map((p) => p.record)));
  } finally {
    await browser.close();
    server.server.close();
  }
  const sq = await createSubquad({ flavour: 'mt', threads: o.threads });
  let worst = 0;
  for (const r of records.filter((x) => o.n.includes(x.n)).sort((a, b) => a.method.localeCompare(b.method) || a.n - b.n)) {
    const cli = sq.measure({ suite: 'attention', method: r.method, n: r.n, d: r.d, B: r.B ?? 1, min_ms: 100, check_rows: 8, threads: r.threads, ...(r.method === 'exact_reference' ? {} : { scale: 'sqrt' }) });
    const ratio = r.median_ms / cli.median_ms;
    worst = Math.max(worst, Math.abs(ratio - 1));
    console.log(JSON.stringify({ suite: 'page', method: r.method, n: r.n, d: r.d, threads: r.threads, flavour: r.flavour,
      page_ms: r.median_ms, page_reps: r.reps, page_q1_ms: r.q1_ms, page_q3_ms: r.q3_ms,
      cli_ms: cli.median_ms, cli_reps: cli.reps, ratio: Number(ratio.toFixed(3)), within_10pct: Math.abs(ratio - 1) <= 0.1 }));
  }
  sq.dispose?.();
  console.log(JSON.stringify({ suite: 'page', summary: true, points: records.length, worst_deviation: Number(worst.toFixed(3)), target: 0.1, held: worst <= 0.1 }));
  return 0;
}
