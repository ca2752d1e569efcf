// mse: oracle fixtures on both backends, WebGPU vs the CPU twin at sizes from 1 to 10^6, finite differences.

import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { mseBackward, mseForward } from '../../src/engine/cpu/mse';
import { cpu, fixtures, fixtureTests, randn, webgpu } from '../helpers/backends';
import { expectClose, finiteDiff } from '../helpers/numeric';
import { spread } from '../helpers/rows';
import { runTyped, words } from '../helpers/run';

const FIXTURES = fixtures('mse_');

/** loss (written over a stale 123) and, when dpred0 is given, dpred0 + scale * d loss / d pred. */
async function mseOn(
  be: Backend,
  pred: Float32Array,
  target: Float32Array,
  dpred0: Float32Array | null,
  scale?: number,
) {
  const n = pred.length;
  const out = await runTyped(be, (t) => {
    const loss = t([1], [123]);
    const dpred = dpred0 ? t([n], dpred0) : null;
    be.mse(loss, dpred, t([n], pred), t([n], target), scale);
    return dpred ? [loss, dpred] : [loss];
  });
  return out as Float32Array[];
}

describe('mse fixtures', () => {
  it('has fixtures', () => expect(FIXTURES.length).toBeGreaterThan(0));
  fixtureTests(FIXTURES);
});

describe('mse: WebGPU vs CPU twin', () => {
  for (const n of [1, 2, 7, 257, 4096, 4097, 65537, 1_000_000]) {
    it(`n=${n}, with and without the gradient`, async () => {
      const pred = randn(n, n, 2),
        target = randn(n, n + 7),
        dpred0 = randn(n, n + 8, 0.1);
      let exact = 0;
      for (let i = 0; i < n; i++) exact += (pred[i] - target[i]) ** 2;
      exact /= n;
      const gpu = await webgpu();
      const [gLoss] = await mseOn(gpu, pred, target, null);
      const [gLoss2, gGrad] = await mseOn(gpu, pred, target, dpred0, 0.5);
      const [cLoss, cGrad] = await mseOn(cpu(), pred, target, dpred0, 0.5);
      expect(Math.abs(gLoss[0] - exact) / exact).toBeLessThan(1e-5);
      expect(gLoss2[0]).toBe(gLoss[0]);
      expect(Math.abs(cLoss[0] - exact) / exact).toBeLessThan(1e-6);
      expectClose(gGrad, cGrad, 1e-5, 1e-9, 'dpred');
      // dpred accumulated onto dpred0 with the scale.
      const i = n - 1;
      expect(gGrad[i]).toBeCloseTo(dpred0[i] + (0.5 * 2 * (pred[i] - target[i])) / n, 6);
    });
  }

  it('is bit-identical run to run', async () => {
    const be = await webgpu();
    const n = 300_001;
    const pred = randn(n, 1),
      target = randn(n, 2);
    const [a] = await mseOn(be, pred, target, null);
    const [b] = await mseOn(be, pred, target, null);
    expect(words(b)).toEqual(words(a));
  });

  it('is 0 with an untouched gradient when pred equals target, and finite for large values', async () => {
    for (const be of [await webgpu(), cpu()]) {
      const x = randn(5000, 3);
      const [loss, grad] = await mseOn(be, x, x, new Float32Array(5000).fill(2));
      expect(loss[0]).toBe(0);
      expect(new Set(grad)).toEqual(new Set([2]));
      const big = new Float32Array(1000).fill(1e17);
      const [l2] = await mseOn(be, big, new Float32Array(1000), null);
      expect(l2[0] / 1e34).toBeCloseTo(1, 5);
    }
  });
});

describe('mse: CPU twin gradient vs central differences (float64)', () => {
  it('d loss / d pred, scaled', () => {
    const n = 37;
    const pred = Float64Array.from(randn(n, 4)),
      target = Float64Array.from(randn(n, 5));
    const loss = (p: Float64Array) => {
      const l = new Float64Array(1);
      mseForward(l, p, target);
      return l[0];
    };
    const grad = new Float64Array(n);
    mseBackward(grad, pred, target, 3);
    const at = spread(n, n);
    expectClose(
      at.map((i) => grad[i] / 3),
      finiteDiff(loss, pred, at),
      1e-6,
      1e-9,
      'dpred',
    );
  });
});
