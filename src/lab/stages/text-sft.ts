// Supervised fine-tuning on the text world: next-token cross-entropy on windows of the corpus drawn with the stage's
// Philox stream, held-out NLL and bits per character at each evaluation, and samples drawn with the world's
// temperature and top-k for the Model state panel.

import type { Program, Tensor } from '../../engine/backend';
import { Philox } from '../../engine/rng';
import type { SftStage } from '../config';
import type { MetricValues } from '../metrics';
import { RecordedStage, type TextSnapshot } from '../stage';
import { STAGE_OFFSET } from '../streams';
import { drawToken } from '../worlds/text';
import { decode } from '../worlds/text-tokens';
import { keyOf } from './sequence-kit';
import type { TextRun } from './text';
import type { LmPass, TextLm } from './text-model';

export const TEXT_SFT_STEP_METRICS = ['loss'] as const;

/** Samples of a model drawn on the host, one token at a time, from the logits the device computes. */
export class TextSampler {
  private readonly context: Tensor; // [S, C] i32 the tokens before the one drawn
  private readonly pass: LmPass;
  private readonly program: Program;

  constructor(
    private readonly run: TextRun,
    private readonly lm: TextLm,
    label: string,
  ) {
    const { be, data } = run;
    const S = data.world.samples;
    this.context = be.tensor([S, lm.context], { dtype: 'i32', label: `${label}:context` });
    this.pass = lm.pass(S, 1, `${label}:next`, false);
    this.program = be.record(`${label}:next`, () => lm.forwardNext(this.pass, this.context, lm.context));
  }

  /** The world's samples, from BOS, with the same draws each time (`stream`): they change only as the model does. */
  async draw(stream: number): Promise<string[]> {
    const { be, data, cfg } = this.run;
    const w = data.world;
    const S = w.samples;
    const C = this.lm.context;
    const V = data.V;
    const rng = new Philox(cfg.seed, stream);
    const ctx = new Int32Array(S * C).fill(data.bos);
    const out = Array.from({ length: S }, () => new Int32Array(w.sampleLength));
    for (let t = 0; t < w.sampleLength; t++) {
      be.write(this.context, ctx);
      be.run(this.program);
      const logits = (await be.read(this.pass.logits)) as Float32Array;
      for (let s = 0; s < S; s++) {
        const id = drawToken(logits.subarray(s * V, (s + 1) * V), w.temperature, w.topK, rng.uniform());
        out[s][t] = id;
        ctx.copyWithin(s * C, s * C + 1, (s + 1) * C);
        ctx[(s + 1) * C - 1] = id;
      }
    }
    return out.map((ids) => decode(ids, data.vocab));
  }

  release(): void {
    this.run.be.release(this.context);
  }
}

export class TextSftStageRunner extends RecordedStage {
  private program: Program | null = null;
  private evalProgram!: Program;
  private heldLoss!: Tensor;
  private sampler!: TextSampler;
  private samples: { step: number; texts: string[] } | null = null;

  constructor(
    private readonly run: TextRun,
    private readonly stage: SftStage,
    index: number,
  ) {
    super(run.be, run.cfg, stage, index, TEXT_SFT_STEP_METRICS);
  }

  private lm(): TextLm {
    const m = this.run.models.get(this.stage.model);
    if (!m) throw new Error(`${this.name}: no model named ${this.stage.model}`);
    return m;
  }

  private start(): () => void {
    const { be, data, device, cfg } = this.run;
    const { T, V, H } = data;
    const B = this.stage.batch;
    const lm = this.lm();
    lm.arena.resetMoments(); // each stage starts its own optimizer
    const pick = this.tensor([B], 'pick', 'i32'); // [B] training windows
    const tokens = this.tensor([B, T], 'tokens', 'i32');
    // Every position of a window counts: the masks are all ones.
    const mask = this.tensor([B * T], 'mask', 'f32', new Float32Array(B * T).fill(1));
    const heldMask = this.tensor([H * T], 'held_mask', 'f32', new Float32Array(H * T).fill(1));
    const loss = this.tensor([1], 'loss');
    const train = lm.pass(B, T, `${this.name}:train`, true);
    const held = lm.pass(H, T, `${this.name}:held`, false);
    this.heldLoss = this.tensor([1], 'held_loss');
    this.evalProgram = be.record(`${this.name}:eval`, () => {
      lm.forward(held, device.held);
      be.crossEntropyForward(this.heldLoss, held.logits, device.held, heldMask, { R: H * T, V });
    });
    this.sampler = this.own(new TextSampler(this.run, lm, `${this.name}:sampler`));
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
      this.be.logMetric(this.history, loss, null, this.clock, this.at(0));
    };
  }

  private started(): Program {
    this.program ??= this.be.record(`${this.name}:step`, this.start());
    return this.program;
  }

  protected async replay(n: number): Promise<void> {
    this.be.run(this.started(), n);
  }

  /** Held-out NLL per token, and bits per character: the NLL of every held-out token over the characters they span. */
  protected async periodMetrics(): Promise<MetricValues> {
    this.started();
    const d = this.run.data;
    this.be.run(this.evalProgram);
    const nll = ((await this.be.read(this.heldLoss)) as Float32Array)[0];
    return { 'nll/model': nll, bits_per_char: (nll * d.H * d.T) / d.heldChars / Math.LN2 };
  }

  async snapshot(): Promise<TextSnapshot> {
    this.started();
    if (this.samples?.step !== this.done)
      this.samples = { step: this.done, texts: await this.sampler.draw(this.stream(STAGE_OFFSET.sample)) };
    const w = this.run.data.world;
    return {
      kind: 'text',
      stage: this.name,
      model: this.stage.model,
      samples: [...this.samples.texts],
      temperature: w.temperature,
      topK: w.topK,
    };
  }
}
