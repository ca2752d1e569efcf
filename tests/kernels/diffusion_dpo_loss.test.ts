// diffusion_dpo_loss: PyTorch fixtures and a hand-computed value on both backends, WebGPU vs the CPU twin over
// shapes and betas (with either gradient, both or none), float64 finite differences of the twin, extreme inputs.

import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import {
  diffusionDpoLossBackward,
  diffusionDpoLossForward,
  type DiffusionDpoArrays,
} from '../../src/engine/cpu/diffusion_dpo_loss';
import { cpu, fixtures, fixtureTests, randn, webgpu } from '../helpers/backends';
import { expectClose, finiteDiff, largest } from '../helpers/numeric';

const NAMES = ['modelChosen', 'modelRejected', 'refChosen', 'refRejected', 'targetChosen', 'targetRejected'] as const;
type Inputs = Record<(typeof NAMES)[number], ArrayLike<number>>;

interface Out {
  loss: number;
  dmc: Float32Array | null;
  dmr: Float32Array | null;
  chosenRewards: Float32Array;
  rejectedRewards: Float32Array;
}

/** Loss and the gradients accumulated onto `init` for the sides asked for. */
async function run(
  be: Backend,
  x: Inputs,
  attrs: { B: number; D: number; beta: number },
  want: { chosen: boolean; rejected: boolean },
  init: ArrayLike<number>,
): Promise<Out> {
  const { B, D } = attrs;
  const t = (data: ArrayLike<number>) => be.tensor([B, D], { data });
  const inp = Object.fromEntries(NAMES.map((n) => [n, t(x[n])])) as Record<
    (typeof NAMES)[number],
    ReturnType<Backend['tensor']>
  >;
  const loss = be.tensor([1], { data: [123] });
  const dmc = want.chosen ? t(init) : null;
  const dmr = want.rejected ? t(init) : null;
  const chosenRewards = be.tensor([B]);
  const rejectedRewards = be.tensor([B]);
  be.diffusionDpoLoss({ loss, chosenRewards, rejectedRewards, dModelChosen: dmc, dModelRejected: dmr }, inp, attrs);
  const out: Out = {
    loss: (await be.read(loss))[0],
    dmc: dmc ? ((await be.read(dmc)) as Float32Array) : null,
    dmr: dmr ? ((await be.read(dmr)) as Float32Array) : null,
    chosenRewards: (await be.read(chosenRewards)) as Float32Array,
    rejectedRewards: (await be.read(rejectedRewards)) as Float32Array,
  };
  for (const tt of [...Object.values(inp), loss, dmc, dmr, chosenRewards, rejectedRewards]) if (tt) be.release(tt);
  return out;
}

/** Close within rtol, and within 1e-4 of the largest wanted magnitude (float32 sums of many terms). */
const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string, rtol = 1e-4): void =>
  expectClose(got, want, rtol, 1e-4 * largest(want) + 1e-9, what);

/** Predictions near their targets, as a trained denoiser's are; the reference a little worse than the model. */
function randomInputs(B: number, D: number, seed: number): Inputs {
  const tc = randn(B * D, seed);
  const tr = randn(B * D, seed + 1);
  const near = (t: Float32Array, s: number, scale: number) => {
    const noise = randn(B * D, s, scale);
    return t.map((v, i) => v + noise[i]);
  };
  return {
    targetChosen: tc,
    targetRejected: tr,
    modelChosen: near(tc, seed + 2, 0.3),
    modelRejected: near(tr, seed + 3, 0.3),
    refChosen: near(tc, seed + 4, 0.35),
    refRejected: near(tr, seed + 5, 0.35),
  };
}

describe('diffusion_dpo_loss fixtures', () => {
  const all = fixtures('diffusion_dpo_loss_');
  it('exist', () => expect(all.length).toBeGreaterThan(0));
  fixtureTests(all);
});

describe('diffusion_dpo_loss by hand', () => {
  for (const name of ['webgpu', 'cpu'] as const) {
    it(`one pair on ${name}`, async () => {
      const be = name === 'webgpu' ? await webgpu() : cpu();
      // model: mse 1 on chosen, 0 on rejected; reference: 0 and 0. model_diff - ref_diff = 1, beta 2:
      // x = -1, loss = -logsig(-1) = log(1 + e); d loss / d mc = sig(1) * beta * (mc - tc) / (B D) = 2 sig(1).
      const x = {
        modelChosen: [1],
        modelRejected: [0],
        refChosen: [0],
        refRejected: [0],
        targetChosen: [0],
        targetRejected: [0],
      };
      const r = await run(be, x, { B: 1, D: 1, beta: 2 }, { chosen: true, rejected: true }, [0.5]);
      expect(r.loss).toBeCloseTo(Math.log1p(Math.E), 6);
      expect(r.dmc![0]).toBeCloseTo(0.5 + 2 / (1 + Math.exp(-1)), 6);
      expect(r.dmr![0]).toBeCloseTo(0.5, 6); // rejected prediction on its target: zero gradient
      // Implicit rewards -beta/2 (mse model - mse ref): -1 on the chosen side, 0 on the rejected one.
      expect(r.chosenRewards[0]).toBeCloseTo(-1, 6);
      expect(r.rejectedRewards[0]).toBeCloseTo(0, 6);
    });
  }
});

describe('diffusion_dpo_loss WebGPU vs CPU twin', () => {
  const shapes: [number, number][] = [
    [1, 1],
    [8, 2],
    [7, 3],
    [5, 1031],
    [1100, 2],
    [2, 50000],
  ];
  for (const beta of [50, 500, 5000]) {
    it(`beta ${beta}, shapes ${shapes.map((s) => s.join('x')).join(', ')}`, async () => {
      const gpu = await webgpu();
      for (const [B, D] of shapes) {
        const x = randomInputs(B, D, B + D);
        const attrs = { B, D, beta };
        const init = randn(B * D, 5, 1e-3);
        const both = { chosen: true, rejected: true };
        const want = await run(cpu(), x, attrs, both, init);
        const got = await run(gpu, x, attrs, both, init);
        close([got.loss], [want.loss], `${B}x${D} loss`);
        const delta = (d: Float32Array) => d.map((v, i) => v - init[i]);
        close(delta(got.dmc!), delta(want.dmc!), `${B}x${D} dmc`, 1e-3);
        close(delta(got.dmr!), delta(want.dmr!), `${B}x${D} dmr`, 1e-3);
        close(got.chosenRewards, want.chosenRewards, `${B}x${D} chosen rewards`, 1e-3);
        close(got.rejectedRewards, want.rejectedRewards, `${B}x${D} rejected rewards`, 1e-3);
        // One side only, or none: the same values, and nothing else written.
        const onlyC = await run(gpu, x, attrs, { chosen: true, rejected: false }, init);
        const onlyR = await run(gpu, x, attrs, { chosen: false, rejected: true }, init);
        const none = await run(gpu, x, attrs, { chosen: false, rejected: false }, init);
        expect(Array.from(onlyC.dmc!)).toEqual(Array.from(got.dmc!));
        expect(Array.from(onlyR.dmr!)).toEqual(Array.from(got.dmr!));
        expect([onlyC.loss, onlyR.loss, none.loss]).toEqual([got.loss, got.loss, got.loss]);
      }
    });
  }
});

describe('diffusion_dpo_loss gradients (CPU twin, float64 central differences)', () => {
  for (const beta of [5, 50, 500]) {
    it(`beta ${beta}`, () => {
      const B = 3;
      const D = 4;
      const x = Object.fromEntries(
        Object.entries(randomInputs(B, D, 40)).map(([k, v]) => [k, Float64Array.from(v as Float32Array)]),
      ) as unknown as DiffusionDpoArrays;
      const attrs = { B, D, beta };
      const dmc = new Float64Array(B * D).fill(1);
      const dmr = new Float64Array(B * D).fill(1);
      diffusionDpoLossBackward(dmc, dmr, x, attrs);
      const loss = new Float64Array(1);
      const f = () => (diffusionDpoLossForward(loss, null, null, x, attrs), loss[0]);
      let moved = 0;
      for (const [arr, d] of [
        [x.modelChosen, dmc],
        [x.modelRejected, dmr],
      ] as const) {
        const fd = finiteDiff(f, arr);
        for (let i = 0; i < B * D; i++) {
          expect(Math.abs(d[i] - 1 - fd[i]), `grad[${i}] ${d[i] - 1} vs ${fd[i]}`).toBeLessThan(
            1e-7 + 1e-6 * Math.abs(fd[i]),
          );
        }
        moved = Math.max(moved, largest(fd));
      }
      expect(moved).toBeGreaterThan(1e-3);
      // Only one side asked for: that side's values, the other untouched.
      const only = new Float64Array(B * D).fill(1);
      diffusionDpoLossBackward(null, only, x, attrs);
      expect(Array.from(only)).toEqual(Array.from(dmr));
    });
  }
});

describe('diffusion_dpo_loss extreme inputs', () => {
  it('a saturated sigmoid stays finite on both backends (loss ~ |x|, gradient ~ beta (pred - target) / (B D))', async () => {
    const B = 4;
    const D = 3;
    // Chosen predictions far off (model_diff >> ref_diff) or far better, with beta 5000: |x| in the thousands.
    const x = randomInputs(B, D, 9);
    const mc = Float32Array.from(x.modelChosen);
    for (let i = 0; i < D; i++) mc[i] += 10;
    for (let i = D; i < 2 * D; i++) mc[i] = x.targetChosen[i];
    x.modelChosen = mc;
    const attrs = { B, D, beta: 5000 };
    const both = { chosen: true, rejected: true };
    const want = await run(cpu(), x, attrs, both, new Float32Array(B * D));
    const got = await run(await webgpu(), x, attrs, both, new Float32Array(B * D));
    for (const r of [want, got]) {
      expect(Number.isFinite(r.loss) && r.dmc!.every(Number.isFinite) && r.dmr!.every(Number.isFinite)).toBe(true);
      expect(r.loss).toBeGreaterThan(1000);
    }
    close([got.loss], [want.loss], 'loss');
    close(got.dmc!, want.dmc!, 'dmc', 1e-3);
    close(got.dmr!, want.dmr!, 'dmr', 1e-3);
  });
  it('identical model and reference: loss log 2 whatever the targets', async () => {
    for (const be of [await webgpu(), cpu()]) {
      const x = randomInputs(6, 5, 3);
      x.refChosen = x.modelChosen;
      x.refRejected = x.modelRejected;
      const r = await run(be, x, { B: 6, D: 5, beta: 500 }, { chosen: false, rejected: false }, new Float32Array(30));
      expect(r.loss).toBeCloseTo(Math.LN2, 6);
    }
  });
});
