// A GPT-2 transformer language model, llm.c style: token ids [B, T] -> logits [B, T, V] (or one score per position for
// a reward model). Parameters, gradients and Adam moments each live in one flat buffer (ParamArena); the model's
// backward calls the layers of transformer-blocks.ts in exact reverse order of its forward. Letters: B sequences,
// T positions, C width, V outputs per position, H heads, D = C / H head size, I input ids, L layers.

import type { Backend, Tensor } from '../../engine/backend';
import { Philox } from '../../engine/rng';
import { ParamArena, type ParamSpec } from '../arena';
import { tensorStream } from '../streams';
import {
  blockActs,
  blockBackward,
  blockForward,
  blockStats,
  encoderBackward,
  encoderForward,
  headBackward,
  headForward,
  type BlockActs,
  type BlockStats,
  type BlockTensors,
  type HeadTensors,
  type PassDims,
} from './transformer-blocks';

/** The architecture fields of a transformer's config. */
export interface TransformerArch {
  kind: 'transformer';
  layers: number;
  heads: number;
  width: number;
  /** Positions of the learned position table: the longest sequence the model reads. */
  context: number;
  /** The logits reuse the token embedding (no head matrix). */
  tiedHead: boolean;
}

/** Parameters of a block: two LNs, the fused qkv and output projections, and the 4x MLP (weights and biases). */
const blockParamCount = (C: number) => 12 * C * C + 13 * C;

/** Parameters of a transformer over I input ids with V outputs per position (what the arena holds, unpadded). */
export function transformerParamCount(cfg: Omit<TransformerArch, 'kind'>, I: number, V: number): number {
  const C = cfg.width;
  return I * C + cfg.context * C + cfg.layers * blockParamCount(C) + 2 * C + (cfg.tiedHead ? 0 : C * V);
}

/**
 * Floats of the buffers of a pass over B sequences of T positions (the memory estimate's share of a transformer's
 * activations): per block 20 floats per position and C (ln1, qkv, q, k, v, att, attY, mid, ln2, fc, fcAct, out) and
 * its statistics, with their gradients when training (a pass that does not train reuses one block's buffers); the
 * embeddings, final LN and logits.
 */
export function transformerWorkFloats(
  cfg: Omit<TransformerArch, 'kind'>,
  B: number,
  T: number,
  V: number,
  train: boolean,
): number {
  const C = cfg.width;
  const N = B * T;
  const block = (train ? 2 : 1) * 20 * N * C + 4 * N + N * cfg.heads;
  const rest = 3 * N * C + N * V + 3 * N;
  return train ? cfg.layers * block + rest + 2 * N * C + N * V : block + rest;
}

export interface TransformerShape {
  I: number;
  V: number;
  C: number;
  H: number;
  L: number;
  context: number;
  tied: boolean;
}

/** A model's tensors: its parameters, their gradients, or a frozen copy. */
export interface TransformerTensors {
  wte: Tensor; // [I, C]
  wpe: Tensor; // [context, C]
  blocks: BlockTensors[];
  head: HeadTensors;
}

/** The buffers of a pass over B sequences of T positions. */
export interface TransformerWork {
  B: number;
  T: number;
  pos: Tensor; // [B, T] i32 position of each row
  x: Tensor; // [B, T, C] embeddings, the residual stream into block 0
  posEmb: Tensor; // [B, T, C]
  blocks: BlockActs[];
  stats: BlockStats[];
  lnf: Tensor; // [B, T, C]
  lnfMean: Tensor; // [B, T]
  lnfRstd: Tensor; // [B, T]
  out: Tensor; // [B, T, V] logits (or scores)
  /** Gradients, when the pass trains: zeroed by zeroTransformerWork before the loss backward writes dout. */
  grad: { dx: Tensor; blocks: BlockActs[]; dlnf: Tensor; dout: Tensor } | null;
}

/** GPT-2's initial weights: N(0, 0.02^2), the projections into the residual stream scaled by 1/sqrt(2L). */
const INIT_STD = 0.02;

export class Transformer {
  readonly arena: ParamArena;
  readonly shape: TransformerShape;
  readonly params: TransformerTensors;
  readonly grads: TransformerTensors;
  private readonly works: TransformerWork[] = [];

  /** Each weight matrix from its own Philox stream tensorStream(index, t); biases 0, LN gains 1. */
  constructor(
    private readonly be: Backend,
    readonly name: string,
    cfg: TransformerArch,
    I: number,
    V: number,
    seed: number,
    index: number,
  ) {
    const { width: C, heads: H, layers: L, context } = cfg;
    if (C % H !== 0) throw new Error(`${name}: width ${C} is not a multiple of heads ${H}`);
    if (cfg.tiedHead && V > I) throw new Error(`${name}: a tied head needs at most ${I} outputs (got ${V})`);
    this.shape = { I, V, C, H, L, context, tied: cfg.tiedHead };
    let draws = 0;
    const normal = (shape: number[], std: number): ParamSpec['init'] => {
      const rng = new Philox(seed, tensorStream(index, draws++));
      return Float32Array.from({ length: shape[0] * shape[1] }, () => std * rng.normal());
    };
    const spec = (name: string, shape: number[], init: ParamSpec['init']): ParamSpec => ({ name, shape, init });
    const zeros = (name: string, n: number) => spec(name, [n], new Float32Array(n));
    const ones = (name: string, n: number) => spec(name, [n], new Float32Array(n).fill(1));
    const residual = INIT_STD / Math.sqrt(2 * L);
    const specs: ParamSpec[] = [
      spec('wte', [I, C], normal([I, C], INIT_STD)),
      spec('wpe', [context, C], normal([context, C], INIT_STD)),
    ];
    for (let l = 0; l < L; l++) {
      const p = `h${l}.`;
      specs.push(
        ones(`${p}ln1.g`, C),
        zeros(`${p}ln1.b`, C),
        spec(`${p}qkv.w`, [C, 3 * C], normal([C, 3 * C], INIT_STD)),
        zeros(`${p}qkv.b`, 3 * C),
        spec(`${p}proj.w`, [C, C], normal([C, C], residual)),
        zeros(`${p}proj.b`, C),
        ones(`${p}ln2.g`, C),
        zeros(`${p}ln2.b`, C),
        spec(`${p}fc.w`, [C, 4 * C], normal([C, 4 * C], INIT_STD)),
        zeros(`${p}fc.b`, 4 * C),
        spec(`${p}fc_proj.w`, [4 * C, C], normal([4 * C, C], residual)),
        zeros(`${p}fc_proj.b`, C),
      );
    }
    specs.push(ones('lnf.g', C), zeros('lnf.b', C));
    if (!cfg.tiedHead) specs.push(spec('head.w', [C, V], normal([C, V], INIT_STD)));
    this.arena = new ParamArena(be, specs, name);
    this.params = this.tensorsIn(this.arena.params);
    this.grads = this.tensorsIn(this.arena.grads);
  }

  /** The tensors at the arena's offsets in a flat buffer of its length: the parameters, the gradients or a copy. */
  tensorsIn(flat: Tensor): TransformerTensors {
    const { C, L, V, tied } = this.shape;
    const byName = new Map(this.arena.entries.map((e) => [e.name, e]));
    const get = (n: string) => {
      const e = byName.get(n)!;
      return this.be.view(flat, e.offset, e.shape, `${flat.label}:${n}`);
    };
    const wte = get('wte');
    return {
      wte,
      wpe: get('wpe'),
      blocks: Array.from({ length: L }, (_, l) => {
        const p = `h${l}.`;
        return {
          ln1g: get(`${p}ln1.g`),
          ln1b: get(`${p}ln1.b`),
          qkvW: get(`${p}qkv.w`),
          qkvB: get(`${p}qkv.b`),
          projW: get(`${p}proj.w`),
          projB: get(`${p}proj.b`),
          ln2g: get(`${p}ln2.g`),
          ln2b: get(`${p}ln2.b`),
          fcW: get(`${p}fc.w`),
          fcB: get(`${p}fc.b`),
          fcProjW: get(`${p}fc_proj.w`),
          fcProjB: get(`${p}fc_proj.b`),
        };
      }),
      head: {
        lnfG: get('lnf.g'),
        lnfB: get('lnf.b'),
        w: tied ? null : get('head.w'),
        tied: tied ? this.be.view(wte, 0, [V, C], `${flat.label}:wte_head`) : null,
      },
    };
  }

  /** The sizes of a pass over B sequences of T positions. */
  dims(B: number, T: number): PassDims {
    const { C, H, V } = this.shape;
    return { B, T, C, H, V };
  }

  /** Buffers for a pass over B sequences of T <= context positions; with grads, for a training pass. */
  work(B: number, T: number, label: string, grads: boolean): TransformerWork {
    const { C, L, V, context } = this.shape;
    if (T > context) throw new Error(`${this.name}: ${T} positions exceed the context of ${context}`);
    const d = this.dims(B, T);
    const t = (shape: number[], name: string) => this.be.tensor(shape, { label: `${label}:${name}` });
    const pos = Int32Array.from({ length: B * T }, (_, i) => i % T);
    // A pass that does not train keeps no block's activations for a backward: every block reuses one set of
    // buffers (block l reads its input before it overwrites `out`, which is that input for l > 0).
    const perBlock = <X>(shared: () => X, own: (l: number) => X): X[] => {
      if (grads) return Array.from({ length: L }, (_, l) => own(l));
      return Array<X>(L).fill(shared());
    };
    const w: TransformerWork = {
      B,
      T,
      pos: this.be.tensor([B, T], { dtype: 'i32', label: `${label}:pos`, data: pos }),
      x: t([B, T, C], 'x'),
      posEmb: t([B, T, C], 'pos_emb'),
      blocks: perBlock(
        () => blockActs(this.be, d, `${label}:h`),
        (l) => blockActs(this.be, d, `${label}:h${l}`),
      ),
      stats: perBlock(
        () => blockStats(this.be, d, `${label}:h`),
        (l) => blockStats(this.be, d, `${label}:h${l}`),
      ),
      lnf: t([B, T, C], 'lnf'),
      lnfMean: t([B, T], 'lnf_mean'),
      lnfRstd: t([B, T], 'lnf_rstd'),
      out: t([B, T, V], 'out'),
      grad: grads
        ? {
            dx: t([B, T, C], 'dx'),
            blocks: Array.from({ length: L }, (_, l) => blockActs(this.be, d, `${label}:dh${l}`)),
            dlnf: t([B, T, C], 'dlnf'),
            dout: t([B, T, V], 'dout'),
          }
        : null,
    };
    this.works.push(w);
    return w;
  }

  /**
   * The first P positions of a pass that does not train, in views of the front of its buffers (a forward writes
   * every buffer before it reads it, so a shorter pass runs in a longer one's memory); pos: its [B, P] positions.
   * Sampling position t needs only the t + 1 positions up to it.
   */
  prefix(w: TransformerWork, P: number, pos: Tensor): TransformerWork {
    if (w.grad) throw new Error(`${this.name}: a training pass keeps its activations whole`);
    if (P > w.T) throw new Error(`${this.name}: a prefix of ${P} positions of a pass of ${w.T}`);
    const views = new Map<Tensor, Tensor>();
    // Any dimension equal to T gives the same element count, which is all a scratch view needs.
    const cut = (x: Tensor): Tensor => {
      let v = views.get(x);
      if (!v) {
        const at = x.shape.indexOf(w.T, 1);
        v = this.be.view(
          x,
          0,
          x.shape.map((n, j) => (j === at ? P : n)),
          `${x.label}[:${P}]`,
        );
        views.set(x, v);
      }
      return v;
    };
    const cutAll = <X extends object>(a: X): X =>
      Object.fromEntries(Object.entries(a).map(([k, x]) => [k, cut(x as Tensor)])) as X;
    return {
      B: w.B,
      T: P,
      pos,
      x: cut(w.x),
      posEmb: cut(w.posEmb),
      blocks: w.blocks.map(cutAll),
      stats: w.stats.map(cutAll),
      lnf: cut(w.lnf),
      lnfMean: cut(w.lnfMean),
      lnfRstd: cut(w.lnfRstd),
      out: cut(w.out),
      grad: null,
    };
  }

  releaseWork(w: TransformerWork): void {
    const g = w.grad;
    const own = [w.pos, w.x, w.posEmb, w.lnf, w.lnfMean, w.lnfRstd, w.out];
    for (const a of new Set([...w.blocks, ...w.stats])) own.push(...Object.values(a));
    if (g) {
      own.push(g.dx, g.dlnf, g.dout);
      for (const a of g.blocks) own.push(...Object.values(a));
    }
    for (const t of own) this.be.release(t);
    this.works.splice(this.works.indexOf(w), 1);
  }

  release(): void {
    for (const w of [...this.works]) this.releaseWork(w);
    this.arena.release();
  }
}

/** The residual stream into block l (the embeddings for block 0), or out of the last block for l = L. */
const streamInto = (w: TransformerWork, l: number): Tensor => (l === 0 ? w.x : w.blocks[l - 1].out);

/** w.out[B, T, V] = model(ids[B, T]) with the tensors P (the model's parameters or a frozen copy). */
export function transformerForward(
  be: Backend,
  s: TransformerShape,
  P: TransformerTensors,
  ids: Tensor,
  w: TransformerWork,
): void {
  const d: PassDims = { B: w.B, T: w.T, C: s.C, H: s.H, V: s.V };
  encoderForward(be, w.x, w.posEmb, P.wte, P.wpe, ids, w.pos, d);
  for (let l = 0; l < s.L; l++) blockForward(be, d, P.blocks[l], streamInto(w, l), w.blocks[l], w.stats[l]);
  headForward(be, d, P.head, w.out, w.lnf, w.lnfMean, w.lnfRstd, streamInto(w, s.L));
}

/** Zero a training pass's activation gradients (dout included): the loss backward accumulates into dout. */
export function zeroTransformerWork(be: Backend, w: TransformerWork): void {
  const g = w.grad!;
  for (const t of [g.dx, g.dlnf, g.dout]) be.fill(t, 0);
  for (const a of g.blocks) for (const t of Object.values(a)) be.fill(t, 0);
}

/** Accumulates the parameter gradients G from w.grad.dout, in exact reverse order of transformerForward. */
export function transformerBackward(
  be: Backend,
  s: TransformerShape,
  G: TransformerTensors,
  P: TransformerTensors,
  ids: Tensor,
  w: TransformerWork,
): void {
  const g = w.grad!;
  const d: PassDims = { B: w.B, T: w.T, C: s.C, H: s.H, V: s.V };
  const gradInto = (l: number) => (l === 0 ? g.dx : g.blocks[l - 1].out);
  headBackward(be, d, G.head, gradInto(s.L), g.dlnf, g.dout, P.head, w.lnf, w.lnfMean, w.lnfRstd, streamInto(w, s.L));
  for (let l = s.L - 1; l >= 0; l--) {
    blockBackward(be, d, G.blocks[l], gradInto(l), P.blocks[l], streamInto(w, l), w.blocks[l], w.stats[l], g.blocks[l]);
  }
  encoderBackward(be, G.wte, G.wpe, g.dx, ids, w.pos, d);
}
