// The layers of a GPT-2 transformer as forward/backward pairs side by side (llm.c style): the encoder (token and
// position embeddings), one pre-LN block (LN -> fused qkv -> causal attention -> projection, residual; LN -> 4x MLP
// with GELU-tanh -> projection, residual) and the head (final LN, then logits). Every backward accumulates (+=) into
// gradients its caller zeroed. Letters: B sequences, T positions, C width, V outputs per position, H heads,
// D = C / H head size, I input ids.

import type { Backend, Tensor } from '../../engine/backend';

/** The sizes one pass needs. */
export interface PassDims {
  B: number;
  T: number;
  C: number;
  H: number;
  V: number;
}

/** One block's parameters (or their gradients). */
export interface BlockTensors {
  ln1g: Tensor; // [C]
  ln1b: Tensor; // [C]
  qkvW: Tensor; // [C, 3C]
  qkvB: Tensor; // [3C]
  projW: Tensor; // [C, C]
  projB: Tensor; // [C]
  ln2g: Tensor; // [C]
  ln2b: Tensor; // [C]
  fcW: Tensor; // [C, 4C]
  fcB: Tensor; // [4C]
  fcProjW: Tensor; // [4C, C]
  fcProjB: Tensor; // [C]
}

/** One block's activations of a pass; the same buffers (statistics left out) hold their gradients. */
export interface BlockActs {
  ln1: Tensor; // [B, T, C]
  qkv: Tensor; // [B, T, 3C]
  q: Tensor; // [B, H, T, D]
  k: Tensor; // [B, H, T, D]
  v: Tensor; // [B, H, T, D]
  att: Tensor; // [B, H, T, D]
  attY: Tensor; // [B, T, C] heads merged
  mid: Tensor; // [B, T, C] residual stream after attention
  ln2: Tensor; // [B, T, C]
  fc: Tensor; // [B, T, 4C]
  fcAct: Tensor; // [B, T, 4C]
  out: Tensor; // [B, T, C] residual stream after the MLP
}

/** The statistics a block's forward saves for its backward. */
export interface BlockStats {
  ln1Mean: Tensor; // [B, T]
  ln1Rstd: Tensor; // [B, T]
  ln2Mean: Tensor; // [B, T]
  ln2Rstd: Tensor; // [B, T]
  lse: Tensor; // [B, H, T]
}

/** GPT-2's layer-norm epsilon. */
const LN_EPS = 1e-5;

/** Buffers of one block for a pass (activations, or their gradients). */
export function blockActs(be: Backend, d: PassDims, label: string): BlockActs {
  const { B, T, C, H } = d;
  const t = (shape: number[], name: string) => be.tensor(shape, { label: `${label}:${name}` });
  const heads = [B, H, T, C / H];
  return {
    ln1: t([B, T, C], 'ln1'),
    qkv: t([B, T, 3 * C], 'qkv'),
    q: t(heads, 'q'),
    k: t(heads, 'k'),
    v: t(heads, 'v'),
    att: t(heads, 'att'),
    attY: t([B, T, C], 'att_y'),
    mid: t([B, T, C], 'mid'),
    ln2: t([B, T, C], 'ln2'),
    fc: t([B, T, 4 * C], 'fc'),
    fcAct: t([B, T, 4 * C], 'fc_act'),
    out: t([B, T, C], 'out'),
  };
}

export function blockStats(be: Backend, { B, T, H }: PassDims, label: string): BlockStats {
  const t = (shape: number[], name: string) => be.tensor(shape, { label: `${label}:${name}` });
  return {
    ln1Mean: t([B, T], 'ln1_mean'),
    ln1Rstd: t([B, T], 'ln1_rstd'),
    ln2Mean: t([B, T], 'ln2_mean'),
    ln2Rstd: t([B, T], 'ln2_rstd'),
    lse: t([B, H, T], 'lse'),
  };
}

// ---- encoder: x[B, T, C] = wte[ids] + wpe[t] ----

/** x[B, T, C] = wte[ids[b, t]] + wpe[t]; posEmb [B, T, C] holds the position part. */
export function encoderForward(
  be: Backend,
  x: Tensor,
  posEmb: Tensor,
  wte: Tensor,
  wpe: Tensor,
  ids: Tensor,
  pos: Tensor,
  d: PassDims,
): void {
  be.embeddingForward(x, wte, ids, d.C); // [B, T, C]
  be.embeddingForward(posEmb, be.view(wpe, 0, [d.T, d.C]), pos, d.C); // [B, T, C]
  be.axpby(x, posEmb, 1, 1);
}

/** dwte[I, C] and dwpe[T, C] += the rows of dx[B, T, C] their ids and positions looked up. */
export function encoderBackward(
  be: Backend,
  dwte: Tensor,
  dwpe: Tensor,
  dx: Tensor,
  ids: Tensor,
  pos: Tensor,
  d: PassDims,
): void {
  // Only the first T rows of the position table are looked up: the scatter-add walks T rows, not the context.
  be.embeddingBackward(be.view(dwpe, 0, [d.T, d.C]), dx, pos, d.C);
  be.embeddingBackward(dwte, dx, ids, d.C);
}

// ---- block ----

/** a.out[B, T, C] = block(x[B, T, C]). */
export function blockForward(be: Backend, d: PassDims, W: BlockTensors, x: Tensor, a: BlockActs, s: BlockStats): void {
  const { B, T, C, H } = d;
  const N = B * T;
  const D = C / H;
  const heads = { B, T, G: 3, H, D, accumulate: false };
  be.layernormForward(a.ln1, s.ln1Mean, s.ln1Rstd, x, W.ln1g, W.ln1b, { R: N, C, eps: LN_EPS });
  be.linearForward(a.qkv, a.ln1, W.qkvW, W.qkvB, { N, IN: C, OUT: 3 * C }); // [B, T, 3C] = [B, T, 3, H, D]
  be.splitHeads(a.q, a.qkv, { ...heads, g: 0 });
  be.splitHeads(a.k, a.qkv, { ...heads, g: 1 });
  be.splitHeads(a.v, a.qkv, { ...heads, g: 2 });
  be.attentionForward(a.att, s.lse, a.q, a.k, a.v, { B, H, T, D, causal: true });
  be.mergeHeads(a.attY, a.att, { B, T, G: 1, g: 0, H, D, accumulate: false });
  be.linearForward(a.mid, a.attY, W.projW, W.projB, { N, IN: C, OUT: C });
  be.axpby(a.mid, x, 1, 1); // residual
  be.layernormForward(a.ln2, s.ln2Mean, s.ln2Rstd, a.mid, W.ln2g, W.ln2b, { R: N, C, eps: LN_EPS });
  be.linearForward(a.fc, a.ln2, W.fcW, W.fcB, { N, IN: C, OUT: 4 * C });
  be.activationForward(a.fcAct, a.fc, 'gelu');
  be.linearForward(a.out, a.fcAct, W.fcProjW, W.fcProjB, { N, IN: 4 * C, OUT: C });
  be.axpby(a.out, a.mid, 1, 1); // residual
}

/** Accumulates G and dx[B, T, C] from g.out (the gradient of a.out), in exact reverse order of blockForward. */
export function blockBackward(
  be: Backend,
  d: PassDims,
  G: BlockTensors,
  dx: Tensor,
  W: BlockTensors,
  x: Tensor,
  a: BlockActs,
  s: BlockStats,
  g: BlockActs,
): void {
  const { B, T, C, H } = d;
  const N = B * T;
  const D = C / H;
  const heads = { B, T, G: 3, H, D, accumulate: true };
  be.axpby(g.mid, g.out, 1, 1); // residual
  be.linearBackward(g.fcAct, G.fcProjW, G.fcProjB, g.out, a.fcAct, W.fcProjW, { N, IN: 4 * C, OUT: C });
  be.activationBackward(g.fc, g.fcAct, a.fc, 'gelu');
  be.linearBackward(g.ln2, G.fcW, G.fcB, g.fc, a.ln2, W.fcW, { N, IN: C, OUT: 4 * C });
  be.layernormBackward(g.mid, G.ln2g, G.ln2b, g.ln2, a.mid, W.ln2g, s.ln2Mean, s.ln2Rstd, { R: N, C, eps: LN_EPS });
  be.axpby(dx, g.mid, 1, 1); // residual
  be.linearBackward(g.attY, G.projW, G.projB, g.mid, a.attY, W.projW, { N, IN: C, OUT: C });
  be.splitHeads(g.att, g.attY, { B, T, G: 1, g: 0, H, D, accumulate: true });
  be.attentionBackward(g.q, g.k, g.v, g.att, a.q, a.k, a.v, a.att, s.lse, { B, H, T, D, causal: true });
  be.mergeHeads(g.qkv, g.v, { ...heads, g: 2 });
  be.mergeHeads(g.qkv, g.k, { ...heads, g: 1 });
  be.mergeHeads(g.qkv, g.q, { ...heads, g: 0 });
  be.linearBackward(g.ln1, G.qkvW, G.qkvB, g.qkv, a.ln1, W.qkvW, { N, IN: C, OUT: 3 * C });
  be.layernormBackward(dx, G.ln1g, G.ln1b, g.ln1, x, W.ln1g, s.ln1Mean, s.ln1Rstd, { R: N, C, eps: LN_EPS });
}

// ---- head: final LN, then logits through the head matrix or the tied token embedding ----

/** The head's parameters: the final LN and either an untied matrix or the first V rows of the token embedding. */
export interface HeadTensors {
  lnfG: Tensor; // [C]
  lnfB: Tensor; // [C]
  /** Untied: [C, V]; null when tied. */
  w: Tensor | null;
  /** Tied: the first V rows of wte, [V, C]; null when untied. */
  tied: Tensor | null;
}

/** logits[B, T, V] = LN(x) W, with lnf [B, T, C] and its statistics lnfMean, lnfRstd [B, T]. */
export function headForward(
  be: Backend,
  d: PassDims,
  W: HeadTensors,
  logits: Tensor,
  lnf: Tensor,
  lnfMean: Tensor,
  lnfRstd: Tensor,
  x: Tensor,
): void {
  const { B, T, C, V } = d;
  const N = B * T;
  be.layernormForward(lnf, lnfMean, lnfRstd, x, W.lnfG, W.lnfB, { R: N, C, eps: LN_EPS });
  if (W.tied) be.matmul(logits, lnf, W.tied, { M: N, K: C, N: V, transB: true });
  else be.linearForward(logits, lnf, W.w!, null, { N, IN: C, OUT: V });
}

/** Accumulates G, dlnf [B, T, C] and dx [B, T, C] from dlogits [B, T, V], in exact reverse order of headForward. */
export function headBackward(
  be: Backend,
  d: PassDims,
  G: HeadTensors,
  dx: Tensor,
  dlnf: Tensor,
  dlogits: Tensor,
  W: HeadTensors,
  lnf: Tensor,
  lnfMean: Tensor,
  lnfRstd: Tensor,
  x: Tensor,
): void {
  const { B, T, C, V } = d;
  const N = B * T;
  if (W.tied) {
    be.matmul(dlnf, dlogits, W.tied, { M: N, K: V, N: C, accumulate: true }); // [B*T, C]
    be.matmul(G.tied!, dlogits, lnf, { M: V, K: N, N: C, transA: true, accumulate: true }); // [V, C]
  } else {
    be.linearBackward(dlnf, G.w!, null, dlogits, lnf, W.w!, { N, IN: C, OUT: V });
  }
  be.layernormBackward(dx, G.lnfG, G.lnfB, dlnf, x, W.lnfG, lnfMean, lnfRstd, { R: N, C, eps: LN_EPS });
}
