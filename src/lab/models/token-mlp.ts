// The token-MLP language model as an explicit forward/backward pair (llm.c style): embeddings of a window of C
// token ids (BOS-padded) -> concat -> MLP -> OUT values per position (next-token logits, or one score for a
// reward model). Teacher, student and reward model are this code at different sizes.

import type { ActivationKind, Backend, Tensor } from '../../engine/backend';
import { Philox } from '../../engine/rng';
import { ParamArena } from '../arena';
import {
  mlpActs,
  mlpBackward,
  mlpForward,
  mlpParamCount,
  mlpParams,
  mlpTensors,
  type Linear,
  type MlpActs,
  type MlpShape,
} from './mlp';

/** The architecture fields of a token-MLP model's config. */
export interface TokenMlpArch {
  kind: 'token-mlp';
  context: number;
  embed: number;
  width: number;
  depth: number;
  activation: ActivationKind;
  initScale: number;
}

/** The MLP over a window's concatenated embeddings, with OUT values per position. */
export function tokenMlpBody(cfg: Omit<TokenMlpArch, 'initScale'>, OUT: number): MlpShape {
  return { IN: cfg.context * cfg.embed, OUT, width: cfg.width, depth: cfg.depth, activation: cfg.activation };
}

/** Parameters of a model over `ids` input ids with OUT outputs: its embedding table and its MLP. */
export function tokenMlpParamCount(cfg: Omit<TokenMlpArch, 'initScale'>, ids: number, OUT: number): number {
  return ids * cfg.embed + mlpParamCount(tokenMlpBody(cfg, OUT));
}

export interface TokenMlpShape {
  /** Input ids: the tokens and BOS. */
  ids: number;
  /** Window length. */
  C: number;
  /** Embedding width. */
  E: number;
  OUT: number;
  mlp: MlpShape;
}

/** A model's tensors: its parameters, their gradients, or a frozen copy. */
export interface TokenMlpTensors {
  embed: Tensor; // [ids, E]
  layers: Linear[];
}

/** The buffers of a pass over N windows. */
export interface TokenMlpWork {
  N: number;
  x: Tensor; // [N, C*E] concatenated embeddings
  out: Tensor; // [N, OUT] logits (or scores)
  acts: MlpActs;
  /** Gradients, when the pass trains: zeroed by zeroWork before the loss backward writes dout. */
  grad: { dx: Tensor; dout: Tensor; acts: MlpActs } | null;
}

export class TokenMlp {
  readonly arena: ParamArena;
  readonly shape: TokenMlpShape;
  readonly params: TokenMlpTensors;
  readonly grads: TokenMlpTensors;
  private readonly works: TokenMlpWork[] = [];

  /** Initial weights from the host Philox stream `stream`: embeddings N(0, scale^2), layers N(0, scale^2 / fan_in). */
  constructor(
    private readonly be: Backend,
    readonly name: string,
    cfg: TokenMlpArch,
    ids: number,
    OUT: number,
    seed: number,
    stream: number,
  ) {
    const E = cfg.embed;
    const C = cfg.context;
    const mlp = tokenMlpBody(cfg, OUT);
    this.shape = { ids, C, E, OUT, mlp };
    const rng = new Philox(seed, stream);
    const embed = Float32Array.from({ length: ids * E }, () => cfg.initScale * rng.normal());
    this.arena = new ParamArena(
      be,
      [{ name: 'embed', shape: [ids, E], init: embed }, ...mlpParams('', mlp, rng, cfg.initScale)],
      name,
    );
    this.params = this.tensors((n) => this.arena.param(n));
    this.grads = this.tensors((n) => this.arena.grad(n));
  }

  private tensors(get: (name: string) => Tensor): TokenMlpTensors {
    return { embed: get('embed'), layers: mlpTensors('', this.shape.mlp, get) };
  }

  /** The same tensors at the arena's offsets in another flat buffer of its length (a frozen copy). */
  tensorsIn(flat: Tensor): TokenMlpTensors {
    const byName = new Map(this.arena.entries.map((e) => [e.name, e]));
    return this.tensors((n) => {
      const e = byName.get(n)!;
      return this.be.view(flat, e.offset, e.shape, `${flat.label}:${n}`);
    });
  }

  /** Buffers for a pass over N windows; with grads, for a training pass. Freed with the model. */
  work(N: number, label: string, grads: boolean): TokenMlpWork {
    const { C, E, OUT, mlp } = this.shape;
    const t = (shape: number[], name: string) => this.be.tensor(shape, { label: `${label}:${name}` });
    const w: TokenMlpWork = {
      N,
      x: t([N, C * E], 'x'),
      out: t([N, OUT], 'out'),
      acts: mlpActs(this.be, mlp, N, `${label}:act`),
      grad: grads
        ? { dx: t([N, C * E], 'dx'), dout: t([N, OUT], 'dout'), acts: mlpActs(this.be, mlp, N, `${label}:dact`) }
        : null,
    };
    this.works.push(w);
    return w;
  }

  /** Free a pass's buffers before the model goes (a one-off pass, such as generating a dataset). */
  releaseWork(w: TokenMlpWork): void {
    const g = w.grad;
    for (const t of [w.x, w.out, ...w.acts.pre, ...w.acts.post]) this.be.release(t);
    if (g) for (const t of [g.dx, g.dout, ...g.acts.pre, ...g.acts.post]) this.be.release(t);
    this.works.splice(this.works.indexOf(w), 1);
  }

  release(): void {
    for (const w of [...this.works]) this.releaseWork(w);
    this.arena.release();
  }
}

/** w.out[N, OUT] = model(ids[N, C]) with the tensors P (the model's parameters or a frozen copy). */
export function tokenMlpForward(be: Backend, s: TokenMlpShape, P: TokenMlpTensors, ids: Tensor, w: TokenMlpWork): void {
  be.embeddingForward(w.x, P.embed, ids, s.E); // [N*C, E] = [N, C*E]
  mlpForward(be, w.out, w.x, P.layers, w.acts, s.mlp, w.N); // [N, OUT]
}

/** Zero a training pass's activation gradients (dout included): the loss backward accumulates into dout. */
export function zeroWork(be: Backend, w: TokenMlpWork): void {
  const g = w.grad!;
  for (const t of [g.dx, g.dout, ...g.acts.pre, ...g.acts.post]) be.fill(t, 0);
}

/** Accumulates the parameter gradients G from w.grad.dout, in exact reverse order of tokenMlpForward. */
export function tokenMlpBackward(
  be: Backend,
  s: TokenMlpShape,
  G: TokenMlpTensors,
  P: TokenMlpTensors,
  ids: Tensor,
  w: TokenMlpWork,
): void {
  const g = w.grad!;
  mlpBackward(be, g.dx, G.layers, g.dout, w.x, P.layers, w.acts, g.acts, s.mlp, w.N); // dx [N, C*E]
  be.embeddingBackward(G.embed, g.dx, ids, s.E); // [ids, E]
}
