// A language model as the text world's stages use it: token ids [B, T] in, next-token logits [B*T, V] out, and the
// backward of that pass. This is the one place of the text world that knows the model's kind.

import type { Backend, Tensor } from '../../engine/backend';
import {
  tokenMlpBackward,
  tokenMlpForward,
  zeroWork,
  type TokenMlp,
  type TokenMlpTensors,
  type TokenMlpWork,
} from '../models/token-mlp';

/** The buffers of one pass over B sequences of T tokens. */
export interface LmPass {
  B: number;
  T: number;
  /** [B*T, V] logits: row b*T + t scores the token at position t given the tokens before it (BOS before 0). */
  logits: Tensor;
  /** [B*T, V] the loss's gradient in the logits, written by the loss backward (training passes only). */
  dlogits: Tensor | null;
  win: Tensor;
  work: TokenMlpWork;
}

export class TextLm {
  private readonly passes: LmPass[] = [];

  constructor(
    private readonly be: Backend,
    readonly model: TokenMlp,
    /** The id read before a sequence starts. */
    readonly bos: number,
  ) {}

  get arena() {
    return this.model.arena;
  }

  /** Tokens the model reads before the one it predicts: a sampler keeps this many. */
  get context(): number {
    return this.model.shape.C;
  }

  /** Buffers for passes over B sequences of T tokens; with grads, for training. Freed with the model. */
  pass(B: number, T: number, label: string, grads: boolean): LmPass {
    const C = this.model.shape.C;
    const win = this.be.tensor([B * T, C], { dtype: 'i32', label: `${label}:win` });
    const work = this.model.work(B * T, label, grads);
    const p = { B, T, logits: work.out, dlogits: work.grad?.dout ?? null, win, work };
    this.passes.push(p);
    return p;
  }

  /** Free every pass's buffers (the model frees its own). */
  release(): void {
    for (const p of this.passes) {
      this.be.release(p.win);
      this.model.releaseWork(p.work);
    }
    this.passes.length = 0;
  }

  /** Issue the logits of every position of tokens [B, T] under P (the parameters, or a frozen copy). */
  forward(p: LmPass, tokens: Tensor, P: TokenMlpTensors = this.model.params): void {
    const s = this.model.shape;
    this.be.window(p.win, tokens, { B: p.B, T: p.T, C: s.C, t0: 0, P: p.T, pad: this.bos });
    tokenMlpForward(this.be, s, P, p.win, p.work);
  }

  /** Issue the logits [B, V] of the token after each row of tokens [B, T] (the pass is over B sequences of 1). */
  forwardNext(p: LmPass, tokens: Tensor, T: number): void {
    const s = this.model.shape;
    this.be.window(p.win, tokens, { B: p.B, T, C: s.C, t0: T, P: 1, pad: this.bos });
    tokenMlpForward(this.be, s, this.model.params, p.win, p.work);
  }

  /** Zero the pass's activation gradients before the loss backward accumulates into dlogits. */
  zero(p: LmPass): void {
    zeroWork(this.be, p.work);
  }

  /** Accumulate the parameter gradients from p.dlogits, in exact reverse order of forward. */
  backward(p: LmPass): void {
    tokenMlpBackward(this.be, this.model.shape, this.model.grads, this.model.params, p.win, p.work);
  }
}
