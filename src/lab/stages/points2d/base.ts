// What every points2d stage shares: the run (world, schedule, teacher), the evaluation samplers and their diversity
// metrics, and the points2d runner base each stage extends.

import type { Backend, Program, Tensor } from '../../../engine/backend';
import { seedWords } from '../../../engine/rng';
import type { ExperimentConfig, Points2dWorld } from '../../config';
import { type Denoiser, Sampler, type SamplerStep } from '../../models/denoiser';
import { RecordedStage, type Points2dSnapshot } from '../../stage';
import { STAGE_OFFSET } from '../../streams';
import {
  energyDistance,
  entropyEstimate,
  modeShares,
  modesCovered,
  precisionRecall,
  samplerTimesteps,
  type Points2dData,
} from '../../worlds/points2d';
import type { MetricName, MetricValues, SampleMetric, SampleMetricName, SamplePrefix } from '../../metrics';

/** Points of the data set shown and compared against (the first evalSamples of the training set). */
const TRAJECTORY_POINTS = 256;
/**
 * Sampler ids: evaluation samplers share id 0 (same x_T for teacher, student and hybrid); Diffusion-DPO's pairs use
 * id 1, DMD's regression pairs id 2.
 */
const EVAL_SAMPLER = 0;
export const PAIR_SAMPLER = 1;
export const REGRESSION_SAMPLER = 2;

/** What every stage of a points2d run shares: the world, the schedule and the teacher denoiser. */
export interface Points2dRun {
  be: Backend;
  cfg: ExperimentConfig;
  w: Points2dWorld;
  d: Points2dData;
  abar: Float64Array;
  /** [T, E] time features. */
  feat: Tensor;
  /** Training set [N, 2]. */
  data: Tensor;
  /** The data points metrics compare with [evalSamples, 2]. */
  reference: Float32Array;
  teacher: Denoiser;
}

/** The world sampler's steps with one model. */
export function modelSteps(run: Points2dRun, model: Denoiser): SamplerStep[] {
  return samplerTimesteps(run.w.timesteps, run.w.samplerSteps).map((t) => ({ model, t, kind: run.w.sampler }));
}

export interface Measured {
  samples: Float32Array;
  shares: Float64Array;
  covered: number;
  energy: number;
  precision: number;
  recall: number;
}

export function measure(run: Points2dRun, samples: Float32Array): Measured {
  const shares = modeShares(run.d, samples);
  return {
    samples,
    shares,
    covered: modesCovered(shares, run.d.dataShares, run.w.coverage),
    energy: energyDistance(samples, run.reference),
    ...precisionRecall(samples, run.reference),
  };
}

/** The diversity metrics of one draw, under `prefix` (diversity/ for the stage's model, teacher/, hybrid/). */
export function sampleMetrics(prefix: SamplePrefix, m: Measured): { [K in SampleMetricName]?: number } {
  const name = (metric: SampleMetric): SampleMetricName => `${prefix}${metric}`;
  return {
    [name('modes_covered')]: m.covered,
    [name('energy_distance')]: m.energy,
    [name('entropy')]: entropyEstimate(m.samples),
    [name('precision')]: m.precision,
    [name('recall')]: m.recall,
  };
}

/** The diversity metrics of a sampler's draw, and of the teacher's beside it when the stage has one. */
export function diversity(model: Measured, teacher?: Measured): MetricValues {
  return { ...sampleMetrics('diversity/', model), ...(teacher ? sampleMetrics('teacher/', teacher) : {}) };
}

/** What every points2d stage adds to the recorded-stage base: its run, its seed words and its evaluation samplers. */
export abstract class Points2dStageRunner extends RecordedStage {
  protected program!: Program;
  /** Models of its own the stage trains (a DMD generator and its fake score, a progressive student). */
  readonly trained: Denoiser[] = [];
  protected readonly seedLo: number;
  protected readonly seedHi: number;
  private started = false;

  constructor(
    protected readonly run: Points2dRun,
    stage: { name: string; steps: number },
    index: number,
    stepMetrics: readonly MetricName[],
  ) {
    super(run.be, run.cfg, stage, index, stepMetrics);
    [this.seedLo, this.seedHi] = seedWords(run.cfg.seed);
  }

  /**
   * An evaluation sampler the stage owns: evalSamples draws from the x_T every model shares (EVAL_SAMPLER), with its
   * trajectory recorded when the stage's view shows it.
   */
  protected evalSampler(steps: readonly SamplerStep[], label: string, traced = false): Sampler {
    const { be, w, abar, feat, cfg } = this.run;
    const record = traced ? TRAJECTORY_POINTS : 0;
    return this.own(
      new Sampler(be, w.evalSamples, steps, abar, feat, EVAL_SAMPLER, cfg.seed, `${this.name}:${label}`, record),
    );
  }

  /** Inside a recorded step: draw the step's batch of training points, x0 [B, 2], through the indices pick [B]. */
  protected drawData(x0: Tensor, pick: Tensor): void {
    const { be, run, seedLo, seedHi } = this;
    be.random(pick, this.clock, { kind: 'index', n: run.d.N, seedLo, seedHi, stream: this.stream(STAGE_OFFSET.batch) });
    be.embeddingForward(x0, run.data, pick, 2);
  }

  /** Work before the first step (fresh optimizer moments, copies of models, offline data). */
  protected abstract start(): Promise<void>;
  abstract override snapshot(): Promise<Points2dSnapshot>;

  /** Run `start` once: before the first step, or before a snapshot of a stage that has not stepped yet. */
  protected async ensureStarted(): Promise<void> {
    if (!this.started) {
      this.started = true;
      await this.start();
    }
  }

  protected override async replay(n: number): Promise<void> {
    await this.ensureStarted();
    this.runSteps(n);
  }

  /** Replay the step n times (from step `done`). */
  protected runSteps(n: number): void {
    this.run.be.run(this.program, n);
  }

  protected async draw(sampler: Sampler): Promise<Measured> {
    sampler.run();
    return measure(this.run, Float32Array.from((await this.run.be.read(sampler.x)) as Float32Array));
  }

  /** The snapshot fields every stage fills, from its measured samplers. */
  protected async baseSnapshot(teacher: Measured, traced: Sampler, tracedModel: string): Promise<Points2dSnapshot> {
    const { be, d } = this.run;
    const traj = traced.trajectory!;
    const m = Math.min(TRAJECTORY_POINTS, traced.n);
    const S = traj.x0.length;
    const x = new Float32Array((S + 1) * m * 2);
    const x0 = new Float32Array(S * m * 2);
    for (let i = 0; i <= S; i++) x.set((await be.read(traj.x[i])) as Float32Array, i * m * 2);
    for (let i = 0; i < S; i++) x0.set((await be.read(traj.x0[i])) as Float32Array, i * m * 2);
    return {
      kind: 'points2d',
      stage: this.name,
      // Copies: the worker transfers a snapshot's buffers, which would detach the run's own arrays.
      data: this.run.reference.slice(),
      teacher: teacher.samples,
      centers: d.centers.slice(),
      modeNames: d.modeNames,
      shares: { data: Float32Array.from(d.dataShares), teacher: Float32Array.from(teacher.shares) },
      covered: { teacher: teacher.covered },
      trajectory: { model: tracedModel, points: m, steps: S, t: Int32Array.from(traced.timesteps), x, x0 },
    };
  }
}
