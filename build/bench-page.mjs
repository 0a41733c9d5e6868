// `npm run bench -- page`: headless Chromium drives the Attention panel's
// time-vs-n sweep (the page's own worker, cross-origin isolated, mt: the plain
// build named in the URL, as Node runs it without the relaxed-SIMD flag), and the
// same requests are measured by the library in Node (what the CLI measures).
// Prints one JSON line per point with both medians and their ratio; the
// target is agreement within 10 %.
//
//   npm run bench -- page [--methods exact,flash] [--n 1024,4096] [--d 64] [--threads 2] [--rounds 3]
import { createRequire } from 'node:module';
import { launch, serve } from '../tests/browser/helpers.mjs';

const require = createRequire(import.meta.url);
const { createSubquad } = require('../web/lib/subquad.js');

function parse(argv) {
  const o = { methods: ['exact', 'flash'], n: [1024, 4096], d: 64, threads: 2, rounds: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const v = argv[i + 1] ?? '';
    if (key === 'methods') o.methods = v.split(',');
    else if (key === 'n') o.n = v.split(',').map(Number);
    else if (key === 'd' || key === 'threads' || key === 'rounds') o[key] = Number(v);
  }
  return o;
}

export async function benchPage(argv) {
  const o = parse(argv);
  const nmin = Math.min(...o.n);
  const nmax = Math.max(...o.n);
  const browser = await launch();
  const server = await serve(true);
  const sq = await createSubquad({ flavour: 'mt', threads: o.threads });
  // Page and CLI take turns, `rounds` times (default 3), and each side's
  // median over the rounds is compared: on a shared machine one round can
  // catch another process.
  const rows = new Map(); // `${method}/${n}` → { page: [records], cli: [records] }
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${server.url}?panel=attention&flavour=mt&methods=${o.methods.join(',')}&nmin=${nmin}&nmax=${nmax}&td=${o.d}&tthreads=${o.threads}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
    for (let round = 0; round < o.rounds; round++) {
      await page.click('#sweep-run');
      // A long sweep is refused until asked: take "Run it anyway".
      await page.waitForFunction(() => document.querySelector('#sweep-error [data-offer=anyway]') || !document.querySelector('#sweep-progress').hidden, null, { timeout: 60000 });
      if (await page.locator('#sweep-error [data-offer=anyway]').count()) await page.click('#sweep-error [data-offer=anyway]');
      await page.waitForSelector('#sweep-progress', { state: 'hidden', timeout: 30 * 60000 });
      const records = await page.evaluate(() => [...document.querySelector('#sweep-chart').chart.series.values()].flatMap((m) => [...m.values()].map((p) => p.record)));
      for (const r of records.filter((x) => o.n.includes(x.n))) {
        const key = `${r.method}/${r.n}`;
        if (!rows.has(key)) rows.set(key, { page: [], cli: [] });
        rows.get(key).page.push(r);
        rows.get(key).cli.push(sq.measure({ suite: 'attention', method: r.method, n: r.n, d: r.d, B: r.B ?? 1, min_ms: 100, check_rows: 8,
          threads: r.threads, ...(r.method === 'exact_reference' ? {} : { scale: 'sqrt' }) }));
      }
    }
  } finally {
    await browser.close();
    server.server.close();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  let worst = 0;
  for (const [key, { page, cli }] of [...rows].sort()) {
    const [method, n] = key.split('/');
    const pageMs = median(page.map((r) => r.median_ms));
    const cliMs = median(cli.map((r) => r.median_ms));
    const ratio = pageMs / cliMs;
    worst = Math.max(worst, Math.abs(ratio - 1));
    console.log(JSON.stringify({ suite: 'page', method, n: Number(n), d: page[0].d, threads: page[0].threads, flavour: page[0].flavour,
      rounds: page.length, page_ms: pageMs, page_rounds_ms: page.map((r) => r.median_ms), page_reps: page.map((r) => r.reps),
      cli_ms: cliMs, cli_rounds_ms: cli.map((r) => r.median_ms), ratio: Number(ratio.toFixed(3)), within_10pct: Math.abs(ratio - 1) <= 0.1 }));
  }
  sq.dispose?.();
  console.log(JSON.stringify({ suite: 'page', summary: true, points: rows.size, rounds: o.rounds, worst_deviation: Number(worst.toFixed(3)), target: 0.1, held: worst <= 0.1 }));
  return 0;
}
