// preference_loss: PyTorch fixtures and OPS.md's known values on both backends, WebGPU (fused and split) vs the CPU
// twin, float64 finite differences of the twin, and extreme log-probs.

import { describe, expect, it } from 'vitest';
import type { Backend, PreferenceAttrs } from '../../src/engine/backend';
import { PREFERENCE_LOSSES, PREFERENCE_LOSS_TYPES, type PreferenceLossType } from '../../src/engine/preference_losses';
import {
  preferenceLossBackward,
  preferenceLossForward,
  type PreferenceArrays,
} from '../../src/engine/cpu/preference_loss';
import type { WebGPUBackend } from '../../src/engine/webgpu/backend';
import { preferenceLoss } from '../../src/engine/webgpu/kernels/preference_loss';
import { cpu, fixtures, fixtureTests, randn, webgpu } from '../helpers/backends';
import { expectClose, largest } from '../helpers/numeric';

interface Result {
  losses: Float32Array;
  loss: number;
  chosenRewards: Float32Array;
  rejectedRewards: Float32Array;
  dChosen: Float32Array;
  dRejected: Float32Array;
}

const attrsFor = (
  lossType: PreferenceLossType,
  beta: number,
  over: Partial<PreferenceAttrs> = {},
): PreferenceAttrs => ({
  lossType,
  beta,
  labelSmoothing: lossType === 'robust' ? 0.2 : lossType === 'sigmoid' || lossType === 'simpo' ? 0.1 : 0,
  gamma: lossType === 'simpo' ? 0.5 : 0,
  ...over,
});

/**
 * Runs the op twice: with the forward outputs as garbage (they are written) and zeroed gradients, which gives
 * d = the gradient; then into gradients g0 != 0, which must become g0 + d. `fused` and `loss` (the kernel's code and
 * reward rule) go to the WebGPU encoder.
 */
async function run(
  be: Backend,
  x: number[][] | Float32Array[],
  attrs: PreferenceAttrs,
  fused?: boolean,
  loss?: { code: number; referenceFree: boolean },
): Promise<Result> {
  const B = x[0].length;
  const t = (data?: ArrayLike<number>) => be.tensor([B], { data });
  const inp = {
    policyChosenLogps: t(x[0]),
    policyRejectedLogps: t(x[1]),
    referenceChosenLogps: t(x[2]),
    referenceRejectedLogps: t(x[3]),
  };
  const garbage = new Float32Array(B).fill(123);
  const out = {
    losses: t(garbage),
    loss: be.tensor([1], { data: [123] }),
    chosenRewards: t(garbage),
    rejectedRewards: t(garbage),
    dPolicyChosen: t(new Float32Array(B)),
    dPolicyRejected: t(new Float32Array(B)),
  };
  const g0 = [randn(B, B + 1, 0.5), randn(B, B + 2, 0.5)];
  const acc = { ...out, dPolicyChosen: t(g0[0]), dPolicyRejected: t(g0[1]) };
  for (const o of [out, acc]) {
    if (fused === undefined && loss === undefined) be.preferenceLoss(o, inp, attrs);
    else preferenceLoss((be as WebGPUBackend).ctx, o, inp, attrs, fused, loss);
  }
  const read = async (tt: (typeof out)['loss']) => (await be.read(tt)) as Float32Array;
  const r: Result = {
    losses: await read(out.losses),
    loss: (await read(out.loss))[0],
    chosenRewards: await read(out.chosenRewards),
    rejectedRewards: await read(out.rejectedRewards),
    dChosen: await read(out.dPolicyChosen),
    dRejected: await read(out.dPolicyRejected),
  };
  const accumulated = [await read(acc.dPolicyChosen), await read(acc.dPolicyRejected)];
  [r.dChosen, r.dRejected].forEach((d, k) => {
    for (let i = 0; i < B; i++) {
      // Within an ulp or two of g0 + d: the twin adds in float64 before rounding, a GPU may fuse the multiply-add.
      const want = Math.fround(g0[k][i] + d[i]);
      const got = accumulated[k][i];
      const ok = Number.isNaN(want)
        ? Number.isNaN(got)
        : Math.abs(got - want) <= 2 ** -22 * (Math.abs(g0[k][i]) + Math.abs(d[i]));
      if (!ok)
        expect.fail(
          `${attrs.lossType} ${k === 0 ? 'd_chosen' : 'd_rejected'}[${i}]: g0 ${g0[k][i]} + d ${d[i]} gave ${got}`,
        );
    }
  });
  for (const tt of [...Object.values(inp), ...Object.values(out), acc.dPolicyChosen, acc.dPolicyRejected])
    be.release(tt);
  return r;
}

/** Element-wise comparison with an absolute floor relative to the largest value. */
const expectNear = (got: ArrayLike<number>, want: ArrayLike<number>, what: string, rtol = 1e-4): void =>
  expectClose(got, want, rtol, 1e-5 * largest(want) + 1e-12, what);

function expectSame(got: Result, want: Result, what: string, rtol = 1e-4): void {
  expectNear(got.losses, want.losses, `${what} losses`, rtol);
  expectNear([got.loss], [want.loss], `${what} loss`, rtol);
  expectNear(got.chosenRewards, want.chosenRewards, `${what} chosen_rewards`, rtol);
  expectNear(got.rejectedRewards, want.rejectedRewards, `${what} rejected_rewards`, rtol);
  expectNear(got.dChosen, want.dChosen, `${what} d_chosen`, rtol);
  expectNear(got.dRejected, want.dRejected, `${what} d_rejected`, rtol);
}

/** Log-probs of a typical batch: sums over ~20 tokens. */
function batch(B: number, seed: number): Float32Array[] {
  return [0, 1, 2, 3].map((k) => randn(B, seed * 10 + k, 4).map((v) => v - 20));
}

describe('preference_loss fixtures', () => {
  const all = fixtures('preference_loss_');
  it('cover every loss type', () => {
    const types = new Set(all.map((f) => f.fixture.attrs.loss_type));
    expect([...types].sort()).toEqual([...PREFERENCE_LOSS_TYPES].sort());
  });
  fixtureTests(all);
});

describe('preference_loss table (PREFERENCE_LOSSES)', () => {
  const x = batch(5, 9);
  const attrs = (type: PreferenceLossType) => ({ lossType: type, beta: 0.25, labelSmoothing: 0.1, gamma: 0.5 });
  const flat = (r: Result) => [
    ...r.losses,
    r.loss,
    ...r.chosenRewards,
    ...r.rejectedRewards,
    ...r.dChosen,
    ...r.dRejected,
  ];

  it('gives each loss its own code', () => {
    expect(new Set(PREFERENCE_LOSSES.map((l) => l.code)).size).toBe(PREFERENCE_LOSSES.length);
  });
  it('every loss has its own case in the WGSL switch and in the CPU twin', async () => {
    const gpu = await webgpu();
    const got: Record<string, number[][]> = { webgpu: [], cpu: [] };
    for (const { name } of PREFERENCE_LOSSES) {
      const want = await run(cpu(), x, attrs(name));
      const r = await run(gpu, x, attrs(name));
      expect(flat(r).every(Number.isFinite), `${name} on webgpu: ${flat(r).join(', ')}`).toBe(true);
      expectSame(r, want, name);
      got.webgpu.push(flat(r));
      got.cpu.push(flat(want));
    }
    // Two losses that ran the same case (or one that fell through to another's) would agree everywhere.
    for (const [be, rows] of Object.entries(got)) {
      for (let i = 0; i < rows.length; i++) {
        for (let j = i + 1; j < rows.length; j++) {
          const same = rows[i].every((v, k) => v === rows[j][k]);
          expect(same, `${be}: ${PREFERENCE_LOSSES[i].name} and ${PREFERENCE_LOSSES[j].name} agree`).toBe(false);
        }
      }
    }
  });
  it('a code with no WGSL case gives NaN loss and gradient, fused and split', async () => {
    const gpu = await webgpu();
    const code = Math.max(...PREFERENCE_LOSSES.map((l) => l.code)) + 1;
    for (const fused of [true, false]) {
      const r = await run(gpu, x, attrs('sigmoid'), fused, { code, referenceFree: false });
      for (const v of [...r.losses, r.loss, ...r.dChosen, ...r.dRejected]) expect(v, `fused ${fused}`).toBeNaN();
    }
  });
  it('a loss reads label_smoothing and gamma exactly where its row says (the form offers only those)', async () => {
    for (const { name, smoothing, gamma } of PREFERENCE_LOSSES) {
      const base = await run(cpu(), x, attrs(name));
      const eps = await run(cpu(), x, { ...attrs(name), labelSmoothing: 0.3 });
      const g = await run(cpu(), x, { ...attrs(name), gamma: 2 });
      expect(
        flat(eps).some((v, i) => v !== flat(base)[i]),
        `${name} reads label_smoothing`,
      ).toBe(smoothing);
      expect(
        flat(g).some((v, i) => v !== flat(base)[i]),
        `${name} reads gamma`,
      ).toBe(gamma);
    }
  });
  it('reference-free losses reward beta times the policy log-probs, the others beta times the log-ratios', async () => {
    for (const be of [await webgpu(), cpu()]) {
      for (const { name, referenceFree } of PREFERENCE_LOSSES) {
        const r = await run(be, x, attrs(name));
        const want = x[0].map((pc, i) => 0.25 * (referenceFree ? pc : pc - x[2][i]));
        expectNear(r.chosenRewards, want, `${be.kind} ${name} chosen_rewards`);
      }
    }
  });
});

describe('preference_loss known values (OPS.md)', () => {
  // pc=-10, pr=-12, rc=-11, rr=-11.5, beta=0.1: h = 1.5, chosen log-ratio 1, rejected -0.5.
  const x = [[-10], [-12], [-11], [-11.5]];
  const cases: [PreferenceLossType, number, number][] = [
    ['sigmoid', 0, 0.62095704784],
    ['robust', 0.1, 0.60220704784],
    ['nca_pair', 0, 1.3508248141],
    ['apo_zero', 0, 0.962523416],
  ];
  for (const name of ['webgpu', 'cpu'] as const) {
    it(`on ${name}`, async () => {
      const be = name === 'webgpu' ? await webgpu() : cpu();
      for (const [type, eps, want] of cases) {
        const r = await run(be, x, { lossType: type, beta: 0.1, labelSmoothing: eps, gamma: 0 });
        expect(r.loss, type).toBeCloseTo(want, 6);
        expect(r.losses[0], type).toBeCloseTo(want, 6);
        expect(r.chosenRewards[0], type).toBeCloseTo(0.1, 6);
        expect(r.rejectedRewards[0], type).toBeCloseTo(-0.05, 6);
      }
      // Closed forms of the others at the same point.
      const at = async (type: PreferenceLossType, over: Partial<PreferenceAttrs> = {}) =>
        run(be, x, { lossType: type, beta: 0.1, labelSmoothing: 0, gamma: 0, ...over });
      expect((await at('hinge')).loss).toBeCloseTo(0.85, 6);
      expect((await at('hinge')).dChosen[0]).toBeCloseTo(-0.1, 6);
      expect((await at('ipo')).loss).toBeCloseTo((1.5 - 5) ** 2, 4);
      expect((await at('sppo_hard')).loss).toBeCloseTo((1 - 5) ** 2 + (-0.5 + 5) ** 2, 4);
      const simpo = await at('simpo', { gamma: 0.5 });
      // h' = pc - pr - gamma/beta = 2 - 5: -logsig(-0.3) = log(1 + e^0.3).
      expect(simpo.loss).toBeCloseTo(Math.log1p(Math.exp(0.3)), 6);
      expect(simpo.chosenRewards[0]).toBeCloseTo(-1, 6);
      expect(simpo.rejectedRewards[0]).toBeCloseTo(-1.2, 6);
      // cDPO: label smoothing 0.1 mixes in the flipped-label loss.
      const cdpo = await at('sigmoid', { labelSmoothing: 0.1 });
      expect(cdpo.loss).toBeCloseTo(0.9 * Math.log1p(Math.exp(-0.15)) + 0.1 * Math.log1p(Math.exp(0.15)), 6);
    });
  }
});

describe('preference_loss WebGPU vs CPU twin', () => {
  const sizes = [1, 7, 256, 257, 1000, 5000];
  for (const type of PREFERENCE_LOSS_TYPES) {
    it(`${type}, B = ${sizes.join(', ')}, beta 0.1 and 0.5`, async () => {
      const gpu = await webgpu();
      for (const B of sizes) {
        for (const beta of [0.1, 0.5]) {
          const x = batch(B, B + Math.round(beta * 10));
          const attrs = attrsFor(type, beta);
          const want = await run(cpu(), x, attrs);
          expectSame(await run(gpu, x, attrs), want, `${type} B=${B} beta=${beta}`);
        }
      }
    });
  }
  it('the split forward/backward path (8 storage buffers) matches the fused one', async () => {
    const gpu = await webgpu();
    for (const type of PREFERENCE_LOSS_TYPES) {
      for (const B of [1, 300, 70000]) {
        const x = batch(B, 3 + B);
        const attrs = attrsFor(type, 0.25);
        const fused = await run(gpu, x, attrs, true);
        expectSame(await run(gpu, x, attrs, false), fused, `${type} B=${B}`, 1e-6);
        if (B === 300) expectSame(fused, await run(cpu(), x, attrs), `${type} B=${B} vs cpu`);
      }
    }
  });
});

describe('preference_loss gradients (CPU twin, float64 central differences)', () => {
  const B = 6;
  const arrays = (x: Float64Array[]): PreferenceArrays => ({
    policyChosenLogps: x[0],
    policyRejectedLogps: x[1],
    referenceChosenLogps: x[2],
    referenceRejectedLogps: x[3],
  });
  const meanLoss = (x: Float64Array[], attrs: PreferenceAttrs) => {
    const o = {
      losses: new Float64Array(B),
      loss: new Float64Array(1),
      chosenRewards: new Float64Array(B),
      rejectedRewards: new Float64Array(B),
    };
    preferenceLossForward(o, arrays(x), attrs);
    return o.loss[0];
  };
  for (const type of PREFERENCE_LOSS_TYPES) {
    for (const beta of [0.1, 0.5]) {
      it(`${type}, beta ${beta}`, () => {
        const attrs = attrsFor(type, beta);
        const x = batch(B, 77).map((a) => Float64Array.from(a));
        if (type === 'hinge') {
          // Stay away from the kink 1 - beta h = 0; keep pairs on both sides of it.
          for (let i = 0; i < B; i++) {
            const h = x[0][i] - x[1][i] - (x[2][i] - x[3][i]);
            const target = i % 2 === 0 ? -2 / beta : 4 / beta; // active (1 - beta h = 3), inactive (= -3)
            x[0][i] += target - h;
          }
        }
        // The twin accumulates: start from 9 and take it off again.
        const dc = new Float64Array(B).fill(9);
        const dr = new Float64Array(B).fill(9);
        preferenceLossBackward(dc, dr, arrays(x), attrs);
        for (const d of [dc, dr]) for (let i = 0; i < B; i++) d[i] -= 9;
        const eps = 1e-6;
        let nonzero = 0;
        for (const [k, d] of [
          [0, dc],
          [1, dr],
        ] as const) {
          for (let i = 0; i < B; i++) {
            const keep = x[k][i];
            x[k][i] = keep + eps;
            const up = meanLoss(x, attrs);
            x[k][i] = keep - eps;
            const down = meanLoss(x, attrs);
            x[k][i] = keep;
            const fd = (up - down) / (2 * eps);
            expect(Math.abs(d[i] - fd), `d${k === 0 ? 'chosen' : 'rejected'}[${i}] ${d[i]} vs ${fd}`).toBeLessThan(
              1e-7 + 1e-6 * Math.abs(fd),
            );
            if (Math.abs(fd) > 1e-6) nonzero++;
          }
        }
        expect(nonzero).toBeGreaterThanOrEqual(B);
      });
    }
  }
});

describe('preference_loss extreme log-probs', () => {
  // Log-probs of -400 and -1000 (long or unlikely responses): |beta h| up to 600.
  const x = [
    [-400, -1000, -1000, -400, -1000, -5],
    [-1000, -400, -1000, -400, -999, -900],
    [-400, -400, -1000, -1000, -400, -700],
    [-1000, -1000, -400, -1000, -1000, -300],
  ];
  for (const type of PREFERENCE_LOSS_TYPES) {
    it(`${type} stays finite and matches the twin`, async () => {
      for (const beta of [0.1, 0.5, 2]) {
        const attrs = attrsFor(type, beta);
        const want = await run(cpu(), x, attrs);
        const got = await run(await webgpu(), x, attrs);
        for (const [k, v] of Object.entries(got)) {
          const arr = typeof v === 'number' ? [v] : [...v];
          expect(arr.every(Number.isFinite), `${type} beta ${beta} ${k}: ${arr.join(', ')}`).toBe(true);
        }
        expectSame(got, want, `${type} beta ${beta}`);
      }
    });
  }
  it('saturated sigmoid: loss is -beta h and the gradient -beta / B', async () => {
    for (const be of [await webgpu(), cpu()]) {
      // h = (-1000 + 400) - 0 = -600: loss = softplus(60) = 60 (+ 9e-27).
      const r = await run(be, [[-1000], [-400], [-500], [-500]], {
        lossType: 'sigmoid',
        beta: 0.1,
        labelSmoothing: 0,
        gamma: 0,
      });
      expect(r.loss).toBeCloseTo(60, 4);
      expect(r.dChosen[0]).toBeCloseTo(-0.1, 6);
      expect(r.dRejected[0]).toBeCloseTo(0.1, 6);
    }
  });
});
