// A language model as the text world's stages use it, whatever its kind (token-MLP or transformer): token ids [B, T]
// in, next-token logits [B*T, V] out, the backward of that pass, and the logits after a prefix for sampling. It drives
// the model through the sequences world's SeqModel. This is the one place of the text world that knows the model's
// kind.

import type { Backend, Tensor } from '../../engine/backend';
import type { ModelConfig } from '../config';
import { TokenMlp } from '../models/token-mlp';
import { Transformer } from '../models/transformer';
import { modelStream } from '../streams';
import {
  tokenMlpSeq,
  transformerSeq,
  type SeqModel,
  type SeqPass,
  type SeqWorldDims,
  type Stepper,
  type WindowSource,
} from './seq-model';

/** Token ids [B, T] as the model reads them: each position's C tokens before it, BOS-padded, made on demand. */
class TokenWindows implements WindowSource {
  tokens: Tensor | null = null;
  private readonly windows = new Map<number, Tensor>();

  constructor(
    private readonly be: Backend,
    readonly B: number,
    private readonly d: SeqWorldDims,
    private readonly label: string,
  ) {}

  issueWindows(C: number, inclusive = false): Tensor {
    if (inclusive) throw new Error('a text language model reads the tokens before each position');
    const { T, bos } = this.d;
    let win = this.windows.get(C);
    if (!win) {
      win = this.be.tensor([this.B * T, C], { dtype: 'i32', label: `${this.label}:win${C}` });
      this.windows.set(C, win);
    }
    this.be.window(win, this.tokens!, { B: this.B, T, C, t0: 0, P: T, pad: bos });
    return win;
  }

  release(): void {
    for (const w of this.windows.values()) this.be.release(w);
  }
}

/** The buffers of one pass over B windows of the world's T tokens. */
export interface LmPass {
  readonly B: number;
  /** [B*T, V] logits: row b*T + t scores the token at position t given the tokens before it (BOS before 0). */
  readonly logits: Tensor;
  /** [B*T, V] the loss's gradient in the logits, written by the loss backward (training passes only). */
  readonly dlogits: Tensor | null;
  readonly seq: SeqPass;
  readonly input: TokenWindows;
}

export class TextLm {
  private readonly passes: LmPass[] = [];
  private readonly steppers: Stepper[] = [];

  constructor(
    private readonly be: Backend,
    private readonly model: SeqModel,
    private readonly d: SeqWorldDims,
  ) {}

  get arena() {
    return this.model.arena;
  }

  /** Buffers for passes over B windows; with grads, for training. Freed by release. */
  pass(B: number, label: string, grads: boolean): LmPass {
    const seq = this.model.pass(B, label, grads);
    const p = { B, logits: seq.out, dlogits: seq.dout, seq, input: new TokenWindows(this.be, B, this.d, label) };
    this.passes.push(p);
    return p;
  }

  /**
   * Logits [B, V] of position t of tokens [B, T] given the tokens before it (BOS before position 0), under the
   * model's parameters: what a sampler draws the next token from. Freed by release.
   */
  stepper(B: number, label: string): { issue(tokens: Tensor, t: number): Tensor } {
    const s = this.model.stepper(B, label);
    this.steppers.push(s);
    return { issue: (tokens, t) => s.issue(this.arena.params, tokens, t) };
  }

  /** Issue the logits of every position of tokens [B, T] under `flat`: the parameters, or a frozen copy of them. */
  forward(p: LmPass, tokens: Tensor, flat: Tensor = this.arena.params): void {
    p.input.tokens = tokens;
    this.model.forward(flat, p.input, p.seq);
  }

  /** Zero the pass's activation gradients before the loss backward accumulates into dlogits. */
  zero(p: LmPass): void {
    this.model.zeroPass(p.seq);
  }

  /** Accumulate the parameter gradients from p.dlogits, through the tokens its last forward read. */
  backward(p: LmPass): void {
    this.model.backward(p.seq);
  }

  /** Free every pass's and sampler's buffers (release the model itself with dispose). */
  release(): void {
    for (const p of this.passes) {
      p.input.release();
      this.model.releasePass(p.seq);
    }
    for (const s of this.steppers) s.release();
    this.passes.length = 0;
    this.steppers.length = 0;
  }

  /** Free the model's parameters. */
  dispose(): void {
    this.release();
    this.model.release();
  }
}

/** The named model `m` (the i-th of the config) over the text's tokens and BOS, with V next-token logits. */
export function textLm(be: Backend, name: string, m: ModelConfig, i: number, d: SeqWorldDims, seed: number): TextLm {
  const I = d.V + 1;
  const seq =
    m.kind === 'transformer'
      ? transformerSeq(be, new Transformer(be, name, m, I, d.V, seed, i), d)
      : tokenMlpSeq(be, new TokenMlp(be, name, m, I, d.V, seed, modelStream(i)), d);
  return new TextLm(be, seq, d);
}
