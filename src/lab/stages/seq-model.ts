// A named model of a sequences run as its stages drive it, whatever its kind (token-MLP or transformer): a pass over
// B sequences of the world's T positions (V next-token logits per position, or one score), its backward into the
// model's gradients, and the logits of one position at a time for sampling. Parameters are named by their flat
// buffer: the model's own (arena.params) or a frozen copy of it (a reference).

import type { Backend, Tensor } from '../../engine/backend';
import type { ParamArena } from '../arena';
import {
  type TokenMlp,
  tokenMlpBackward,
  tokenMlpForward,
  zeroWork,
  type TokenMlpTensors,
  type TokenMlpWork,
} from '../models/token-mlp';
import {
  type Transformer,
  transformerBackward,
  transformerForward,
  zeroTransformerWork,
  type TransformerTensors,
  type TransformerWork,
} from '../models/transformer';

/** What a pass reads of a batch of sequences: the model's input ids (a SeqBatch issues them). */
export interface WindowSource {
  readonly B: number;
  /** [B*T, C] i32: the C tokens before each position (BOS-padded), or with `inclusive` the C ending at it. */
  issueWindows(C: number, inclusive?: boolean): Tensor;
}

/** The buffers of one pass. */
export interface SeqPass {
  readonly B: number;
  readonly out: Tensor; // [B*T, V] logits (or [B*T, 1] scores)
  /** The gradient of out for a training pass (zeroed by zeroPass; the loss backward accumulates into it). */
  readonly dout: Tensor | null;
}

/** Logits [B, V] of one position of B sequences, for ancestral sampling. */
export interface Stepper {
  /** Issue the logits of position t of tokens [B, T] (i32) under the parameters in `flat`. */
  issue(flat: Tensor, tokens: Tensor, t: number): Tensor;
  release(): void;
}

export interface SeqModel {
  readonly name: string;
  readonly arena: ParamArena;
  /** A pass over B sequences; `inclusive`: position t reads the tokens up to t (a reward model scores t). */
  pass(B: number, label: string, train: boolean, inclusive?: boolean): SeqPass;
  /** pass.out = model(batch) under the parameters in `flat`. */
  forward(flat: Tensor, batch: WindowSource, pass: SeqPass): void;
  zeroPass(pass: SeqPass): void;
  /** Accumulates arena.grads from pass.dout, through the model's own parameters as its last forward read them. */
  backward(pass: SeqPass): void;
  releasePass(pass: SeqPass): void;
  stepper(B: number, label: string): Stepper;
  release(): void;
}

/** The sizes of the world a sequences run's models read. */
export interface SeqWorldDims {
  T: number;
  V: number;
  bos: number;
}

interface Pass<W> extends SeqPass {
  work: W;
  inclusive: boolean;
  /** The ids of the last forward, which the backward reads. */
  input: Tensor | null;
}

/** Tensors per flat buffer, made once: a frozen copy is named by its buffer like the parameters. */
function tensorCache<P>(make: (flat: Tensor) => P): (flat: Tensor) => P {
  const cache = new Map<number, P>();
  return (flat) => {
    let p = cache.get(flat.id);
    if (!p) cache.set(flat.id, (p = make(flat)));
    return p;
  };
}

class TokenMlpSeq implements SeqModel {
  private readonly tensors: (flat: Tensor) => TokenMlpTensors;

  constructor(
    private readonly be: Backend,
    private readonly model: TokenMlp,
    private readonly d: SeqWorldDims,
  ) {
    this.tensors = tensorCache((flat) => (flat === model.arena.params ? model.params : model.tensorsIn(flat)));
  }

  get name() {
    return this.model.name;
  }

  get arena() {
    return this.model.arena;
  }

  pass(B: number, label: string, train: boolean, inclusive = false): Pass<TokenMlpWork> {
    const work = this.model.work(B * this.d.T, label, train);
    return { B, out: work.out, dout: work.grad?.dout ?? null, work, inclusive, input: null };
  }

  forward(flat: Tensor, batch: WindowSource, pass: SeqPass): void {
    const p = pass as Pass<TokenMlpWork>;
    p.input = batch.issueWindows(this.model.shape.C, p.inclusive); // [B*T, C]
    tokenMlpForward(this.be, this.model.shape, this.tensors(flat), p.input, p.work);
  }

  zeroPass(pass: SeqPass): void {
    zeroWork(this.be, (pass as Pass<TokenMlpWork>).work);
  }

  backward(pass: SeqPass): void {
    const p = pass as Pass<TokenMlpWork>;
    const m = this.model;
    tokenMlpBackward(this.be, m.shape, m.grads, m.params, p.input!, p.work);
  }

  releasePass(pass: SeqPass): void {
    this.model.releaseWork((pass as Pass<TokenMlpWork>).work);
  }

  /** The C tokens before position t through the MLP: B rows. */
  stepper(B: number, label: string): Stepper {
    const { be, model, d } = this;
    const win = be.tensor([B, model.shape.C], { dtype: 'i32', label: `${label}:win` }); // [B, C]
    const work = model.work(B, label, false); // logits [B, V]
    return {
      issue: (flat, tokens, t) => {
        be.window(win, tokens, { B, T: d.T, C: model.shape.C, t0: t, P: 1, pad: d.bos });
        tokenMlpForward(be, model.shape, this.tensors(flat), win, work);
        return work.out;
      },
      release: () => {
        be.release(win);
        model.releaseWork(work);
      },
    };
  }

  release(): void {
    this.model.release();
  }
}

class TransformerSeq implements SeqModel {
  private readonly tensors: (flat: Tensor) => TransformerTensors;

  constructor(
    private readonly be: Backend,
    private readonly model: Transformer,
    private readonly d: SeqWorldDims,
  ) {
    this.tensors = tensorCache((flat) => (flat === model.arena.params ? model.params : model.tensorsIn(flat)));
  }

  get name() {
    return this.model.name;
  }

  get arena() {
    return this.model.arena;
  }

  pass(B: number, label: string, train: boolean, inclusive = false): Pass<TransformerWork> {
    const work = this.model.work(B, this.d.T, label, train);
    return { B, out: work.out, dout: work.grad?.dout ?? null, work, inclusive, input: null };
  }

  /** Position t reads the token before it (BOS at t = 0), and attends to the positions before: next-token logits. */
  forward(flat: Tensor, batch: WindowSource, pass: SeqPass): void {
    const p = pass as Pass<TransformerWork>;
    p.input = batch.issueWindows(1, p.inclusive); // [B*T, 1] = [B, T]
    transformerForward(this.be, this.model.shape, this.tensors(flat), p.input, p.work);
  }

  zeroPass(pass: SeqPass): void {
    zeroTransformerWork(this.be, (pass as Pass<TransformerWork>).work);
  }

  backward(pass: SeqPass): void {
    const p = pass as Pass<TransformerWork>;
    const m = this.model;
    transformerBackward(this.be, m.shape, m.grads, m.params, p.input!, p.work);
  }

  releasePass(pass: SeqPass): void {
    this.model.releaseWork((pass as Pass<TransformerWork>).work);
  }

  /**
   * The t + 1 positions up to t through the model (a prefix of one pass's buffers), then row t of each sequence:
   * causal attention makes them the logits a pass over the whole sequence would give there.
   */
  stepper(B: number, label: string): Stepper {
    const { be, model, d } = this;
    const { T, V } = d;
    const ids = be.tensor([B, T], { dtype: 'i32', label: `${label}:ids` }); // [B, T]
    const work = model.work(B, T, label, false); // logits [B, T, V]
    const logits = be.tensor([B, V], { label: `${label}:step_logits` }); // [B, V]
    const own = [ids, logits];
    const int = (name: string, n: number, at: (i: number) => number) => {
      const x = be.tensor([n], {
        dtype: 'i32',
        label: `${label}:${name}`,
        data: Int32Array.from({ length: n }, (_, i) => at(i)),
      });
      own.push(x);
      return x;
    };
    const steps = Array.from({ length: T }, (_, t) => {
      const P = t + 1;
      return {
        P,
        ids: be.view(ids, 0, [B, P], `${label}:ids[:${P}]`), // [B, P]
        work: model.prefix(
          work,
          P,
          int(`pos${P}`, B * P, (i) => i % P),
        ), // logits [B, P, V]
        rows: int(`rows${t}`, B, (b) => b * P + t), // [B] the rows of position t
      };
    });
    return {
      issue: (flat, tokens, t) => {
        const s = steps[t];
        be.window(s.ids, tokens, { B, T, C: 1, t0: 0, P: s.P, pad: d.bos });
        transformerForward(be, model.shape, this.tensors(flat), s.ids, s.work);
        be.embeddingForward(logits, s.work.out, s.rows, V);
        return logits;
      },
      release: () => {
        for (const x of own) be.release(x);
        model.releaseWork(work);
      },
    };
  }

  release(): void {
    this.model.release();
  }
}

/** The token-MLP behind the stages' interface. */
export const tokenMlpSeq = (be: Backend, m: TokenMlp, d: SeqWorldDims): SeqModel => new TokenMlpSeq(be, m, d);

/** The transformer behind the stages' interface: it must read the world's T positions. */
export const transformerSeq = (be: Backend, m: Transformer, d: SeqWorldDims): SeqModel => new TransformerSeq(be, m, d);
