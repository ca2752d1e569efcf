// The tests softmax and log_softmax share, as one suite run per op: oracle fixtures on both backends, WebGPU vs the
// CPU twin over shapes that exercise the row launch, determinism, extreme logits, and the twin's backward against
// float64 finite differences.

import { describe, expect, it } from 'vitest';
import type { Backend, RowDims, Tensor } from '../../src/engine/backend';
import { cpu, fixtures, fixtureTests, randn, webgpu } from '../helpers/backends';
import { expectClose, finiteDiff } from '../helpers/numeric';
import { runOn, spread } from '../helpers/rows';

type F64 = Float64Array;

export interface RowNormalization {
  /** The op's name: its fixtures' prefix. */
  name: 'softmax' | 'log_softmax';
  forward(be: Backend, y: Tensor, x: Tensor, dims: RowDims): void;
  backward(be: Backend, dx: Tensor, dy: Tensor, y: Tensor, dims: RowDims): void;
  cpuForward(y: F64, x: F64, dims: RowDims): void;
  cpuBackward(dx: F64, dy: F64, y: F64, dims: RowDims): void;
  /** The row's total probability from its outputs (1 for every row). */
  probability(y: ArrayLike<number>, from: number, C: number): number;
  /** WebGPU vs twin tolerances (rtol, atol) of y and dx. */
  tol: { y: [number, number]; dx: [number, number] };
  /** Rows of extreme logits, C wide, and the outputs they must give. */
  extreme: { C: number; x: number[]; want: number[]; tol: [number, number] };
}

export function rowNormalizationSuite(op: RowNormalization): void {
  /** y = op(x); dx = dx0 + op's backward of dy. */
  const runWith = (be: Backend, R: number, C: number, x: Float32Array, dy: Float32Array, dx0: Float32Array) =>
    runOn(be, (t) => {
      const tx = t([R, C], x),
        tdy = t([R, C], dy),
        ty = t([R, C]),
        tdx = t([R, C], dx0);
      op.forward(be, ty, tx, { R, C });
      op.backward(be, tdx, tdy, ty, { R, C });
      return [ty, tdx];
    });

  const FIXTURES = fixtures(`${op.name}_`);

  describe(`${op.name} fixtures`, () => {
    it('has fixtures', () => expect(FIXTURES.length).toBeGreaterThan(0));
    fixtureTests(FIXTURES);
  });

  describe(`${op.name}: WebGPU vs CPU twin`, () => {
    // One row and one column, primes, one past a workgroup, rows past a 1024 grid and a 50k vocabulary.
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
      [2, 50000],
    ];
    for (const [R, C] of shapes) {
      it(`R=${R} C=${C}`, async () => {
        const n = R * C;
        const x = randn(n, R * 31 + C, 3);
        const dy = randn(n, R + C * 17);
        const dx0 = randn(n, 5, 0.5);
        const [gy, gdx] = await runWith(await webgpu(), R, C, x, dy, dx0);
        const [cy, cdx] = await runWith(cpu(), R, C, x, dy, dx0);
        expectClose(gy, cy, ...op.tol.y, 'y');
        expectClose(gdx, cdx, ...op.tol.dx, 'dx');
        for (let r = 0; r < R; r += Math.max(1, Math.floor(R / 7)))
          expect(Math.abs(op.probability(gy, r * C, C) - 1)).toBeLessThan(1e-4);
      });
    }

    it('is deterministic run to run', async () => {
      const R = 3,
        C = 4099;
      const x = randn(R * C, 11, 4),
        dy = randn(R * C, 12),
        dx0 = new Float32Array(R * C);
      const gpu = await webgpu();
      const a = await runWith(gpu, R, C, x, dy, dx0);
      const b = await runWith(gpu, R, C, x, dy, dx0);
      expect(Array.from(b[0])).toEqual(Array.from(a[0]));
      expect(Array.from(b[1])).toEqual(Array.from(a[1]));
    });
  });

  describe(`${op.name}: extreme logits`, () => {
    it('+-90 and mixed -1000/0 give finite, correct results on WebGPU', async () => {
      const { C } = op.extreme;
      const x = Float32Array.from(op.extreme.x);
      const R = x.length / C;
      const dy = randn(R * C, 3);
      const [gy, gdx] = await runWith(await webgpu(), R, C, x, dy, new Float32Array(R * C));
      expect(gy.every(Number.isFinite)).toBe(true);
      expect(gdx.every(Number.isFinite)).toBe(true);
      expectClose(gy, op.extreme.want, ...op.extreme.tol, 'y');
      const cy = new Float64Array(R * C),
        cdx = new Float64Array(R * C);
      op.cpuForward(cy, Float64Array.from(x), { R, C });
      op.cpuBackward(cdx, Float64Array.from(dy), cy, { R, C });
      expectClose(gdx, cdx, 1e-5, 1e-6, 'dx');
    });
  });

  describe(`${op.name} twin vs finite differences (float64)`, () => {
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
          op.cpuForward(y, xx, { R, C });
          return y.reduce((s, v, i) => s + v * dy[i], 0);
        };
        const y = new Float64Array(n);
        op.cpuForward(y, x, { R, C });
        // The backward accumulates: start from a constant and subtract it.
        const dx = new Float64Array(n).fill(0.25);
        op.cpuBackward(dx, dy, y, { R, C });
        const at = spread(n, 40);
        expectClose(
          at.map((i) => dx[i] - 0.25),
          finiteDiff(objective, x, at),
          1e-6,
          1e-8,
          'dx',
        );
      });
    }
  });
}
