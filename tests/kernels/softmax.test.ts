// softmax: oracle fixtures on both backends, WebGPU vs the CPU twin, finite differences, extreme logits.

import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { softmaxBackward, softmaxForward } from '../../src/engine/cpu/softmax';
import { runFixture } from '../../src/engine/fixtures';
import { cpu, fixtures, randn, webgpu } from '../helpers/backends';
import { rowLanes, rowLaunch } from '../../src/engine/webgpu/kernels/rows';
import { expectClose, finiteDiff, runOn, spread } from '../helpers/rows';

const FIXTURES = fixtures('softmax_');

/** y = softmax(x); dx = dx0 + softmax backward of dy. */
function softmaxOn(be: Backend, R: number, C: number, x: Float32Array, dy: Float32Array, dx0: Float32Array) {
  return runOn(be, (t) => {
    const tx = t([R, C], x),
      tdy = t([R, C], dy),
      ty = t([R, C]),
      tdx = t([R, C], dx0);
    be.softmaxForward(ty, tx, { R, C });
    be.softmaxBackward(tdx, tdy, ty, { R, C });
    return [ty, tdx];
  });
}

describe('softmax fixtures', () => {
  it('has fixtures', () => expect(FIXTURES.length).toBeGreaterThan(0));
  for (const { file, fixture } of FIXTURES) {
    for (const kind of ['webgpu', 'cpu'] as const) {
      it(`${file} on ${kind}`, async () => {
        const be = kind === 'cpu' ? cpu() : await webgpu();
        const res = await runFixture(be, fixture);
        expect(res.mismatches.slice(0, 3)).toEqual([]);
        expect(res.passed).toBe(true);
      });
    }
  }
});

describe('softmax: WebGPU vs CPU twin', () => {
  const shapes: [number, number][] = [
    [1, 1],
    [4, 1],
    [1, 7],
    [3, 13],
    [9, 97],
    [5, 256],
    [6, 257],
    [2, 1031],
    [1300, 3],
    [1100, 37],
    [1, 50000],
  ];
  for (const [R, C] of shapes) {
    it(`R=${R} C=${C}`, async () => {
      const n = R * C;
      const x = randn(n, R * 31 + C, 3);
      const dy = randn(n, R + C * 17);
      const dx0 = randn(n, 5, 0.5);
      const [gy, gdx] = await softmaxOn(await webgpu(), R, C, x, dy, dx0);
      const [cy, cdx] = await softmaxOn(cpu(), R, C, x, dy, dx0);
      expectClose(gy, cy, 1e-4, 1e-7, 'y');
      expectClose(gdx, cdx, 1e-4, 1e-6, 'dx');
      // Rows sum to one, and the backward accumulated onto dx0 (dx - dx0 sums to ~0 per row).
      for (let r = 0; r < R; r += Math.max(1, Math.floor(R / 7))) {
        let s = 0;
        for (let c = 0; c < C; c++) s += gy[r * C + c];
        expect(Math.abs(s - 1)).toBeLessThan(1e-4);
      }
    });
  }

  it('is deterministic run to run', async () => {
    const R = 3,
      C = 4099;
    const x = randn(R * C, 11, 4),
      dy = randn(R * C, 12),
      dx0 = new Float32Array(R * C);
    const gpu = await webgpu();
    const a = await softmaxOn(gpu, R, C, x, dy, dx0);
    const b = await softmaxOn(gpu, R, C, x, dy, dx0);
    expect(Array.from(b[0])).toEqual(Array.from(a[0]));
    expect(Array.from(b[1])).toEqual(Array.from(a[1]));
  });
});

describe('softmax: extreme logits', () => {
  it('+-90 and mixed -1000/0 give finite, correct results on WebGPU', async () => {
    const C = 6;
    const x = Float32Array.from([
      90, -90, 0, 90, -90, 1, -1000, 0, -1000, 0, -1000, -1000, -1000, -1000, -1000, -1000, -1000, -999,
    ]);
    const R = x.length / C;
    const dy = randn(R * C, 3);
    const dx0 = new Float32Array(R * C);
    const [gy, gdx] = await softmaxOn(await webgpu(), R, C, x, dy, dx0);
    expect(gy.every(Number.isFinite)).toBe(true);
    expect(gdx.every(Number.isFinite)).toBe(true);
    // Row 0: half the mass on each 90; row 1: the two zeros share it; row 2: -999 is e times any -1000.
    expectClose(gy.subarray(0, 6), [0.5, 0, 0, 0.5, 0, 0], 1e-6, 1e-7, 'row 0');
    expectClose(gy.subarray(6, 12), [0, 0.5, 0, 0.5, 0, 0], 1e-6, 1e-7, 'row 1');
    const z = 5 + Math.E;
    expectClose(gy.subarray(12, 18), [1 / z, 1 / z, 1 / z, 1 / z, 1 / z, Math.E / z], 1e-5, 1e-7, 'row 2');
    const cy = new Float64Array(R * C),
      cdx = new Float64Array(R * C);
    softmaxForward(cy, Float64Array.from(x), { R, C });
    softmaxBackward(cdx, Float64Array.from(dy), cy, { R, C });
    expectClose(gdx, cdx, 1e-5, 1e-6, 'dx');
  });
});

describe('softmax twin vs finite differences (float64)', () => {
  for (const [R, C] of [
    [1, 1],
    [3, 7],
    [2, 31],
  ] as const) {
    it(`R=${R} C=${C}`, () => {
      const n = R * C;
      const x = Float64Array.from(randn(n, 21 + C, 2));
      const dy = Float64Array.from(randn(n, 22 + C));
      const objective = (xx: Float64Array) => {
        const y = new Float64Array(n);
        softmaxForward(y, xx, { R, C });
        return y.reduce((s, v, i) => s + v * dy[i], 0);
      };
      const y = new Float64Array(n);
      softmaxForward(y, x, { R, C });
      const dx = new Float64Array(n).fill(0.25);
      softmaxBackward(dx, dy, y, { R, C });
      const at = spread(n, 40);
      const fd = finiteDiff(objective, x, at);
      expectClose(
        at.map((i) => dx[i] - 0.25),
        fd,
        1e-6,
        1e-8,
        'dx',
      );
    });
  }
});

describe('row launch geometry (shared by the row-reduction kernels)', () => {
  it('packs short rows, gives long rows a whole workgroup, and spreads > 65535 workgroups over a 2D grid', () => {
    expect([1, 2, 5, 13, 128, 1000, 50000].map(rowLanes)).toEqual([1, 1, 2, 4, 32, 256, 256]);
    for (const [R, C] of [
      [1, 1],
      [1300, 3],
      [66000, 1000],
      [70000 * 256, 1],
      [1e6, 50000],
    ]) {
      const { constants, workgroups } = rowLaunch(R, C);
      const [x, y] = workgroups;
      expect(constants.WG % constants.TPR).toBe(0);
      expect(Math.max(x, y)).toBeLessThanOrEqual(65535);
      const rowsPerGroup = constants.WG / constants.TPR;
      expect(x * y * rowsPerGroup).toBeGreaterThanOrEqual(R);
      // No more than one row of padding per grid column.
      expect(x * y * rowsPerGroup - R).toBeLessThan(x * rowsPerGroup + rowsPerGroup);
    }
  });
});
