// What every text stage reports of the model it trains: held-out NLL and bits per character at each evaluation,
// and samples drawn with the world's temperature and top-k for the Model state panel.

import type { Program, Tensor } from '../../engine/backend';
import { Philox } from '../../engine/rng';
import type { MetricValues } from '../metrics';
import type { TextSnapshot } from '../stage';
import { drawToken, tokenProbability } from '../worlds/text';
import { decodeWith } from '../worlds/text-tokens';
import type { TextRun } from './text-run';
import type { TextLm } from './text-model';

/** Samples of a model drawn on the host, one token at a time, from the logits the device computes. */
export class TextSampler {
  private readonly context: Tensor; // [S, T] i32 the tokens before the one drawn, from position 0
  /** [S, V] the logits a program last issued (set as it is recorded or replayed). */
  private logits: Tensor | null = null;
  /** One program per position drawn at: the logits there given the positions before. */
  private readonly programs: Program[];

  constructor(
    private readonly run: TextRun,
    lm: TextLm,
    label: string,
  ) {
    const { be, data } = run;
    const S = data.world.samples;
    this.context = be.tensor([S, data.T], { dtype: 'i32', label: `${label}:context` });
    const step = lm.stepper(S, `${label}:next`);
    this.programs = Array.from({ length: Math.min(data.T, data.world.sampleLength) }, (_, t) =>
      be.record(`${label}:next${t}`, () => {
        this.logits = step.issue(this.context, t);
      }),
    );
  }

  /**
   * The world's samples, from BOS, with the same draws each time (`stream`): they change only as the model does;
   * with the model's own probability (temperature 1, all tokens) of each character drawn. Past a window, each token
   * is drawn after the last T - 1 drawn, as the model read a training window (BOS, then text from mid-corpus).
   */
  async draw(stream: number): Promise<{ texts: string[]; probs: Float32Array[] }> {
    const { be, data, cfg } = this.run;
    const w = data.world;
    const { T, V } = data;
    const S = w.samples;
    const rng = new Philox(cfg.seed, stream);
    const ctx = new Int32Array(S * T);
    const out = Array.from({ length: S }, () => new Int32Array(w.sampleLength));
    const p = Array.from({ length: S }, () => new Float64Array(w.sampleLength));
    for (let k = 0; k < w.sampleLength; k++) {
      const t = Math.min(k, T - 1);
      for (let s = 0; s < S; s++) ctx.set(out[s].subarray(k - t, k), s * T);
      be.write(this.context, ctx);
      be.run(this.programs[t]);
      const logits = (await be.read(this.logits!)) as Float32Array;
      for (let s = 0; s < S; s++) {
        const row = logits.subarray(s * V, (s + 1) * V);
        const id = drawToken(row, w.temperature, w.topK, rng.uniform());
        out[s][k] = id;
        p[s][k] = tokenProbability(row, id);
      }
    }
    const decoded = out.map((ids, s) => decodeWith(ids, p[s], data.vocab));
    return { texts: decoded.map((d) => d.text), probs: decoded.map((d) => Float32Array.from(d.perChar)) };
  }

  release(): void {
    this.run.be.release(this.context);
  }
}

/** The evaluation of a text stage's model: held-out windows scored on the device, samples drawn per snapshot. */
export class TextEval {
  private readonly program: Program;
  private readonly loss: Tensor;
  private readonly mask: Tensor;
  private readonly sampler: TextSampler;
  private samples: { step: number; texts: string[]; probs: Float32Array[] } | null = null;

  constructor(
    private readonly run: TextRun,
    private readonly lm: TextLm,
    private readonly stage: string,
    private readonly model: string,
    private readonly sampleStream: number,
  ) {
    const { be, data, device } = run;
    const { T, V, H } = data;
    this.loss = be.tensor([1], { label: `${stage}:held_loss` });
    // Every position of a held-out window counts.
    this.mask = be.tensor([H * T], { label: `${stage}:held_mask`, data: new Float32Array(H * T).fill(1) });
    const held = lm.pass(H, `${stage}:held`, false);
    this.program = be.record(`${stage}:eval`, () => {
      lm.forward(held, device.held);
      be.crossEntropyForward(this.loss, held.logits, device.held, this.mask, { R: H * T, V });
    });
    this.sampler = new TextSampler(run, lm, `${stage}:sampler`);
  }

  /** Held-out NLL per token, and bits per character: the NLL of every held-out token over the characters they span. */
  async metrics(): Promise<MetricValues> {
    const d = this.run.data;
    this.run.be.run(this.program);
    const nll = ((await this.run.be.read(this.loss)) as Float32Array)[0];
    return { 'nll/model': nll, bits_per_char: (nll * d.H * d.T) / d.heldChars / Math.LN2 };
  }

  /**
   * Samples of the model, drawn anew once per metric period (and at the stage's end): a draw reads logits back once
   * per token, too often to repeat at every snapshot while training.
   */
  async snapshot(done: number, period: number, steps: number): Promise<TextSnapshot> {
    const at = done >= steps ? steps : done - (done % period);
    if (this.samples?.step !== at) this.samples = { step: at, ...(await this.sampler.draw(this.sampleStream)) };
    const w = this.run.data.world;
    return {
      kind: 'text',
      stage: this.stage,
      model: this.model,
      samples: [...this.samples.texts],
      probs: this.samples.probs.map((p) => p.slice()),
      temperature: w.temperature,
      topK: w.topK,
    };
  }

  release(): void {
    this.sampler.release();
    this.run.be.release(this.loss);
    this.run.be.release(this.mask);
  }
}
