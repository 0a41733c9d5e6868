// Calibrate on a page that is not cross-origin isolated (a 100 µs clock,
// longer than one repetition): batches long enough for the clock give a
// finite ceiling, with its spread, in st as in mt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, waitReady, bothServers } from './helpers.mjs';

const env = bothServers();

for (const [mode, flavour] of [['plain', 'st-fma'], ['isolated', 'mt-fma']]) {
  test(`Calibrate (${flavour}): a finite per-core ceiling with its spread and the kernel's share`, async () => {
    const { context, page, problems } = await openPage(env.browser, `${env.servers[mode].url}?panel=environment`);
    await waitReady(page);
    assert.equal(await page.getAttribute('#badge', 'data-flavour'), flavour);
    await page.click('#calibrate-run');
    await page.waitForFunction(() => /median/.test(document.querySelector('#calibrate-result').textContent), null, { timeout: 60000 });
    const text = await page.textContent('#calibrate-result');
    const g = Number(await page.getAttribute('#calibrate-result', 'data-gflops'));
    assert.ok(Number.isFinite(g) && g > 1 && g < 500, `${g}: ${text}`);
    assert.match(text, /median [\d.]+, quartiles [\d.]+–[\d.]+ GFLOP\/s over \d+ batches of \d+ calls/);
    assert.match(text, /fastest GEMM micro-kernel here, gemm_f32_\dx8_wasm\w+, reaches [\d.]+ GFLOP\/s on flash's QKᵀ tile, \d+ % of it/);
    // The Environment list names the variant picked at load, measured in this browser, with each variant's rate.
    const listed = await page.$$eval('#env-list dt', (dts) => Object.fromEntries(dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
    assert.match(listed['GEMM micro-kernel'], /^gemm_f32_\dx8_wasm\w+ \(fastest measured here; GFLOP\/s, one core: (\dx8 \w+ [\d.]+(, )?){4,}\)$/);
    assert.doesNotMatch(text, /—|NaN|Infinity/);
    assert.deepEqual(problems, []);
    await context.close();
  });
}
