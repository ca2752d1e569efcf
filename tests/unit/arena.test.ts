// ParamArena's optimizer: zeroing the gradients, one AdamW step over every tensor (PyTorch's formula, by hand in
// float64 here) and a fresh start of the moments, on the CPU backend.

import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/backend';
import { ParamArena } from '../../src/lab/arena';

const hyper = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.01 };

function setup() {
  const be = new CpuBackend('tests');
  const arena = new ParamArena(
    be,
    [
      { name: 'w', shape: [2, 2], init: [0.5, -1, 2, 0] },
      { name: 'b', shape: [3], init: [0.25, -0.75, 1.5] },
    ],
    'm',
  );
  const clock = be.tensor([1], { dtype: 'u32' });
  const grads = [0.3, -0.2, 0.1, 0.05, -0.4, 0.6, 0];
  const setGrads = () => be.write(arena.grads, grads);
  return { be, arena, clock, grads, setGrads };
}

/** AdamW over plain arrays, steps 1..n with the same gradient each time. */
function reference(p: number[], g: number[], n: number): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const out = p.slice();
  for (let t = 1; t <= n; t++) {
    for (let i = 0; i < out.length; i++) {
      m[i] = hyper.beta1 * m[i] + (1 - hyper.beta1) * g[i];
      v[i] = hyper.beta2 * v[i] + (1 - hyper.beta2) * g[i] * g[i];
      out[i] *= 1 - hyper.lr * hyper.weightDecay;
      const mh = m[i] / (1 - hyper.beta1 ** t);
      const vh = v[i] / (1 - hyper.beta2 ** t);
      out[i] -= (hyper.lr * mh) / (Math.sqrt(vh) + hyper.eps);
    }
  }
  return out;
}

const init = [0.5, -1, 2, 0, 0.25, -0.75, 1.5];

describe('ParamArena optimizer', () => {
  it('zeroGrad clears every gradient', async () => {
    const { be, arena, setGrads } = setup();
    setGrads();
    arena.zeroGrad();
    expect(Array.from((await be.read(arena.grads)) as Float32Array)).toEqual(new Array(7).fill(0));
  });

  it('step is one AdamW step over all parameters, reading the step from the clock', async () => {
    const { be, arena, clock, grads, setGrads } = setup();
    for (let i = 0; i < 3; i++) {
      be.tick(clock);
      setGrads();
      arena.step(clock, hyper);
    }
    const got = Array.from(await arena.checkpoint());
    const want = reference(init, grads, 3);
    got.forEach((x, i) => expect(x).toBeCloseTo(want[i], 5));
    expect(got[6]).not.toBe(init[6]); // weight decay reaches a parameter with zero gradient
  });

  it('resetMoments makes the next step a first step again', async () => {
    const { be, arena, clock, grads, setGrads } = setup();
    be.tick(clock);
    setGrads();
    arena.step(clock, hyper);
    const after1 = Array.from(await arena.checkpoint());
    arena.resetMoments();
    expect(Array.from((await be.read(arena.m)) as Float32Array)).toEqual(new Array(7).fill(0));
    expect(Array.from((await be.read(arena.v)) as Float32Array)).toEqual(new Array(7).fill(0));
    // A step from the clock's first value on fresh moments moves as step 1 did, from where step 1 left off.
    const fresh = be.tensor([1], { dtype: 'u32', data: [1] });
    setGrads();
    arena.step(fresh, hyper);
    const got = Array.from(await arena.checkpoint());
    const want = reference(after1, grads, 1);
    got.forEach((x, i) => expect(x).toBeCloseTo(want[i], 5));
  });
});
