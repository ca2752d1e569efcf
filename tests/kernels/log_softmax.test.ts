// log_softmax: oracle fixtures on both backends, WebGPU vs the CPU twin, finite differences, extreme logits.

import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { logSoftmaxBackward, logSoftmaxForward } from '../../src/engine/cpu/log_softmax';
import { runFixture } from '../../src/engine/fixtures';
import { cpu, fixtures, randn, webgpu } from '../helpers/backends';
import { expectClose, finiteDiff, runOn, spread } from '../helpers/rows';

const FIXTURES = fixtures('log_softmax_');

/** y = log_softmax(x); dx = dx0 + log-softmax backward of dy. */
function logSoftmaxOn(be: Backend, R: number, C: number, x: Float32Array, dy: Float32Array, dx0: Float32Array) {
  return runOn(be, (t) => {
    const tx = t([R, C], x),
      tdy = t([R, C], dy),
      ty = t([R, C]),
      tdx = t([R, C], dx0);
    be.logSoftmaxForward(ty, tx, { R, C });
    be.logSoftmaxBackward(tdx, tdy, ty, { R, C });
    return [ty, tdx];
  });
}

describe('log_softmax fixtures', () => {
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

describe('log_softmax: WebGPU vs CPU twin', () => {
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
      const x = randn(n, R * 37 + C, 3);
      const dy = randn(n, R + C * 13);
      const dx0 = randn(n, 9, 0.5);
      const [gy, gdx] = await logSoftmaxOn(await webgpu(), R, C, x, dy, dx0);
      const [cy, cdx] = await logSoftmaxOn(cpu(), R, C, x, dy, dx0);
      expectClose(gy, cy, 1e-5, 1e-5, 'y');
      expectClose(gdx, cdx, 1e-4, 1e-5, 'dx');
      // Each row's probabilities sum to one.
      for (let r = 0; r < R; r += Math.max(1, Math.floor(R / 7))) {
        let s = 0;
        for (let c = 0; c < C; c++) s += Math.exp(gy[r * C + c]);
        expect(Math.abs(s - 1)).toBeLessThan(1e-4);
      }
    });
  }

  it('is deterministic run to run', async () => {
    const R = 3,
      C = 4099;
    const x = randn(R * C, 13, 4),
      dy = randn(R * C, 14),
      dx0 = new Float32Array(R * C);
    const gpu = await webgpu();
    const a = await logSoftmaxOn(gpu, R, C, x, dy, dx0);
    const b = await logSoftmaxOn(gpu, R, C, x, dy, dx0);
    expect(Array.from(b[0])).toEqual(Array.from(a[0]));
    expect(Array.from(b[1])).toEqual(Array.from(a[1]));
  });
});

describe('log_softmax: extreme logits', () => {
  it('+-90 and mixed -1000/0 give finite, correct log-probs on WebGPU', async () => {
    const C = 4;
    const x = Float32Array.from([90, -90, 90, -90, -1000, 0, -1000, -1000, -1000, -1000, -1000, -1000]);
    const R = x.length / C;
    const dy = randn(R * C, 4);
    const [gy, gdx] = await logSoftmaxOn(await webgpu(), R, C, x, dy, new Float32Array(R * C));
    expect(gy.every(Number.isFinite)).toBe(true);
    expect(gdx.every(Number.isFinite)).toBe(true);
    const l2 = Math.log(2),
      l4 = Math.log(4);
    expectClose(gy, [-l2, -180 - l2, -l2, -180 - l2, -1000, 0, -1000, -1000, -l4, -l4, -l4, -l4], 1e-6, 1e-5, 'y');
    const cy = new Float64Array(R * C),
      cdx = new Float64Array(R * C);
    logSoftmaxForward(cy, Float64Array.from(x), { R, C });
    logSoftmaxBackward(cdx, Float64Array.from(dy), cy, { R, C });
    expectClose(gdx, cdx, 1e-5, 1e-6, 'dx');
  });
});

describe('log_softmax twin vs finite differences (float64)', () => {
  for (const [R, C] of [
    [1, 1],
    [3, 7],
    [2, 31],
  ] as const) {
    it(`R=${R} C=${C}`, () => {
      const n = R * C;
      const x = Float64Array.from(randn(n, 41 + C, 2));
      const dy = Float64Array.from(randn(n, 42 + C));
      const objective = (xx: Float64Array) => {
        const y = new Float64Array(n);
        logSoftmaxForward(y, xx, { R, C });
        return y.reduce((s, v, i) => s + v * dy[i], 0);
      };
      const y = new Float64Array(n);
      logSoftmaxForward(y, x, { R, C });
      const dx = new Float64Array(n).fill(-0.5);
      logSoftmaxBackward(dx, dy, y, { R, C });
      const at = spread(n, 40);
      const fd = finiteDiff(objective, x, at);
      expectClose(
        at.map((i) => dx[i] + 0.5),
        fd,
        1e-6,
        1e-8,
        'dx',
      );
    });
  }
});
