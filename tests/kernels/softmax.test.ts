// softmax: the shared row-normalization suite, and the row launch geometry every row-reduction kernel uses.

import { describe, expect, it } from 'vitest';
import { softmaxBackward, softmaxForward } from '../../src/engine/cpu/softmax';
import { rowLanes, rowLaunch } from '../../src/engine/webgpu/kernels/rows';
import { rowNormalizationSuite } from './row-normalization-suite';

const z = 5 + Math.E;
rowNormalizationSuite({
  name: 'softmax',
  forward: (be, y, x, dims) => be.softmaxForward(y, x, dims),
  backward: (be, dx, dy, y, dims) => be.softmaxBackward(dx, dy, y, dims),
  cpuForward: softmaxForward,
  cpuBackward: softmaxBackward,
  probability: (y, from, C) => {
    let s = 0;
    for (let c = 0; c < C; c++) s += y[from + c];
    return s;
  },
  tol: { y: [1e-4, 1e-7], dx: [1e-4, 1e-6] },
  // Row 0: half the mass on each 90; row 1: the two zeros share it; row 2: -999 is e times any -1000.
  extreme: {
    C: 6,
    x: [90, -90, 0, 90, -90, 1, -1000, 0, -1000, 0, -1000, -1000, -1000, -1000, -1000, -1000, -1000, -999],
    want: [0.5, 0, 0, 0.5, 0, 0, 0, 0.5, 0, 0.5, 0, 0, 1 / z, 1 / z, 1 / z, 1 / z, 1 / z, Math.E / z],
    tol: [1e-5, 1e-7],
  },
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
