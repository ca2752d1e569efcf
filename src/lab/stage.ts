// What the experiment runner and its stages agree on: the stage and run contracts, the snapshots a stage draws, and
// the recorded-stage base every stage extends. A stage records its step once and replays it; per-step metrics are
// logged on the device into a history of one metric period, read back at the period's end.

import type { Backend, MetricAt, MetricMode, Tensor } from '../engine/backend';
import type { ExperimentConfig } from './config';
import { historyRows, type MetricRow, type MetricName, type MetricValues } from './metrics';
import { stageStream } from './streams';

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

/** Texts sampled from a text stage's model, from the start of a text, with the world's temperature and top-k. */
export interface TextSnapshot {
  kind: 'text';
  stage: string;
  /** The named model the stage trains. */
  model: string;
  samples: string[];
  /** The model's probability (temperature 1, all tokens) of each character of each sample: [...samples[i]].length. */
  probs: Float32Array[];
  temperature: number;
  /** 0: all tokens. */
  topK: number;
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

export type Snapshot = BanditSnapshot | SequencesSnapshot | Points2dSnapshot | TextSnapshot;

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

/**
 * The clock, the metric history and the period bookkeeping of a stage; a subclass replays its recorded step in
 * `replay` and adds the period metrics read at each period's end.
 */
export abstract class RecordedStage implements StageRunner {
  readonly name: string;
  readonly steps: number;
  done = 0;
  protected readonly be: Backend;
  protected readonly period: number;
  /** [1] u32: the stage's step (AdamW's t, the random draws' counter). */
  protected readonly clock: Tensor;
  /** [period, M]: the per-step metrics of the current period. */
  protected readonly history: Tensor;
  private readonly tensors: Tensor[] = [];
  private readonly releases: (() => void)[] = [];
  /** Last step whose metrics were returned. */
  private emitted = 0;

  constructor(
    be: Backend,
    cfg: ExperimentConfig,
    stage: { name: string; steps: number },
    /** The stage's place in the pipeline: its block of Philox streams. */
    protected readonly index: number,
    private readonly stepMetrics: readonly MetricName[],
  ) {
    this.be = be;
    this.name = stage.name;
    this.steps = stage.steps;
    this.period = cfg.metrics.every;
    this.clock = this.tensor([1], 'clock', 'u32');
    this.history = this.tensor([this.period, stepMetrics.length], 'history');
  }

  /** A tensor freed with the stage. */
  protected tensor(
    shape: number[],
    label: string,
    dtype: 'f32' | 'i32' | 'u32' = 'f32',
    data?: ArrayLike<number>,
  ): Tensor {
    const t = this.be.tensor(shape, { label: `${this.name}:${label}`, dtype, data });
    this.tensors.push(t);
    return t;
  }

  /** Something else freed with the stage. */
  protected onRelease(fn: () => void): void {
    this.releases.push(fn);
  }

  /** An object freed with the stage. */
  protected own<T extends { release(): void }>(x: T): T {
    this.releases.push(() => x.release());
    return x;
  }

  /** The stream id of one of this stage's uses of randomness. */
  protected stream(offset: number): number {
    return stageStream(this.index, offset);
  }

  /** Where the per-step metric of column `slot` goes in the history. */
  protected at(slot: number, mode: MetricMode = 'mean'): MetricAt {
    return { mode, slot, M: this.stepMetrics.length, rows: this.period };
  }

  /** Set the stage up if it has not started, and replay its step n times (from step `done`). */
  protected abstract replay(n: number): Promise<void>;
  protected abstract periodMetrics(): Promise<MetricValues>;
  abstract snapshot(): Promise<Snapshot>;

  async advance(n: number): Promise<MetricRow[]> {
    await this.replay(n);
    this.done += n;
    if (this.done % this.period !== 0 && this.done !== this.steps) {
      this.be.flush();
      return [];
    }
    const history = await this.be.read(this.history);
    const rows = historyRows(this.name, this.stepMetrics, history, this.period, this.emitted, this.done);
    this.emitted = this.done;
    Object.assign(rows[rows.length - 1], await this.periodMetrics());
    return rows;
  }

  release(): void {
    for (const fn of this.releases) fn();
    for (const t of this.tensors) this.be.release(t);
  }
}
