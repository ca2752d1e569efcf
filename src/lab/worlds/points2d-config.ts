// The points2d world's config: its schema (data, noise schedule, the denoiser every model of the run shares,
// sampler), its stages' (diffusion, dmd, progressive, diffusion_dpo), their checks, the memory estimate and the
// denoisers a run trains.

import * as v from 'valibot';
import { ACTIVATIONS } from '../../engine/backend';
import { denoiserParamCount } from '../models/denoiser';
import {
  boundedList,
  choice,
  int,
  metricFloats,
  num,
  optimizerWith,
  stageName,
  stageOf,
  type RunOf,
  type WorldConfig,
} from './common-config';

/** Most points a user-given point set may hold. */
export const MAX_USER_POINTS = 64;
export const POINTS2D_SHAPES = ['ring8', 'grid25', 'moons', 'spirals', 'checkerboard', 'points'] as const;

const coordinate = v.pipe(v.number(), v.finite(), v.minValue(-4), v.maxValue(4));

/**
 * 2D point clouds for diffusion: a data distribution with known modes (centers or regions), the noise schedule of
 * the diffusion process, the denoiser architecture every model of the run shares and how samples are drawn.
 */
export const Points2dWorldSchema = v.object({
  kind: v.literal('points2d'),
  shape: choice(
    POINTS2D_SHAPES,
    'ring8',
    'Data',
    'Ring of 8 or grid of 25 Gaussians, two moons, two spirals, a checkerboard, or the given points',
  ),
  spread: num(
    0.01,
    1,
    0.1,
    'Spread',
    'Std of each Gaussian (ring, grid, points) or of the noise around a curve (moons, spirals)',
    // The checkerboard is uniform inside its squares.
    { applies: ({ parent }) => parent.shape !== 'checkerboard' },
  ),
  points: v.optional(
    v.pipe(
      boundedList(v.tuple([coordinate, coordinate]), {
        max: MAX_USER_POINTS,
        maxMessage: `at most ${MAX_USER_POINTS} points`,
      }),
      v.title('Points'),
      v.description('shape "points": the centers [x, y] (each in [-4, 4]) of a mixture of Gaussians, one mode each'),
    ),
  ),
  samples: int(64, 65536, 4096, 'Data points', 'Size of the training set drawn from the distribution'),
  timesteps: int(8, 1000, 100, 'Timesteps', 'Steps T of the forward (noising) process'),
  schedule: choice(
    ['linear', 'cosine'] as const,
    'linear',
    'Noise schedule',
    'Linear betas (Ho et al.) or cosine alpha-bar (Nichol & Dhariwal)',
  ),
  width: int(8, 512, 64, 'Denoiser width', 'Hidden width of the epsilon-predicting MLP'),
  depth: int(1, 6, 3, 'Denoiser layers', 'Hidden layers of the MLP'),
  embed: int(2, 64, 16, 'Time embedding', 'Width of the sinusoidal embedding of t (even)'),
  activation: choice(ACTIVATIONS, 'silu', 'Activation'),
  sampler: choice(
    ['ddpm', 'ddim'] as const,
    'ddim',
    'Sampler',
    'DDPM ancestral (stochastic) or DDIM (deterministic) sampling',
    { optionLabels: { ddpm: 'ddpm — stochastic', ddim: 'ddim — deterministic' } },
  ),
  samplerSteps: int(1, 1000, 50, 'Sampler steps', 'Denoising steps of the sampler (at most the timesteps)'),
  evalSamples: int(64, 8192, 1024, 'Evaluation samples', 'Samples drawn from each model at every metric read-back'),
  coverage: num(
    0.01,
    1,
    0.25,
    'Coverage threshold',
    'A mode counts as covered when it holds at least this fraction of its share of the data',
  ),
});

/** Points2d: DDPM training of the teacher denoiser (epsilon prediction, uniform timesteps). */
export const DiffusionStageSchema = v.object({
  kind: v.literal('diffusion'),
  name: stageName('teacher'),
  steps: int(1, 100_000, 2000, 'Steps'),
  batch: int(1, 4096, 256, 'Batch size', 'Data points per step, spread evenly over the timesteps'),
  optimizer: optimizerWith(0.003),
});

/**
 * Points2d: distribution matching distillation (DMD) of the teacher into a one-step generator (initialized from the
 * teacher) that jumps to x_0 from pure noise or from the handover timestep, trained with the difference of the
 * teacher and fake-score denoisers (a reverse KL); the fake-score denoiser learns the generator's own samples.
 */
export const DmdStageSchema = v.object({
  kind: v.literal('dmd'),
  name: stageName('dmd'),
  steps: int(1, 100_000, 600, 'Steps'),
  batch: int(1, 4096, 256, 'Batch size', 'Generator samples per step'),
  optimizer: optimizerWith(0.001),
  fakeLr: num(1e-6, 1, 0.003, 'Fake-score learning rate', 'AdamW learning rate of the fake-score denoiser'),
  hybrid: int(
    1,
    100,
    20,
    'Hybrid teacher steps',
    'Hybrid inference: the teacher takes the high-noise stretch, from t = T down to the handover, in k DDIM steps; then the student jumps to x_0',
  ),
  handover: num(
    0.05,
    0.95,
    0.15,
    'Handover',
    'Timestep (fraction of T) where hybrid inference hands over to the student; the generator also learns to jump from there',
  ),
  regression: num(
    0,
    10,
    0,
    'Regression weight',
    "DMD's regression term: the mean squared distance between the generator's jump from a noise z and the teacher's DDIM sample from the same z, over 1,024 pairs drawn at the stage start (0: off)",
  ),
});

/** Points2d: progressive distillation: each round a student matches two DDIM steps of the previous model in one. */
export const ProgressiveStageSchema = v.object({
  kind: v.literal('progressive'),
  name: stageName('progressive'),
  rounds: int(1, 8, 3, 'Rounds', 'Halvings of the sampler steps, starting from the world sampler steps'),
  steps: int(1, 100_000, 900, 'Steps', 'Total steps, split evenly over the rounds'),
  batch: int(1, 4096, 256, 'Batch size', 'Data points per step, spread over the student steps'),
  optimizer: optimizerWith(0.001),
});

/** Points2d: Diffusion-DPO of the teacher against its frozen copy, on pairs labelled by a hidden 2D reward. */
export const DiffusionDpoStageSchema = v.object({
  kind: v.literal('diffusion_dpo'),
  name: stageName('ddpo'),
  steps: int(1, 100_000, 400, 'Steps'),
  batch: int(1, 4096, 128, 'Batch size', 'Preference pairs per step'),
  pairs: int(8, 16384, 2048, 'Pairs', 'Pairs sampled from the reference at stage start'),
  beta: num(0.1, 100_000, 500, 'beta', 'Strength of the tie to the reference'),
  reward: v.optional(
    v.object({
      angle: num(-180, 180, 0, 'Preferred direction', 'Hidden reward r(x) = scale * <x, (cos a, sin a)>: degrees'),
      scale: num(0, 20, 2, 'Reward scale', 'Bradley-Terry sharpness of the labels'),
    }),
    {},
  ),
  optimizer: optimizerWith(0.0003),
});

export type Points2dWorld = v.InferOutput<typeof Points2dWorldSchema>;
export type DiffusionStage = v.InferOutput<typeof DiffusionStageSchema>;
export type DmdStage = v.InferOutput<typeof DmdStageSchema>;
export type DiffusionDpoStage = v.InferOutput<typeof DiffusionDpoStageSchema>;
export type ProgressiveStage = v.InferOutput<typeof ProgressiveStageSchema>;
type Points2dStage = DiffusionStage | DmdStage | DiffusionDpoStage | ProgressiveStage;
type Points2dRun = RunOf<Points2dWorld>;

const STAGE_KINDS: readonly Points2dStage['kind'][] = ['diffusion', 'dmd', 'diffusion_dpo', 'progressive'];
const isPoints2dStage = stageOf<Points2dStage>(STAGE_KINDS);

/** Modes of a world's distribution (makePoints2d's M) without drawing its data: what a snapshot of it may show. */
export function modeCount(w: Points2dWorld): number {
  switch (w.shape) {
    case 'ring8':
    case 'checkerboard':
      return 8;
    case 'grid25':
      return 25;
    case 'points':
      return w.points?.length ?? 0;
    case 'moons':
    case 'spirals':
      return 2;
  }
}

/**
 * The denoisers a stage trains besides the teacher, by the names its runner gives them: a DMD generator and its
 * fake score, a progressive student (Diffusion-DPO tunes the teacher itself).
 */
export function stageDenoisers(s: Points2dStage): string[] {
  switch (s.kind) {
    case 'dmd':
      return [`${s.name}-student`, `${s.name}-fake`];
    case 'progressive':
      return [`${s.name}-student`];
    case 'diffusion':
    case 'diffusion_dpo':
      return [];
  }
}

/** The teacher and every stage's own denoisers: all share the world's architecture. */
function points2dWeights(run: Points2dRun): Map<string, number> {
  const params = denoiserParamCount(run.world);
  const names = ['teacher', ...run.stages.flatMap((s) => (isPoints2dStage(s) ? stageDenoisers(s) : []))];
  return new Map(names.map((name) => [name, params]));
}

/** Pairs (noise, teacher sample) of DMD's regression term, drawn at the stage start. */
export const REGRESSION_PAIRS = 1024;

/** Three denoisers with grads and moments, data, per-row activations and the [B, B] noising matrices. */
function points2dFloats(run: Points2dRun): number {
  const w = run.world;
  const H = w.width;
  const params = denoiserParamCount(w);
  let peak = w.evalSamples * (4 * H + w.embed + 16) * 3 + 2 * w.samplerSteps * 256 * 2;
  for (const s of run.stages) {
    if (!isPoints2dStage(s)) continue;
    const rows = s.kind === 'diffusion_dpo' ? 2 * s.batch : s.batch;
    peak = Math.max(
      peak,
      rows * (8 * H + 2 * w.embed + 32) * 4 +
        // The [B, B] diagonal matrices that scale rows per timestep (10 per progressive round).
        (s.kind === 'progressive' ? 10 * s.rounds : 8) * s.batch * s.batch +
        // Diffusion-DPO samples its 2 * pairs points from the reference at stage start, DMD's regression term its
        // pairs from the teacher (and keeps both ends of each).
        (s.kind === 'diffusion_dpo' ? 2 * s.pairs * (4 * H + w.embed + 16) : 0) +
        (s.kind === 'dmd' && s.regression > 0 ? REGRESSION_PAIRS * (4 * H + w.embed + 20) : 0),
    );
  }
  return 3 * 5 * params + w.samples * 2 + w.timesteps * w.embed + peak + metricFloats(run);
}

/** Stages that do not fit the world, the given points, and timesteps that the sampler and stages must agree on. */
function points2dProblems(run: Points2dRun): string[] {
  const problems: string[] = [];
  const w = run.world;
  run.stages.forEach((s, i) => {
    if (!isPoints2dStage(s))
      problems.push(
        `stages.${i}.kind: a points2d world runs diffusion, dmd, progressive and diffusion_dpo stages only (got ${s.kind})`,
      );
    else if (s.kind === 'progressive' && w.samplerSteps % 2 ** s.rounds !== 0) {
      problems.push(
        `stages.${i}.rounds: the ${w.samplerSteps} sampler steps must halve evenly ${s.rounds} times (use a multiple of ${2 ** s.rounds})`,
      );
    }
  });
  if (w.shape === 'points' && (w.points?.length ?? 0) < 1)
    problems.push('world.points: shape "points" needs at least one point');
  if (w.embed % 2 !== 0) problems.push(`world.embed: must be even (got ${w.embed})`);
  if (w.samplerSteps > w.timesteps)
    problems.push(`world.samplerSteps: must be at most the ${w.timesteps} timesteps (got ${w.samplerSteps})`);
  run.stages.forEach((s, i) => {
    if (isPoints2dStage(s) && s.kind === 'dmd' && s.hybrid > w.timesteps * (1 - s.handover))
      problems.push(`stages.${i}.hybrid: more teacher steps than timesteps before the handover (got ${s.hybrid})`);
  });
  return problems;
}

export const POINTS2D: WorldConfig<Points2dWorld> = {
  stageKinds: STAGE_KINDS,
  problems: points2dProblems,
  floats: points2dFloats,
  weights: points2dWeights,
};
