// Science of the diffusion presets, run on each backend (diffusion.cpu.test.ts, diffusion.webgpu.test.ts, so that the
// two run in parallel): a teacher that covers the ring of 8, a one-step DMD student that drops modes which hybrid
// inference recovers, progressive distillation keeping the modes with fewer steps on both; Diffusion-DPO moving
// samples toward the preferred half-plane as its margin grows on the CPU twins, and on WebGPU a short Diffusion-DPO
// run that must agree with them value for value (the two backends then share the phenomenon, at a third of the
// cost of showing it twice). Sized so that each phenomenon shows at test size; no test has a clock of its own (the
// global guard in vite.config.ts catches a hang).

import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { parseConfig, type ExperimentInput } from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import type { Points2dSnapshot } from '../../src/lab/stage';
import type { MetricName, MetricRow } from '../../src/lab/metrics';

const num = (r: MetricRow, k: MetricName) => r[k] as number;

interface Ran {
  rows: MetricRow[];
  /** Each stage's snapshot at the end of the run, by stage name. */
  snaps: Record<string, Points2dSnapshot>;
}

async function run(be: Backend, input: ExperimentInput): Promise<Ran> {
  const exp = Experiment.create(be, parseConfig(input));
  try {
    const rows = await exp.runToEnd(undefined, 1000);
    const snaps: Record<string, Points2dSnapshot> = {};
    for (const stage of exp.stages) {
      const snap = await stage.snapshot();
      if (snap.kind !== 'points2d') throw new Error(`expected a points2d snapshot, got ${snap.kind}`);
      snaps[stage.name] = snap;
    }
    return { rows, snaps };
  } finally {
    exp.dispose();
  }
}

/** Small and fast: a narrower denoiser, fewer sampler steps and evaluation samples than the presets. */
const WORLD = { kind: 'points2d', shape: 'ring8', width: 48, samplerSteps: 25, evalSamples: 512 } as const;
const TEACHER = { kind: 'diffusion', name: 'teacher', steps: 900, batch: 256 } as const;
/** Energy distance of the teacher to the data (two data samples differ by ~0.005; one mode alone gives ~1.5). */
const TEACHER_ENERGY = 0.1;

/**
 * The teacher trains once for the three stages that read it and leave it unchanged: DMD and progressive
 * distillation train students of their own. 32 sampler steps, so that progressive distillation halves them twice.
 */
const DISTILLATION: ExperimentInput = {
  seed: 1,
  world: { ...WORLD, samplerSteps: 32 },
  stages: [
    TEACHER,
    { kind: 'dmd', name: 'dmd', steps: 400, batch: 256, hybrid: 12, handover: 0.15 },
    { kind: 'progressive', name: 'pd', steps: 400, rounds: 2 },
  ],
  metrics: { every: 100 },
};

const periods = (rows: MetricRow[], stage: string) =>
  rows.filter((r) => r.stage === stage && r['diversity/modes_covered'] !== undefined);

/** Diffusion-DPO from the test teacher: pairs of its samples labelled by the hidden reward 2 x_1. */
const tuning = (beta: number, teacher: number = TEACHER.steps, steps = 300): ExperimentInput => ({
  seed: 1,
  world: WORLD,
  stages: [
    { ...TEACHER, steps: teacher },
    { kind: 'diffusion_dpo', name: 'ddpo', steps, batch: 128, pairs: 1024, beta, reward: { angle: 0, scale: 2 } },
  ],
  metrics: { every: 100 },
});

/** The distillation suite on one backend. */
export function diffusionScience(name: string, backend: () => Promise<Backend>): void {
  describe(`diffusion teacher and its distillation on the ring of 8 (${name})`, () => {
    let ran: Ran;
    beforeAll(async () => {
      ran = await run(await backend(), DISTILLATION);
    });

    it('the teacher covers 8/8 modes and comes close to the data in energy distance', () => {
      const { rows, snaps } = ran;
      const last = periods(rows, 'teacher').at(-1)!;
      expect(num(last, 'diversity/modes_covered')).toBe(8);
      expect(num(last, 'diversity/energy_distance')).toBeLessThan(TEACHER_ENERGY);
      expect(num(rows.filter((r) => r.stage === 'teacher').at(-1)!, 'loss')).toBeLessThan(0.5);
      // The snapshot carries what the UI draws.
      const snap = snaps.teacher;
      expect(snap.teacher.length).toBe(2 * 512);
      expect(snap.centers.length).toBe(16);
      expect(snap.trajectory.steps).toBe(32);
      expect(snap.trajectory.x.length).toBe(33 * 256 * 2);
      expect(snap.covered.teacher).toBe(8);
    });

    it('a one-step DMD student drops modes; handing the high-noise stretch (T to the handover) to the teacher recovers them', () => {
      const { rows, snaps } = ran;
      const last = periods(rows, 'dmd').at(-1)!;
      const teacher = num(last, 'teacher/modes_covered');
      expect(teacher).toBe(8);
      expect(num(last, 'diversity/modes_covered')).toBeLessThan(teacher);
      // The collapse is in the mode choice, made at high noise: with the teacher choosing, the student's jump from
      // the handover lands on (almost) every mode and about as close to the data as the teacher.
      expect(num(last, 'hybrid/modes_covered')).toBeGreaterThanOrEqual(teacher - 1);
      expect(num(last, 'hybrid/energy_distance')).toBeLessThan(TEACHER_ENERGY);
      expect(num(last, 'hybrid/energy_distance')).toBeLessThan(num(last, 'diversity/energy_distance') / 4);
      expect(snaps.dmd.student).toBeDefined();
      expect(snaps.dmd.covered.hybrid).toBeGreaterThan(snaps.dmd.covered.student!);
    });

    it('progressive distillation halves the sampler steps twice and keeps the modes', () => {
      const { rows, snaps } = ran;
      const pd = periods(rows, 'pd');
      expect(pd.map((r) => num(r, 'sampler/steps'))).toEqual([16, 16, 8, 8]);
      const last = pd.at(-1)!;
      expect(num(last, 'diversity/modes_covered')).toBeGreaterThanOrEqual(7);
      expect(num(last, 'diversity/energy_distance')).toBeLessThan(0.12);
      expect(snaps.pd.trajectory.steps).toBe(8);
    });
  });
}

/** Diffusion-DPO's phenomena, on one backend. */
export function diffusionDpoScience(name: string, backend: () => Promise<Backend>): void {
  describe(`preference tuning (${name})`, () => {
    it('Diffusion-DPO moves the sample mean toward x > 0 as its margin grows; a smaller beta moves it further and drops modes', async () => {
      const tune = async (beta: number) => (await run(await backend(), tuning(beta))).rows;
      const rows = await tune(500);
      const dpo = periods(rows, 'ddpo');
      const first = dpo[0];
      const last = dpo.at(-1)!;
      const steps = rows.filter((r) => r.stage === 'ddpo');
      const mean = (rs: MetricRow[], k: MetricName) => rs.reduce((s, r) => s + num(r, k), 0) / rs.length;
      expect(mean(steps.slice(-50), 'rewards/margins')).toBeGreaterThan(mean(steps.slice(0, 50), 'rewards/margins'));
      expect(mean(steps.slice(-50), 'rewards/margins')).toBeGreaterThan(0);
      // Bradley-Terry labels are noisy: the implicit reward ranks most pairs, not all of them.
      expect(mean(steps.slice(-50), 'rewards/accuracies')).toBeGreaterThan(0.6);
      // The reference sits near x = 0 (the ring is symmetric); the tuned policy moves right.
      expect(Math.abs(num(last, 'teacher/energy_distance'))).toBeLessThan(TEACHER_ENERGY);
      expect(num(last, 'samples/mean_x')).toBeGreaterThan(0.3);
      expect(num(last, 'samples/mean_x')).toBeGreaterThan(num(first, 'samples/mean_x'));
      expect(num(last, 'reward/true')).toBeGreaterThan(0.6);
      // A looser tie to the reference: more reward, fewer modes, less entropy (diversity collapse).
      const loose = periods(await tune(100), 'ddpo').at(-1)!;
      expect(num(loose, 'samples/mean_x')).toBeGreaterThan(num(last, 'samples/mean_x') + 0.3);
      expect(num(loose, 'diversity/modes_covered')).toBeLessThan(num(last, 'diversity/modes_covered'));
      expect(num(loose, 'diversity/entropy')).toBeLessThan(num(last, 'diversity/entropy'));
    });
  });
}

/** WebGPU and the CPU twins agree on a short Diffusion-DPO run, every logged value. */
export function diffusionDpoAgreement(gpu: () => Promise<Backend>, twin: () => Backend): void {
  // Float rounding differs between the backends (~1e-6 per op); over 200 + 40 steps the runs stay within
  // 2e-3 + 2e-3 |x|, while a wrong kernel or a different stream would part them by far more.
  it('Diffusion-DPO on WebGPU agrees with the CPU twins (within 2e-3 + 2e-3 |x|)', async () => {
    const input = { ...tuning(500, 200, 40), metrics: { every: 20 } };
    const g = (await run(await gpu(), input)).rows.filter((r) => r.stage === 'ddpo');
    const c = (await run(twin(), input)).rows.filter((r) => r.stage === 'ddpo');
    expect(g.length).toBe(40);
    expect(c.length).toBe(40);
    g.forEach((a, i) => {
      const b = c[i];
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      for (const k of Object.keys(b) as MetricName[]) {
        if ((k as string) === 'stage' || (k as string) === 'step') continue;
        const x = num(b, k);
        expect(Number.isFinite(x), `step ${b.step} ${k}`).toBe(true);
        expect(Math.abs(num(a, k) - x), `step ${b.step} ${k}: webgpu ${num(a, k)} cpu ${x}`).toBeLessThan(
          2e-3 + 2e-3 * Math.abs(x),
        );
      }
    });
  });
}
