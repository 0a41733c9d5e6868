// The st build's heap grows to 4 GiB, so malloc hands out addresses past 2 GiB.
// They must stay unsigned in the JS wrapper (web/lib/subquad.js): as the signed
// i32 _malloc returns, copying in fails with a raw RangeError (negative offset)
// and copying out reads the wrong bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSubquad } from '../../web/lib/subquad.mjs';
import { randomMatrix, scanReference } from './helpers.mjs';

test('st: a call whose buffers start past 2 GiB gives the right answer (or a SubquadError)', async () => {
  const sq = await createSubquad({ flavour: 'st' });
  try {
    // x and Δ of 1,040 MiB each are allocated first, so A, B, C, Dskip and y (another
    // 1,040 MiB) start past 2 GiB; 3.1 GiB in all, under the 4 GiB ceiling. One JS array
    // serves as both x and Δ (values in (0, 0.5], valid for both) to keep memory down.
    const L = 16384, D = 16640, N = 1;
    const period = 4099; // a prime period: a read from a shifted address shows
    const unit = randomMatrix(period, 1, 1, 3).map((u) => 0.25 * (u + 1) + 1e-3);
    const xd = new Float32Array(L * D);
    for (let s = 0; s < xd.length; s += period) xd.set(unit.subarray(0, Math.min(period, xd.length - s)), s);
    const A = randomMatrix(D, N, 1, 4).map((u) => -2 * (u + 1) - 0.01);
    const B = randomMatrix(L, N, 1, 5), C = randomMatrix(L, N, 1, 6), Dskip = randomMatrix(1, D, 1, 7);
    let y;
    try {
      ({ y } = sq.ssmScan('scan', { x: xd, delta: xd, A, B, C, Dskip, L, D, N }));
    } catch (e) {
      assert.ok(e instanceof sq.SubquadError, `${e.name}: ${e.message}`);
      return;
    }
    assert.equal(y.length, L * D);
    // Channels checked against the double reference (one channel at a time, all L steps).
    for (const c of [0, 1, 4097, D >> 1, D - 2, D - 1]) {
      const column = (M) => Float32Array.from({ length: L }, (_, t) => M[t * D + c]);
      const xc = column(xd);
      const ref = scanReference({ x: xc, delta: xc, A: A.subarray(c * N, (c + 1) * N), B, C,
        Dskip: Dskip.subarray(c, c + 1), L, D: 1, N });
      for (const t of [0, 1, L >> 1, L - 1]) {
        const got = y[t * D + c];
        assert.ok(Math.abs(got - ref[t]) <= 1e-5 * (1 + Math.abs(ref[t])), `y[${t}, ${c}] = ${got}, want ${ref[t]}`);
      }
    }
  } finally {
    sq.dispose();
  }
});
