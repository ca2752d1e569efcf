// distill_loss: PyTorch fixtures and OPS.md's known values on both backends, WebGPU vs the CPU twin over shapes and
// kinds, float64 finite differences of the twin, and extreme logits / masks.

import { describe, expect, it } from 'vitest';
import { DISTILL_KINDS, type Backend, type DistillAttrs, type DistillKind } from '../../src/engine/backend';
import { distillLossBackward, distillLossForward } from '../../src/engine/cpu/distill_loss';
import { cpu, fixtures, fixtureTests, randn, webgpu } from '../helpers/backends';
import { expectClose, finiteDiff, largest } from '../helpers/numeric';

interface Case {
  student: ArrayLike<number>;
  teacher: ArrayLike<number>;
  mask: ArrayLike<number>;
  attrs: DistillAttrs;
}

/** Loss, and dstudent accumulated onto `dInit` (null: the loss-only path, no gradient buffer). */
async function run(
  be: Backend,
  c: Case,
  dInit: ArrayLike<number> | null,
): Promise<{ loss: number; d: Float32Array | null }> {
  const { R, V } = c.attrs;
  const s = be.tensor([R, V], { data: c.student });
  const t = be.tensor([R, V], { data: c.teacher });
  const m = be.tensor([R], { data: c.mask });
  const loss = be.tensor([1], { data: [123] });
  const d = dInit ? be.tensor([R, V], { data: dInit }) : null;
  be.distillLoss(loss, d, s, t, m, c.attrs);
  const out = { loss: (await be.read(loss))[0], d: d ? ((await be.read(d)) as Float32Array) : null };
  for (const x of [s, t, m, loss, d]) if (x) be.release(x);
  return out;
}

/** Close within rtol, and within 1e-4 of the largest wanted magnitude plus atol (float32 sums of many terms). */
const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string, rtol = 1e-4, atol = 1e-7): void =>
  expectClose(got, want, rtol, 1e-4 * largest(want) + atol, what);

const attrsOf = (
  R: number,
  V: number,
  kind: DistillKind,
  beta: number,
  temperature: number,
  scaleT2: boolean,
): DistillAttrs => ({
  R,
  V,
  kind,
  beta,
  temperature,
  scaleT2,
});

/** Every kind, jsd at beta 0.1, 0.5 and the endpoints 0 and 1, with and without temperature. */
const SETTINGS: [DistillKind, number, number, boolean][] = [
  ['forward_kl', 0, 1, false],
  ['forward_kl', 0, 2, true],
  ['reverse_kl', 1, 1, false],
  ['reverse_kl', 1, 0.5, true],
  ['jsd', 0.5, 1, false],
  ['jsd', 0.1, 2, true],
  ['jsd', 0, 1, false],
  ['jsd', 1, 1.5, false],
];

function randomCase(R: number, V: number, seed: number, attrs: DistillAttrs): Case {
  const mask = new Float32Array(R).map((_, r) => (R > 1 && r % 3 === 1 ? 0 : r % 5 === 2 ? 0.5 : 1));
  return { student: randn(R * V, seed, 2), teacher: randn(R * V, seed + 1, 2), mask, attrs };
}

describe('distill_loss fixtures', () => {
  const all = fixtures('distill_loss_');
  it('cover every kind', () => {
    expect([...new Set(all.map((f) => f.fixture.attrs.kind))].sort()).toEqual([...DISTILL_KINDS].sort());
  });
  fixtureTests(all);
});

describe('distill_loss known values (OPS.md)', () => {
  const known: [DistillKind, number, number, boolean, number][] = [
    ['forward_kl', 0, 1, false, 0.7420332825],
    ['reverse_kl', 1, 1, false, 0.9176922423],
    ['jsd', 0.5, 1, false, 0.1879095011],
    ['forward_kl', 0, 2, true, 0.8197673659],
    ['jsd', 0, 1, false, 0.7420332825],
    ['jsd', 1, 1, false, 0.9176922423],
  ];
  for (const name of ['webgpu', 'cpu'] as const) {
    it(`student [1,0,-1], teacher [0,2,0] on ${name}`, async () => {
      const be = name === 'webgpu' ? await webgpu() : cpu();
      for (const [kind, beta, T, scaleT2, want] of known) {
        const c = { student: [1, 0, -1], teacher: [0, 2, 0], mask: [1], attrs: attrsOf(1, 3, kind, beta, T, scaleT2) };
        expect((await run(be, c, null)).loss, `${kind} T=${T}`).toBeCloseTo(want, 6);
        expect((await run(be, c, [0, 0, 0])).loss, `${kind} T=${T} with gradient`).toBeCloseTo(want, 6);
      }
    });
  }
});

describe("distill_loss jsd endpoints are TRL's forward and reverse KL", () => {
  const endpoints: [number, DistillKind][] = [
    [0, 'forward_kl'],
    [1, 'reverse_kl'],
  ];
  const oracle = [...fixtures('distill_loss_jsd_beta0.0_'), ...fixtures('distill_loss_jsd_beta1.0_')];
  it('have oracle fixtures at both endpoints, with and without temperature', () => {
    expect(oracle.map((f) => [f.fixture.attrs.beta, f.fixture.attrs.temperature])).toEqual([
      [0, 1],
      [0, 1],
      [0, 2],
      [0, 2],
      [1, 1],
      [1, 1],
      [1, 2],
      [1, 2],
    ]);
  });
  for (const name of ['webgpu', 'cpu'] as const) {
    it(`jsd at beta 0 and 1 gives the KL op's loss and gradient, and the oracle's, on ${name}`, async () => {
      const be = name === 'webgpu' ? await webgpu() : cpu();
      for (const { file, fixture } of oracle) {
        const [R, V] = fixture.inputs.student_logits.shape;
        const beta = fixture.attrs.beta as number;
        const T = fixture.attrs.temperature as number;
        const scaleT2 = fixture.attrs.scale_t2 as boolean;
        const kl = endpoints.find(([b]) => b === beta)![1];
        const c = (kind: DistillKind): Case => ({
          student: fixture.inputs.student_logits.data,
          teacher: fixture.inputs.teacher_logits.data,
          mask: fixture.inputs.mask.data,
          attrs: attrsOf(R, V, kind, beta, T, scaleT2),
        });
        const zeros = new Float32Array(R * V);
        const jsd = await run(be, c('jsd'), zeros);
        const ref = await run(be, c(kl), zeros);
        close([jsd.loss], [ref.loss], `${file} loss vs ${kl}`, 1e-6, 0);
        close(jsd.d!, ref.d!, `${file} dstudent vs ${kl}`, 1e-6, 0);
        const { rtol, atol } = fixture.tolerance;
        expectClose([jsd.loss], fixture.outputs.loss.data, rtol, atol, `${file} loss vs the oracle`);
        expectClose(jsd.d!, fixture.grads.student_logits.data, rtol, atol, `${file} dstudent vs the oracle`);
        expect(jsd.loss, `${file}: not the vanishing mixture`).toBeGreaterThan(0.1);
      }
    });
  }
});

describe('distill_loss WebGPU vs CPU twin', () => {
  const shapes: [number, number][] = [
    [1, 1],
    [1, 3],
    [7, 10],
    [13, 257],
    [3, 1031],
    [1500, 7],
    [2, 50000],
  ];
  for (const [kind, beta, T, scaleT2] of SETTINGS) {
    it(`${kind} beta ${beta} T ${T}${scaleT2 ? ' (T^2)' : ''}, shapes ${shapes.map((s) => s.join('x')).join(', ')}`, async () => {
      const gpu = await webgpu();
      for (const [R, V] of shapes) {
        const c = randomCase(R, V, R * 7 + V, attrsOf(R, V, kind, beta, T, scaleT2));
        const dInit = randn(R * V, 99, 0.01);
        const want = await run(cpu(), c, dInit);
        const got = await run(gpu, c, dInit);
        close([got.loss], [want.loss], `${R}x${V} loss`);
        // The gradient's change, compared at the scale of the gradient itself.
        const delta = (d: Float32Array) => d.map((v, i) => v - dInit[i]);
        close(delta(got.d!), delta(want.d!), `${R}x${V} dstudent`, 1e-3);
        close([(await run(gpu, c, null)).loss], [want.loss], `${R}x${V} loss-only path`);
      }
    });
  }
});

describe('distill_loss gradients (CPU twin, float64 central differences)', () => {
  const R = 3;
  const V = 5;
  for (const [kind, beta, T, scaleT2] of [...SETTINGS, ['jsd', 0.3, 2.5, true] as const]) {
    it(`${kind} beta ${beta} T ${T}${scaleT2 ? ' (T^2)' : ''}`, () => {
      const attrs = attrsOf(R, V, kind, beta, T, scaleT2);
      const s = Float64Array.from(randn(R * V, 5, 2));
      const t = Float64Array.from(randn(R * V, 6, 2));
      const mask = Float64Array.from([1, 0, 0.5]);
      const d = new Float64Array(R * V).fill(0.25);
      distillLossBackward(d, s, t, mask, attrs);
      const loss = new Float64Array(1);
      const f = () => (distillLossForward(loss, s, t, mask, attrs), loss[0]);
      const fd = finiteDiff(f, s);
      for (let i = 0; i < R * V; i++) {
        expect(Math.abs(d[i] - 0.25 - fd[i]), `d[${i}] ${d[i] - 0.25} vs ${fd[i]}`).toBeLessThan(
          1e-8 + 1e-6 * Math.abs(fd[i]),
        );
      }
      // Every kind moves, jsd at its endpoints too (TRL: forward KL at beta 0, reverse KL at beta 1).
      expect(largest(fd)).toBeGreaterThan(1e-3);
    });
  }
});

describe('distill_loss edge cases', () => {
  it('logits of +-90: finite, equal to the twin (forward KL is then ~180 nats)', async () => {
    const V = 6;
    const student = [90, -90, 0, 90, -90, 0, -90, 90, -90, 90, -90, 90];
    const teacher = [-90, 90, 0, -90, 90, 0, 90, -90, 90, -90, 90, -90];
    for (const [kind, beta, T, scaleT2] of SETTINGS) {
      const c = { student, teacher, mask: [1, 1], attrs: attrsOf(2, V, kind, beta, T, scaleT2) };
      const want = await run(cpu(), c, new Float32Array(2 * V));
      const got = await run(await webgpu(), c, new Float32Array(2 * V));
      expect(Number.isFinite(got.loss) && got.d!.every(Number.isFinite), `${kind} ${beta}`).toBe(true);
      close([got.loss], [want.loss], `${kind} ${beta} loss`);
      // ps (log-ratio - row) cancels terms of ~180 nats: float32 leaves up to ps * ulp(180) = 5e-6 per element.
      close(got.d!, want.d!, `${kind} ${beta} dstudent`, 1e-3, 1e-5);
    }
    const fwd = await run(
      cpu(),
      { student, teacher, mask: [1, 1], attrs: attrsOf(2, V, 'forward_kl', 0, 1, false) },
      null,
    );
    expect(fwd.loss).toBeCloseTo(180, 3);
  });
  it('a mask of zeros gives loss 0 and leaves dstudent untouched', async () => {
    for (const be of [await webgpu(), cpu()]) {
      for (const [kind, beta] of [
        ['forward_kl', 0],
        ['reverse_kl', 1],
        ['jsd', 0.5],
      ] as const) {
        const c = randomCase(4, 9, 3, attrsOf(4, 9, kind, beta, 1, false));
        c.mask = [0, 0, 0, 0];
        const dInit = randn(36, 4);
        const r = await run(be, c, dInit);
        expect(r.loss).toBe(0);
        expect(Array.from(r.d!)).toEqual(Array.from(dInit));
      }
    }
  });
  it('masked rows do not count: same loss as the unmasked rows alone', async () => {
    const gpu = await webgpu();
    const V = 11;
    const full = randomCase(3, V, 8, attrsOf(3, V, 'jsd', 0.5, 1, false));
    full.mask = [1, 0, 1];
    const kept = {
      student: [...Array.from(full.student).slice(0, V), ...Array.from(full.student).slice(2 * V)],
      teacher: [...Array.from(full.teacher).slice(0, V), ...Array.from(full.teacher).slice(2 * V)],
      mask: [1, 1],
      attrs: attrsOf(2, V, 'jsd', 0.5, 1, false),
    };
    const a = await run(gpu, full, new Float32Array(3 * V));
    const b = await run(gpu, kept, null);
    expect(a.loss).toBeCloseTo(b.loss, 6);
    expect(Array.from(a.d!.slice(V, 2 * V))).toEqual(new Array(V).fill(0));
  });
  it('identical student and teacher: zero loss and gradient for every kind', async () => {
    for (const be of [await webgpu(), cpu()]) {
      for (const [kind, beta, T, scaleT2] of SETTINGS) {
        const x = randn(2 * 50000, 12, 3);
        const r = await run(
          be,
          { student: x, teacher: x, mask: [1, 1], attrs: attrsOf(2, 50000, kind, beta, T, scaleT2) },
          new Float32Array(100000),
        );
        expect(Math.abs(r.loss), `${be.kind} ${kind}`).toBeLessThan(1e-5);
        expect(
          r.d!.every((v) => Math.abs(v) < 1e-8),
          `${be.kind} ${kind}`,
        ).toBe(true);
      }
    }
  });
  it('accumulates into dstudent (two calls give twice the gradient)', async () => {
    const gpu = await webgpu();
    const c = randomCase(5, 33, 21, attrsOf(5, 33, 'reverse_kl', 1, 2, true));
    const once = await run(gpu, c, new Float32Array(5 * 33));
    const twice = await run(gpu, c, once.d!);
    close(
      twice.d!,
      once.d!.map((v) => 2 * v),
      'twice',
    );
  });
});
