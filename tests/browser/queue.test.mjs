// The worker's run queue: Cancel in the middle of one long point (mt: the
// shared flag; st: the worker is replaced), two panels' runs at once (the
// second waits, saying for what), and cancelling one run leaves the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, waitReady, bothServers } from './helpers.mjs';

const env = bothServers();
const servers = env.servers;

const RUN_BUTTONS = ['#attention-run', '#sweep-run', '#errors-run', '#ssm-run', '#pairs-run', '#documents-run', '#versus-run', '#calibrate-run'];
const allRunButtonsUsable = (sels) => sels.every((s) => {
  const b = document.querySelector(s);
  return b && !b.disabled;
});

async function runSlice(page, { n, d }) {
  await page.fill('#attention-form input[name=n]', String(n));
  await page.fill('#attention-form input[name=d]', String(d));
  const before = Number((await page.getAttribute('#attention-result', 'data-count')) || 0);
  await page.click('#attention-run');
  await page.waitForFunction((b) => Number(document.querySelector('#attention-result').dataset.count || 0) > b, before, { timeout: 120000 });
  return JSON.parse(await page.getAttribute('#attention-result', 'data-record'));
}

async function show(page, panel) {
  await page.click(`.panels-nav a[data-panel=${panel}]`);
  await page.waitForSelector(`#panel-${panel}:not([hidden])`);
}

for (const [mode, flavour] of [['isolated', 'mt-fma'], ['plain', 'st-fma']]) {
  test(`${flavour}: Cancel in the middle of one long point frees every Run button within 1 s; the next run completes`, async () => {
    const { context, page, problems } = await openPage(env.browser, `${servers[mode].url}?panel=attention&method=exact`);
    await waitReady(page);
    assert.equal(await page.getAttribute('#badge', 'data-flavour'), flavour);
    await runSlice(page, { n: 64, d: 8 }); // a result that must survive the cancel
    const gemmBefore = await page.evaluate(() => self.subquadLab.info.kernels.gemm.picked);
    // exact at n = 32,768, d = 64: ≈ 275 GFLOP, many seconds per call.
    await page.fill('#attention-form input[name=n]', '32768');
    await page.fill('#attention-form input[name=d]', '64');
    await page.click('#attention-run');
    await page.waitForFunction(() => self.subquadLab.pending()[0]?.started === true, null, { timeout: 30000 });
    await page.waitForTimeout(600); // well inside the kernel
    const t0 = Date.now();
    await page.click('#attention-cancel');
    await page.waitForFunction(allRunButtonsUsable, RUN_BUTTONS, { timeout: 5000, polling: 10 });
    const stopMs = Date.now() - t0;
    assert.match(await page.textContent('#attention-error'), /Cancelled after 0 of 1/);
    assert.equal(await page.locator('#attention-history tbody tr').count(), 1);
    const t1 = Date.now();
    const r = await runSlice(page, { n: 256, d: 32 });
    const nextMs = Date.now() - t1;
    assert.equal(r.n, 256);
    assert.equal(r.flavour, flavour);
    const restarts = await page.evaluate(() => self.subquadLab.restarts.map((x) => Math.round(x.readyMs)));
    if (mode === 'isolated') assert.deepEqual(restarts, []); // the shared flag stopped the kernel
    else {
      assert.equal(restarts.length, 1); // the worker was replaced
      // …and kept its predecessor's micro-kernel: forced by name, not measured again.
      const gemm = await page.evaluate(() => self.subquadLab.info.kernels.gemm);
      assert.equal(gemm.picked, gemmBefore);
      assert.equal(gemm.reason, 'forced');
    }
    console.log(`# ${flavour}: Run buttons usable ${stopMs} ms after Cancel; worker restarts ${JSON.stringify(restarts)} ms to ready; next run done in ${nextMs} ms`);
    assert.ok(stopMs < 1000, `cancel took ${stopMs} ms`);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test(`${flavour}: two panels' runs at once: the second waits for the first, both complete; cancelling one leaves the other`, async () => {
    const url = `${servers[mode].url}?panel=ssm&smethods=mamba_block,attention_block&Lmin=256&Lmax=4096&sD=128&sN=8&methods=exact&nmin=256&nmax=1024&td=32`;
    const { context, page, problems } = await openPage(env.browser, url);
    await waitReady(page);
    const ssmDone = () => page.waitForFunction(() => Number(document.querySelector('#ssm-chart').dataset.count) === 10
      && !document.querySelector('#ssm-run').disabled, null, { timeout: 120000 });
    // A run joins the worker's queue once its estimate is done; wait for that before starting the
    // second panel's run, whose (shorter) estimate would otherwise put it first.
    const ssmQueued = () => page.waitForFunction(() => self.subquadLab.pending().length === 1, null, { timeout: 30000 });
    const sweepDone = () => page.waitForFunction(() => Number(document.querySelector('#sweep-chart').dataset.count) === 3
      && !document.querySelector('#sweep-run').disabled, null, { timeout: 120000 });

    // Both complete, the second after saying what it waits for.
    await page.click('#ssm-run');
    await ssmQueued();
    await show(page, 'attention');
    await page.click('#sweep-run');
    await page.waitForSelector('#sweep-progress[data-queued]'); // (after its estimate)
    assert.match(await page.textContent('#sweep-progress'), /queued after the SSM vs attention sweep/);
    await Promise.all([ssmDone(), sweepDone()]);
    assert.equal(await page.isHidden('#sweep-error'), true, await page.textContent('#sweep-error'));
    assert.equal(await page.isHidden('#ssm-error'), true, await page.textContent('#ssm-error'));

    // Cancelling the waiting run removes it; the running one goes on.
    await show(page, 'ssm');
    await page.click('#ssm-run');
    await ssmQueued();
    await show(page, 'attention');
    await page.click('#sweep-run');
    await page.waitForSelector('#sweep-progress[data-queued]');
    await page.click('#sweep-cancel');
    await page.waitForSelector('#sweep-run:not([disabled])', { timeout: 1000 });
    assert.match(await page.textContent('#sweep-error'), /Cancelled while queued/);
    assert.equal(await page.getAttribute('#sweep-chart', 'data-count'), '3'); // the earlier results stay
    await ssmDone();
    assert.equal(await page.isHidden('#ssm-error'), true, await page.textContent('#ssm-error'));

    // Cancelling the running run starts the waiting one (in st: in a fresh worker).
    await show(page, 'ssm');
    await page.click('#ssm-run');
    await page.waitForFunction(() => self.subquadLab.pending()[0]?.started === true);
    await show(page, 'attention');
    await page.click('#sweep-run');
    await show(page, 'ssm');
    await page.click('#ssm-cancel');
    await page.waitForSelector('#ssm-run:not([disabled])', { timeout: 1000 });
    assert.match(await page.textContent('#ssm-error'), /Cancelled after \d+ of 10/);
    await sweepDone();
    assert.equal(await page.isHidden('#sweep-error'), true, await page.textContent('#sweep-error'));
    assert.deepEqual(problems, []);
    await context.close();
  });
}
