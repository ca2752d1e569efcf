// adamw: fixtures on both backends, WebGPU vs CPU twin over runs of device-ticked steps, replays, PyTorch's rule.

import { describe, expect, it } from 'vitest';
import type { AdamWParams, Backend, Tensor } from '../../src/engine/backend';
import { adamwForward } from '../../src/engine/cpu/adamw';
import { cpu, fixtures, fixtureTests, randn, webgpu } from '../helpers/backends';
import { expectClose } from '../helpers/numeric';
import { runTyped } from '../helpers/run';

const FIXTURES = fixtures('adamw_');
const HP: AdamWParams = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

interface State {
  param: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

function initial(n: number, seed: number): State {
  return {
    param: randn(n, seed),
    m: randn(n, seed + 1, 0.1),
    v: Float32Array.from(randn(n, seed + 2, 0.1), (x) => x * x),
  };
}

/**
 * `steps` AdamW steps from `s` with grads[k] at step k; the step buffer starts at `start` and is ticked on the
 * device before each step (as a training loop does).
 */
async function stepsOn(be: Backend, s: State, grads: Float32Array[], hp: AdamWParams, start = 0): Promise<State> {
  const n = s.param.length;
  const [param, m, v] = await runTyped(be, (t) => {
    const p = t([n], s.param),
      tm = t([n], s.m),
      tv = t([n], s.v);
    const step = t([1], [start], 'u32');
    const grad = t([n]);
    for (const g of grads) {
      be.write(grad, g);
      be.tick(step);
      be.adamw(p, tm, tv, grad, step, hp);
    }
    return [p, tm, tv];
  });
  return { param: param as Float32Array, m: m as Float32Array, v: v as Float32Array };
}

function expectStates(got: State, want: State, what: string, rtol = 2e-6, atol = 1e-7): void {
  expectClose(got.param, want.param, rtol, atol, `${what} param`);
  expectClose(got.m, want.m, rtol, atol, `${what} m`);
  expectClose(got.v, want.v, rtol, atol, `${what} v`);
}

describe('adamw fixtures', () => {
  it('has fixtures', () => expect(FIXTURES.length).toBeGreaterThan(0));
  fixtureTests(FIXTURES);
});

describe('adamw: WebGPU vs CPU twin', () => {
  const variants: [string, AdamWParams][] = [
    ['default', HP],
    ['no decay', { ...HP, weightDecay: 0 }],
    ['strong decay, lr 1e-2', { ...HP, lr: 1e-2, weightDecay: 0.1 }],
    ['beta1 = 0', { ...HP, beta1: 0 }],
    ['beta2 = 0.95, eps 1e-6', { ...HP, beta2: 0.95, eps: 1e-6 }],
  ];
  for (const n of [1, 7, 257, 1031, 70001]) {
    for (const [name, hp] of variants) {
      it(`n=${n}, ${name}: one step`, async () => {
        const s = initial(n, n);
        const g = [randn(n, n + 5)];
        expectStates(await stepsOn(await webgpu(), s, g, hp), await stepsOn(cpu(), s, g, hp), name);
      });
    }
  }

  it('six steps in a row, the step buffer ticked by tick on the device', async () => {
    const n = 3001;
    const s = { param: randn(n, 1), m: new Float32Array(n), v: new Float32Array(n) };
    const grads = Array.from({ length: 6 }, (_, k) => randn(n, 10 + k, 0.5));
    const g = await stepsOn(await webgpu(), s, grads, HP);
    const c = await stepsOn(cpu(), s, grads, HP);
    expectStates(g, c, '6 steps', 1e-5, 1e-7);
    // The same as the twin called with explicit step numbers 1..6.
    const ref = { param: s.param.slice(), m: s.m.slice(), v: s.v.slice() };
    grads.forEach((gr, k) => adamwForward(ref.param, ref.m, ref.v, gr, k + 1, HP));
    expectStates(c, ref, 'backend vs twin');
    // The first step of Adam from zero moments moves each coordinate by about lr against its gradient's sign.
    const one = await stepsOn(await webgpu(), s, grads.slice(0, 1), { ...HP, weightDecay: 0 });
    for (let i = 0; i < n; i += 97) {
      if (Math.abs(grads[0][i]) > 1e-3)
        expect((s.param[i] - one.param[i]) / Math.sign(grads[0][i])).toBeCloseTo(1e-3, 6);
    }
  });

  it('late steps (bias corrections near 1) and the first step of a late start', async () => {
    const n = 513;
    const s = initial(n, 77);
    const grads = [randn(n, 78), randn(n, 79)];
    for (const start of [0, 99, 9999, 2 ** 24]) {
      expectStates(
        await stepsOn(await webgpu(), s, grads, HP, start),
        await stepsOn(cpu(), s, grads, HP, start),
        `start ${start}`,
      );
    }
  });

  it('replays in a recorded program as eager steps', async () => {
    const be = await webgpu();
    const n = 1000;
    const s = initial(n, 5);
    const g = randn(n, 6);
    const eager = await stepsOn(be, s, [g, g, g], HP);
    const [param, m, v] = await runTyped(be, (t) => {
      const p = t([n], s.param),
        tm = t([n], s.m),
        tv = t([n], s.v),
        grad = t([n], g);
      const step = t([1], [0], 'u32');
      const prog = be.record('adamw', () => {
        be.tick(step);
        be.adamw(p, tm, tv, grad, step, HP);
      });
      be.run(prog, 3);
      return [p, tm, tv];
    });
    expect(Array.from(param)).toEqual(Array.from(eager.param));
    expect(Array.from(m)).toEqual(Array.from(eager.m));
    expect(Array.from(v)).toEqual(Array.from(eager.v));
  });

  it('zero gradients from zero moments only decay the parameters', async () => {
    const n = 100;
    const s = { param: randn(n, 9), m: new Float32Array(n), v: new Float32Array(n) };
    for (const be of [await webgpu(), cpu()]) {
      const out = await stepsOn(be, s, [new Float32Array(n)], HP);
      expectClose(
        out.param,
        Float32Array.from(s.param, (p) => p * (1 - HP.lr * HP.weightDecay)),
        2.5e-7,
        0,
        `${be.kind} decay`,
      );
      expect(out.m.every((x) => x === 0) && out.v.every((x) => x === 0)).toBe(true);
    }
  });

  it('refuses mismatched sizes', async () => {
    const be = await webgpu();
    const ts: Tensor[] = [
      be.tensor([4]),
      be.tensor([4]),
      be.tensor([4]),
      be.tensor([5]),
      be.tensor([1], { dtype: 'u32' }),
    ];
    expect(() => be.adamw(ts[0], ts[1], ts[2], ts[3], ts[4], HP)).toThrow(/adamw/);
    for (const t of ts) be.release(t);
  });
});

describe('adamw: CPU twin vs torch.optim.AdamW transcribed', () => {
  it('matches the PyTorch update order (decay, lerp of m, addcmul of v, addcdiv with step_size)', () => {
    const n = 50;
    const p0 = Float64Array.from(randn(n, 21)),
      g = Float64Array.from(randn(n, 22));
    const m0 = Float64Array.from(randn(n, 23, 0.1)),
      v0 = Float64Array.from(randn(n, 24, 0.1), (x) => x * x);
    const hp = { lr: 3e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.05 };
    const step = 4;
    // torch/optim/adamw.py (_single_tensor_adamw), in float64.
    const want = Array.from(p0, (p, i) => {
      const pd = p * (1 - hp.lr * hp.weightDecay);
      const m = m0[i] + (g[i] - m0[i]) * (1 - hp.beta1);
      const v = v0[i] * hp.beta2 + (1 - hp.beta2) * g[i] * g[i];
      const stepSize = hp.lr / (1 - hp.beta1 ** step);
      const denom = Math.sqrt(v) / Math.sqrt(1 - hp.beta2 ** step) + hp.eps;
      return pd - (stepSize * m) / denom;
    });
    const p = p0.slice(),
      m = m0.slice(),
      v = v0.slice();
    adamwForward(p, m, v, g, step, hp);
    expectClose(p, want, 1e-13, 1e-15, 'param');
  });
});
