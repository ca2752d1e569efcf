// Supervised fine-tuning on the text world: next-token cross-entropy on windows of the corpus drawn with the stage's
// Philox stream. The whole step runs on the device.

import type { Program } from '../../engine/backend';
import type { SftStage } from '../config';
import type { MetricValues } from '../metrics';
import { RecordedStage, type TextSnapshot } from '../stage';
import { STAGE_OFFSET } from '../streams';
import { keyOf } from './sequence-kit';
import type { TextRun } from './text-run';
import { TextEval } from './text-eval';

const TEXT_SFT_STEP_METRICS = ['loss'] as const;

export class TextSftStageRunner extends RecordedStage {
  private program: Program | null = null;
  private eval!: TextEval;

  constructor(
    private readonly run: TextRun,
    private readonly stage: SftStage,
    index: number,
  ) {
    super(run.be, run.cfg, stage, index, TEXT_SFT_STEP_METRICS);
  }

  private start(): () => void {
    const { be, data, device, cfg } = this.run;
    const { T, V } = data;
    const B = this.stage.batch;
    const lm = this.run.models.get(this.stage.model)!;
    lm.arena.resetMoments(); // each stage starts its own optimizer
    const pick = this.tensor([B], 'pick', 'i32'); // [B] training windows
    const tokens = this.tensor([B, T], 'tokens', 'i32');
    // Every position of a window counts: the mask is all ones.
    const mask = this.tensor([B * T], 'mask', 'f32', new Float32Array(B * T).fill(1));
    const loss = this.tensor([1], 'loss');
    const train = lm.pass(B, `${this.name}:train`, true);
    this.eval = this.own(new TextEval(this.run, lm, this.name, this.stage.model, this.stream(STAGE_OFFSET.sample)));
    const batchKey = keyOf(cfg.seed, this.stream(STAGE_OFFSET.batch));
    return () => {
      be.tick(this.clock);
      be.random(pick, this.clock, { kind: 'index', n: data.S, ...batchKey });
      be.embeddingForward(tokens, device.windows, pick, T); // [B, T]
      lm.forward(train, tokens);
      be.crossEntropyForward(loss, train.logits, tokens, mask, { R: B * T, V });
      // Backward, in exact reverse order, into gradients zeroed by one fill (plus the pass's activation grads).
      lm.arena.zeroGrad();
      lm.zero(train);
      be.crossEntropyBackward(train.dlogits!, train.logits, tokens, mask, { R: B * T, V });
      lm.backward(train);
      lm.arena.step(this.clock, this.stage.optimizer);
      be.logMetric(this.history, loss, null, this.clock, this.at(0));
    };
  }

  private started(): Program {
    this.program ??= this.be.record(`${this.name}:step`, this.start());
    return this.program;
  }

  protected async replay(n: number): Promise<void> {
    this.be.run(this.started(), n);
  }

  protected async periodMetrics(): Promise<MetricValues> {
    this.started();
    return this.eval.metrics();
  }

  async snapshot(): Promise<TextSnapshot> {
    this.started();
    return this.eval.snapshot(this.done, this.period, this.steps);
  }
}
