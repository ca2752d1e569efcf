// The ops' parameters: sizes, attributes and hyper-parameters, plain data that names no tensor. The Backend
// interface (backend.ts) takes them and re-exports them, so its importers see one module.

import type { PreferenceLossType } from './preference_losses';

export type ActivationKind = 'relu' | 'gelu' | 'silu' | 'tanh';
export const ACTIVATIONS: readonly ActivationKind[] = ['relu', 'gelu', 'silu', 'tanh'];

export type DistillKind = 'forward_kl' | 'reverse_kl' | 'jsd';
export const DISTILL_KINDS: readonly DistillKind[] = ['forward_kl', 'reverse_kl', 'jsd'];

export interface MatmulDims {
  M: number;
  K: number;
  N: number;
  /** a is stored [K,M] and used transposed. */
  transA?: boolean;
  /** b is stored [N,K] and used transposed. */
  transB?: boolean;
  /** c += op(a) op(b) instead of c = op(a) op(b). */
  accumulate?: boolean;
}

export interface LinearDims {
  N: number;
  IN: number;
  OUT: number;
}

export interface RowDims {
  R: number;
  C: number;
}

export interface SequenceDims {
  B: number;
  T: number;
  V: number;
  /** Divide each row's sum by its number of unmasked tokens (IPO, SimPO). */
  average: boolean;
}

export interface PreferenceAttrs {
  lossType: PreferenceLossType;
  beta: number;
  labelSmoothing: number;
  /** SimPO's target margin. */
  gamma: number;
}

export interface DistillAttrs {
  R: number;
  V: number;
  kind: DistillKind;
  /** JSD mixing weight (ignored by the KL kinds). */
  beta: number;
  temperature: number;
  /** Multiply by T^2 (Hinton KD). */
  scaleT2: boolean;
}

export interface AdamWParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export type RandomKind = 'bits' | 'uniform' | 'normal' | 'index';

export interface RandomParams {
  kind: RandomKind;
  /** 64-bit seed as two u32 words: the Philox key. */
  seedLo: number;
  seedHi: number;
  /** Which use of randomness this is (data, init, noise, ...): counter word 1. */
  stream: number;
  /** Normal draws: mean + std * z. Uniform draws: mean + std * u (default 0, 1). */
  mean?: number;
  std?: number;
  /** Index draws (into an i32 tensor): floor(u * n), in [0, n). */
  n?: number;
}

/** Context windows of token ids: window p holds positions t0+p-C .. t0+p-1 of each [B, T] sequence. */
export interface WindowDims {
  B: number;
  T: number;
  /** Tokens per window. */
  C: number;
  /** First position and number of positions (t0 + P <= T + 1: a window never reads past the sequence). */
  t0: number;
  P: number;
  /** The id read before a sequence starts (BOS). */
  pad: number;
  /** Write each window as one mixed-radix id sum_j w_j radix^(C-1-j) (an n-gram index); ids must be < radix. */
  radix?: number;
}

export interface SampleParams {
  B: number;
  T: number;
  V: number;
  /** The column of tokens [B, T] written. */
  t: number;
  /** Softmax temperature (> 0). */
  temperature: number;
  seedLo: number;
  seedHi: number;
  stream: number;
  /** An absorbing end token: where tokens[b, t-1] is `stop`, tokens[b, t] is `stop` too (-1: none). */
  stop: number;
}

export interface PairLabelParams {
  /** Pairs: pair b compares rows b and B + b of the rewards. */
  B: number;
  seedLo: number;
  seedHi: number;
  stream: number;
}

export type MetricMode = 'mean' | 'diff' | 'greater';

/** Where logMetric writes: history[(clock[0] % rows) * M + slot]. */
export interface MetricAt {
  mode: MetricMode;
  slot: number;
  M: number;
  rows: number;
}

/** Layer normalization of R rows of C: biased variance over C, as torch layer_norm. */
export interface LayernormDims extends RowDims {
  eps: number;
}

/** Scaled dot-product attention over [B, H, T, D] tensors, scale 1/sqrt(D). */
export interface AttentionDims {
  B: number;
  H: number;
  T: number;
  D: number;
  /** Key j > query i gets probability 0. */
  causal: boolean;
}

/** Group g of a [B, T, G, H, D] activation and its [B, H, T, D] heads (multi-head attention's split and merge). */
export interface HeadsDims {
  B: number;
  T: number;
  /** Groups side by side in the activation (3 for a fused q, k, v projection). */
  G: number;
  g: number;
  H: number;
  D: number;
  /** Add into the destination instead of overwriting it. */
  accumulate: boolean;
}
