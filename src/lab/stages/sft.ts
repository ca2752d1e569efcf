// Supervised fine-tuning on the sequences world: next-token cross-entropy on oracle samples (how a teacher is
// trained). The whole step runs on the device.

import type { SftStage } from '../config';
import type { SequencesSnapshot } from '../stage';
import { STAGE_OFFSET } from '../streams';
import { SeqBatch } from './sequence-kit';
import { LmEval, lmSnapshot, SequenceStage, type LmReport, type SequenceRun } from './sequence-stage';
import type { MetricValues } from '../metrics';

export const SFT_STEP_METRICS = ['loss'] as const;

export class SftStageRunner extends SequenceStage {
  private eval!: LmEval;
  private last: LmReport | null = null;

  constructor(
    run: SequenceRun,
    private readonly stage: SftStage,
    index: number,
  ) {
    super(run, stage, index, SFT_STEP_METRICS);
  }

  protected async start(): Promise<() => void> {
    const { be, world, data } = this.run;
    const { T, V } = data;
    const model = this.model(this.stage.model);
    const B = this.stage.batch;
    const N = data.world.samples;
    model.arena.resetMoments(); // each stage starts its own optimizer
    const batch = new SeqBatch(be, world, B, `${this.name}:batch`);
    this.onRelease(() => batch.release());
    const pick = this.tensor([B], 'pick', 'i32'); // [B] rows of the training set
    const loss = this.tensor([1], 'loss');
    const pass = model.pass(B, `${this.name}:train`, true); // logits [B*T, V]
    this.eval = new LmEval(
      be,
      this.run,
      model,
      this.key(STAGE_OFFSET.evalSample),
      `${this.name}:eval`,
      this.tensor.bind(this),
      this.onRelease.bind(this),
    );
    const batchKey = this.key(STAGE_OFFSET.batch);
    return () => {
      be.tick(this.clock);
      be.random(pick, this.clock, { kind: 'index', n: N, ...batchKey });
      be.embeddingForward(batch.tokens, world.train, pick, T); // [B, T]
      be.embeddingForward(batch.mask, world.trainMask, pick, T); // [B, T]
      model.forward(model.arena.params, batch, pass);
      be.crossEntropyForward(loss, pass.out, batch.tokens, batch.mask, { R: B * T, V });
      // Backward, in exact reverse order, into gradients zeroed by one fill (plus the pass's activation grads).
      model.arena.zeroGrad();
      model.zeroPass(pass);
      be.crossEntropyBackward(pass.dout!, pass.out, batch.tokens, batch.mask, { R: B * T, V });
      model.backward(pass);
      model.arena.step(this.clock, this.stage.optimizer);
      this.logMetric(0, loss);
    };
  }

  protected async periodMetrics(): Promise<MetricValues> {
    this.last = await this.eval.report();
    return this.last.metrics;
  }

  async snapshot(): Promise<SequencesSnapshot> {
    await this.started();
    this.last ??= await this.eval.report();
    return lmSnapshot(this.name, this.stage.model, this.run.data, this.last);
  }
}
