// activation: oracle fixtures on both backends, WebGPU vs the CPU twin, finite differences, |x| up to 3e38.

import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, type ActivationKind, type Backend } from '../../src/engine/backend';
import { activationBackward, activationForward } from '../../src/engine/cpu/activation';
import { cpu, fixtures, fixtureTests, randn, webgpu } from '../helpers/backends';
import { expectClose, finiteDiff } from '../helpers/numeric';
import { spread } from '../helpers/rows';
import { runTyped } from '../helpers/run';

const FIXTURES = fixtures('activation_');

/** y = f(x); dx = dx0 + dy f'(x). */
async function activationOn(be: Backend, kind: ActivationKind, x: Float32Array, dy: Float32Array, dx0: Float32Array) {
  const n = x.length;
  const [y, dx] = await runTyped(be, (t) => {
    const tx = t([n], x),
      ty = t([n]),
      tdx = t([n], dx0);
    be.activationForward(ty, tx, kind);
    be.activationBackward(tdx, t([n], dy), tx, kind);
    return [ty, tdx];
  });
  return [y as Float32Array, dx as Float32Array];
}

describe('activation fixtures', () => {
  it('has one per kind', () =>
    expect(FIXTURES.map((f) => f.fixture.attrs.kind).sort()).toEqual([...ACTIVATIONS].sort()));
  fixtureTests(FIXTURES);
});

describe('activation: WebGPU vs CPU twin', () => {
  for (const kind of ACTIVATIONS) {
    for (const n of [1, 7, 257, 1031, 5003]) {
      it(`${kind} n=${n}`, async () => {
        const x = randn(n, n + 1, 3);
        const dy = randn(n, n + 2);
        const dx0 = randn(n, n + 3, 0.5);
        const [gy, gdx] = await activationOn(await webgpu(), kind, x, dy, dx0);
        const [cy, cdx] = await activationOn(cpu(), kind, x, dy, dx0);
        expectClose(gy, cy, 1e-5, 1e-6, `${kind} y`);
        expectClose(gdx, cdx, 1e-5, 1e-6, `${kind} dx`);
      });
    }
  }
});

describe('activation: CPU twin gradients vs central differences (float64)', () => {
  for (const kind of ACTIVATIONS) {
    it(kind, () => {
      const n = 64;
      // Away from relu's kink at 0, where the derivative is one-sided.
      const x = Float64Array.from(randn(n, 17, 3), (v) => (Math.abs(v) < 1e-2 ? v + 0.1 : v));
      const dy = Float64Array.from(randn(n, 18));
      const grad = new Float64Array(n);
      activationBackward(grad, dy, x, kind);
      const objective = (xs: Float64Array) => {
        const y = new Float64Array(n);
        activationForward(y, xs, kind);
        return y.reduce((s, v, i) => s + dy[i] * v, 0);
      };
      const at = spread(n, 64);
      const fd = finiteDiff(objective, x, at);
      expectClose(
        at.map((i) => grad[i]),
        fd,
        1e-6,
        1e-7,
        `${kind} d/dx`,
      );
    });
  }

  it('gelu is the tanh approximation (values of 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) from Python)', () => {
    const x = new Float64Array([-3, -1, -0.5, 0, 0.5, 1, 3]);
    const want = [
      -0.0036373920817729943, -0.15880800939172324, -0.15428599017485606, 0, 0.34571400982514394, 0.8411919906082768,
      2.996362607918227,
    ];
    const y = new Float64Array(x.length);
    activationForward(y, x, 'gelu');
    expectClose(y, want, 1e-12, 1e-15, 'gelu');
  });
});

describe('activation: edge cases', () => {
  const big = [
    1e4, -1e4, 1e3, -1e3, 100, -100, 30, -30, 10, -10, 9.5, -9.5, 1e30, -1e30, 3e38, -3e38, 0, -0, 1e-30, -1e-30,
  ];
  for (const kind of ACTIVATIONS) {
    it(`${kind}: finite and saturated for |x| up to 3e38 on both backends`, async () => {
      const x = Float32Array.from(big);
      const dy = new Float32Array(x.length).fill(1);
      const dx0 = new Float32Array(x.length).fill(0.25);
      for (const be of [await webgpu(), cpu()]) {
        const [y, dx] = await activationOn(be, kind, x, dy, dx0);
        for (let i = 0; i < x.length; i++) {
          expect(Number.isFinite(y[i]), `${be.kind} ${kind} y(${x[i]})`).toBe(true);
          expect(Number.isFinite(dx[i]), `${be.kind} ${kind} dx(${x[i]})`).toBe(true);
          if (Math.abs(x[i]) < 100) continue;
          // Saturated: relu, gelu and silu are x or 0 with slope 1 or 0; tanh is +-1 with slope 0.
          const pos = x[i] > 0;
          const wantY = kind === 'tanh' ? (pos ? 1 : -1) : pos ? x[i] : 0;
          const wantSlope = kind === 'tanh' ? 0 : pos ? 1 : 0;
          expect(y[i], `${be.kind} ${kind} y(${x[i]})`).toBeCloseTo(wantY, 5);
          expect(dx[i] - 0.25, `${be.kind} ${kind} dx(${x[i]})`).toBeCloseTo(wantSlope, 6);
        }
      }
    });
  }

  it('relu has slope 0 at 0 (as PyTorch) and backward accumulates', async () => {
    for (const be of [await webgpu(), cpu()]) {
      const [y, dx] = await activationOn(
        be,
        'relu',
        new Float32Array([0, -0, 2, -2]),
        new Float32Array([5, 5, 5, 5]),
        new Float32Array([1, 1, 1, 1]),
      );
      expect(Array.from(y)).toEqual([0, 0, 2, 0]);
      expect(Array.from(dx)).toEqual([1, 1, 6, 1]);
    }
  });
});
