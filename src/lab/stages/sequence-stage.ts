// The shared shape of a sequences stage: it sets itself up on the device when it starts (after earlier stages
// trained its models), records its step once and replays it, logs per-step metrics on the device, and computes
// period metrics at each read-back from an evaluation program (held-out oracle data and fresh samples).

import type { Backend, MetricMode, PreferenceOutputs, Program, Tensor } from '../../engine/backend';
import type { ExperimentConfig } from '../config';
import { RecordedStage, type SequencesSnapshot } from '../stage';
import type { SeqModel, SeqPass } from './seq-model';
import { oracleNll, trueRewards, type SequencesData } from '../worlds/sequences';
import {
  keyOf,
  Sampler,
  sampleMetrics,
  SeqBatch,
  tokenStats,
  type RandomKey,
  type TokenStats,
  type WorldDevice,
} from './sequence-kit';
import type { MetricName, MetricValues } from '../metrics';

/** What the stages of one sequences run share. */
export interface SequenceRun {
  be: Backend;
  cfg: ExperimentConfig;
  data: SequencesData;
  world: WorldDevice;
  models: Map<string, SeqModel>;
}

/** What every sequences stage adds to the recorded-stage base: its run, and a step recorded when the stage starts. */
export abstract class SequenceStage extends RecordedStage {
  private program: Program | null = null;

  constructor(
    protected readonly run: SequenceRun,
    stage: { name: string; steps: number },
    index: number,
    stepMetrics: readonly MetricName[],
  ) {
    super(run.be, run.cfg, stage, index, stepMetrics);
  }

  /** The Philox key of one of this stage's uses of randomness. */
  protected key(offset: number): RandomKey {
    return keyOf(this.run.cfg.seed, this.stream(offset));
  }

  /** Issue the per-step metric of column `slot` into the device-side history. */
  protected logMetric(slot: number, a: Tensor, b: Tensor | null = null, mode: MetricMode = 'mean'): void {
    this.be.logMetric(this.history, a, b, this.clock, this.at(slot, mode));
  }

  /** A pairwise loss's per-step metrics into columns 0-4, where the reward-model and preference stages both log them. */
  protected logPairMetrics(out: PreferenceOutputs): void {
    this.logMetric(0, out.losses);
    this.logMetric(1, out.chosenRewards);
    this.logMetric(2, out.rejectedRewards);
    this.logMetric(3, out.chosenRewards, out.rejectedRewards, 'diff');
    this.logMetric(4, out.chosenRewards, out.rejectedRewards, 'greater');
  }

  protected model(name: string): SeqModel {
    const m = this.run.models.get(name);
    if (!m) throw new Error(`${this.name}: no model named ${name}`);
    return m;
  }

  /** Set up on the device at the stage's start; returns the step, recorded once. */
  protected abstract start(): Promise<() => void>;

  abstract override snapshot(): Promise<SequencesSnapshot>;

  /** Set the stage up (once) and return its recorded step. */
  protected async started(): Promise<Program> {
    this.program ??= this.be.record(`${this.name}:step`, await this.start());
    return this.program;
  }

  protected override async replay(n: number): Promise<void> {
    this.be.run(await this.started(), n);
  }
}

/** A model's forward pass over every position of a batch, for logits read back on the host. */
export class Probe {
  private readonly pass: SeqPass;

  /** Under the parameters in `flat` (the model's own or a frozen copy). */
  constructor(
    private readonly be: Backend,
    private readonly model: SeqModel,
    private readonly flat: Tensor,
    private readonly batch: SeqBatch,
    label: string,
    inclusive = false,
  ) {
    this.pass = model.pass(batch.B, label, false, inclusive);
  }

  issue(): void {
    this.model.forward(this.flat, this.batch, this.pass);
  }

  /** The logits [B*T, OUT] of the last issue. */
  async read(): Promise<Float32Array> {
    return (await this.be.read(this.pass.out)) as Float32Array;
  }
}

/** What an evaluation of a language model found. */
export interface LmReport {
  metrics: MetricValues;
  held: TokenStats;
  samples: { tokens: Int32Array; mask: Float32Array; stats: TokenStats; logits: Float32Array };
}

/**
 * The evaluation of a language model being trained: its logits on held-out oracle sequences (NLL), and H fresh
 * samples (hidden reward, length, entropy), drawn with the stage's evaluation key at an evaluation clock.
 * `extra` adds the stage's own probes to the same recorded program.
 */
export class LmEval {
  readonly samples: SeqBatch;
  readonly held: SeqBatch;
  private readonly heldProbe: Probe;
  private readonly sampleProbe: Probe;
  private readonly program: Program;
  private readonly oracle: number;

  constructor(
    private readonly be: Backend,
    private readonly run: SequenceRun,
    model: SeqModel,
    key: RandomKey,
    label: string,
    tensor: (shape: number[], label: string, dtype?: 'f32' | 'i32' | 'u32') => Tensor,
    onRelease: (fn: () => void) => void,
    extra: (samples: SeqBatch) => () => void = () => () => {},
  ) {
    const { world, data } = run;
    const H = data.world.heldout;
    const clock = tensor([1], `${label}:clock`, 'u32');
    this.held = new SeqBatch(be, world, H, `${label}:held`, { tokens: world.heldout, mask: world.heldoutMask });
    this.samples = new SeqBatch(be, world, H, `${label}:samples`);
    const sampler = new Sampler(be, model, H, `${label}:sampler`);
    this.heldProbe = new Probe(be, model, model.arena.params, this.held, `${label}:held`);
    this.sampleProbe = new Probe(be, model, model.arena.params, this.samples, `${label}:on_samples`);
    const more = extra(this.samples);
    this.program = be.record(`${label}:eval`, () => {
      be.tick(clock);
      this.heldProbe.issue();
      sampler.issue(this.samples, model.arena.params, clock, key);
      this.sampleProbe.issue();
      more();
    });
    this.oracle = oracleNll(data, data.heldout, data.heldoutMask, H);
    onRelease(() => {
      sampler.release();
      this.held.release();
      this.samples.release();
    });
  }

  async report(): Promise<LmReport> {
    const { data } = this.run;
    const { T, V } = data;
    const H = data.world.heldout;
    this.be.run(this.program);
    const heldLogits = await this.heldProbe.read();
    const logits = await this.sampleProbe.read();
    const tokens = (await this.be.read(this.samples.tokens)) as Int32Array;
    const mask = (await this.be.read(this.samples.mask)) as Float32Array;
    const held = tokenStats(heldLogits, data.heldout, data.heldoutMask, H, T, V);
    const stats = tokenStats(logits, tokens, mask, H, T, V);
    return {
      metrics: {
        'nll/model': held.nll,
        'nll/oracle': this.oracle,
        entropy: stats.entropy,
        ...sampleMetrics(data, tokens, mask, H),
      },
      held,
      samples: { tokens, mask, stats, logits },
    };
  }
}

/** The snapshot of a language model stage: copies of the samples of its latest evaluation (the worker transfers them). */
export function lmSnapshot(stage: string, model: string, data: SequencesData, r: LmReport): SequencesSnapshot {
  const H = data.world.heldout;
  return {
    kind: 'sequences',
    stage,
    model,
    V: data.V,
    T: data.T,
    eos: data.eos,
    samples: r.samples.tokens.slice(),
    mask: r.samples.mask.slice(),
    rewards: Float32Array.from(trueRewards(data, r.samples.tokens, r.samples.mask, H)),
  };
}
