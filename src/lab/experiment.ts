// The experiment runner: builds a world, its models and stages from a config on any Backend and advances the run.
// Each stage records its step once and replays it; metrics come back every `metrics.every` steps, so the metrics
// of a run do not depend on how its steps are batched.

import type { Backend } from '../engine/backend';
import type { ExperimentConfig } from './config';
import { totalSteps } from './config';
import type { MetricRow } from './metrics';
import { buildBanditRun } from './stages/preference';
import { buildSequencesRun } from './stages/sequences';
import { buildPoints2dRun } from './stages/points2d';

/** What the UI draws of a run's current state; `kind` says which world it comes from. */
export interface BanditSnapshot {
  kind: 'bandit';
  stage: string;
  P: number;
  K: number;
  /** Probabilities [P, K] of the policy, the reference and the closed-form optimum for this stage's beta. */
  policy: Float32Array;
  reference: Float32Array;
  optimal: Float32Array;
  reward: Float32Array;
}

/** Sequences drawn from a stage's model (or, for a reward model, held-out responses it scores). */
export interface SequencesSnapshot {
  kind: 'sequences';
  stage: string;
  /** The named model the stage trains. */
  model: string;
  V: number;
  T: number;
  /** EOS id, -1 when the language has fixed length. */
  eos: number;
  /** Sequences [n, T], their masks (1 up to and including EOS) and hidden rewards [n]. */
  samples: Int32Array;
  mask: Float32Array;
  rewards: Float32Array;
  /** A reward model's scores of the sequences [n]. */
  scores?: Float32Array;
}

/** A points2d run: samples [n, 2] of the data, the teacher (or DPO reference) and the stage's student. */
export interface Points2dSnapshot {
  kind: 'points2d';
  stage: string;
  /** Data points [n, 2] the samples are compared with. */
  data: Float32Array;
  /** Samples [n, 2] of the teacher (the frozen reference in a Diffusion-DPO stage). */
  teacher: Float32Array;
  /** Samples [n, 2] of the model the stage trains (DMD: the one-step generator; Diffusion-DPO: the tuned policy). */
  student?: Float32Array;
  /** DMD: samples [n, 2] of hybrid inference (teacher first, then the student). */
  hybrid?: Float32Array;
  /** One point per mode [M, 2], and their names [M]. */
  centers: Float32Array;
  modeNames: string[];
  /** Share of each set's points in each mode [M] (the rest lie between modes). */
  shares: { data: Float32Array; teacher: Float32Array; student?: Float32Array; hybrid?: Float32Array };
  /** Modes covered (diversity/modes_covered) by each sample set. */
  covered: { teacher: number; student?: number; hybrid?: number };
  /**
   * A denoising trajectory of `points` samples over `steps` sampler steps: x [(steps + 1), points, 2] holds x_t
   * before each step and then the final sample; x0 [steps, points, 2] the predicted x_0 at each step; t [steps]
   * the timestep of each step. `model` says which sampler (teacher, hybrid, the tuned policy).
   */
  trajectory: { model: string; points: number; steps: number; t: Int32Array; x: Float32Array; x0: Float32Array };
  /** Diffusion-DPO: the hidden reward scale * <x, (cos a, sin a)>, a in degrees. */
  reward?: { angle: number; scale: number };
}

export type Snapshot = BanditSnapshot | SequencesSnapshot | Points2dSnapshot;

export interface StageRunner {
  readonly name: string;
  readonly steps: number;
  /** Steps done in this stage. */
  readonly done: number;
  /** Run n steps (never across a metric period boundary) and return the metric rows they completed. */
  advance(n: number): Promise<MetricRow[]>;
  snapshot(): Promise<Snapshot>;
}

/** The device state of a run: its stages in order, and what to free at the end. */
export interface Run {
  stages: StageRunner[];
  /** Each trained model's parameters (a `ParamArena.packed()`), keyed by the model's name: see expectedWeights. */
  weights(): Promise<Record<string, Float32Array>>;
  release(): void;
}

export function buildRun(be: Backend, config: ExperimentConfig): Run {
  switch (config.world.kind) {
    case 'bandit':
      return buildBanditRun(be, config);
    case 'sequences':
      return buildSequencesRun(be, config);
    case 'points2d':
      return buildPoints2dRun(be, config);
  }
}

export class Experiment {
  readonly total: number;
  private stageIndex = 0;
  private readonly run: Run;

  private constructor(
    readonly be: Backend,
    readonly config: ExperimentConfig,
  ) {
    this.total = totalSteps(config);
    this.run = buildRun(be, config);
  }

  static create(be: Backend, config: ExperimentConfig): Experiment {
    return new Experiment(be, config);
  }

  get stages(): readonly StageRunner[] {
    return this.run.stages;
  }

  get done(): number {
    return this.run.stages.reduce((a, r) => a + r.done, 0);
  }

  get finished(): boolean {
    return this.done >= this.total;
  }

  /** The stage running now (the last one once finished). */
  get stage(): StageRunner {
    return this.run.stages[this.stageIndex];
  }

  /** Advance up to `maxSteps` steps; returns the metric rows that completed. */
  async advance(maxSteps: number): Promise<MetricRow[]> {
    const rows: MetricRow[] = [];
    let left = maxSteps;
    const period = this.config.metrics.every;
    while (left > 0 && !this.finished) {
      const r = this.run.stages[this.stageIndex];
      if (r.done >= r.steps) {
        this.stageIndex++;
        continue;
      }
      const n = Math.min(left, period - (r.done % period), r.steps - r.done);
      rows.push(...(await r.advance(n)));
      left -= n;
      if (r.done >= r.steps && this.stageIndex < this.run.stages.length - 1) this.stageIndex++;
    }
    return rows;
  }

  /** Run to the end, calling onRows as metrics arrive. */
  async runToEnd(onRows?: (rows: MetricRow[]) => void, chunk = 1000): Promise<MetricRow[]> {
    const all: MetricRow[] = [];
    while (!this.finished) {
      const rows = await this.advance(chunk);
      all.push(...rows);
      onRows?.(rows);
    }
    return all;
  }

  snapshot(): Promise<Snapshot> {
    return this.stage.snapshot();
  }

  /** The current weights of every trained model, keyed by model name (one flat checkpoint per model). */
  weights(): Promise<Record<string, Float32Array>> {
    return this.run.weights();
  }

  dispose(): void {
    this.run.release();
  }
}
