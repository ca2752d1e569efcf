// The Backend interface: tensors that live on a device and the ops of OPS.md, implemented twice (webgpu, cpu).

import type {
  ActivationKind,
  AdamWParams,
  AttentionDims,
  DistillAttrs,
  HeadsDims,
  LayernormDims,
  LinearDims,
  MatmulDims,
  MetricAt,
  PairLabelParams,
  PreferenceAttrs,
  RandomParams,
  RowDims,
  SampleParams,
  SequenceDims,
  WindowDims,
} from './op-params';

export * from './op-params';

export type DType = 'f32' | 'i32' | 'u32';
export type TypedArray = Float32Array | Int32Array | Uint32Array;

/** A handle to device memory. Data stays on the device until read with `Backend.read`. */
export interface Tensor {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** Offset in elements into the storage it views (0 for a tensor that owns its storage). */
  readonly offset: number;
  readonly label: string;
}

/** What a backend runs on: the adapter for webgpu, the reason for the fallback for cpu. */
export interface BackendInfo {
  kind: 'webgpu' | 'cpu';
  vendor: string;
  architecture: string;
  description: string;
  /** Why this is the CPU backend (WebGPU missing, forced by the user, ...). */
  reason?: string;
  limits: Record<string, number>;
  features: string[];
  /** The matmul kernel variant in use (webgpu), chosen by the start-up autotune when it ran. */
  matmul?: { variant: string; gflops: Record<string, number>; source: 'autotune' | 'cache' | 'default' };
}

/** A recorded sequence of ops, replayed by `Backend.run` without re-encoding work on the JS side. */
export interface Program {
  readonly label: string;
  /** Dispatches per replay (0 on the CPU backend). */
  readonly dispatches: number;
}

export interface PreferenceOutputs {
  losses: Tensor; // [B]
  loss: Tensor; // [1] mean of losses
  chosenRewards: Tensor; // [B]
  rejectedRewards: Tensor; // [B]
  /** d loss / d policyChosenLogps, accumulated. */
  dPolicyChosen: Tensor; // [B]
  /** d loss / d policyRejectedLogps, accumulated. */
  dPolicyRejected: Tensor; // [B]
}

export interface DiffusionDpoOutputs {
  loss: Tensor; // [1]
  /** Implicit rewards -beta/2 (mse(model_chosen) - mse(ref_chosen)) per pair, written when given. */
  chosenRewards: Tensor | null; // [B]
  /** The same on the rejected sample, written when given. */
  rejectedRewards: Tensor | null; // [B]
  /** d loss / d model_pred_chosen, accumulated when given. */
  dModelChosen: Tensor | null; // [B, D]
  /** d loss / d model_pred_rejected, accumulated when given. */
  dModelRejected: Tensor | null; // [B, D]
}

export interface DiffusionDpoInputs {
  modelChosen: Tensor; // [B, D]
  modelRejected: Tensor; // [B, D]
  refChosen: Tensor; // [B, D]
  refRejected: Tensor; // [B, D]
  targetChosen: Tensor; // [B, D]
  targetRejected: Tensor; // [B, D]
}

export interface PreferenceInputs {
  policyChosenLogps: Tensor; // [B]
  policyRejectedLogps: Tensor; // [B]
  referenceChosenLogps: Tensor; // [B]
  referenceRejectedLogps: Tensor; // [B]
}

/** Both backends refuse the same attention calls: a head size the fused kernels cannot tile, or a wrong size. */
export function checkAttention({ B, H, T, D }: AttentionDims, full: readonly Tensor[], lse: Tensor): void {
  if (!(Number.isInteger(D) && D >= 1 && D <= 128))
    throw new Error(`attention: head size D = ${D} must be in [1, 128]`);
  for (const [t, n] of [...full.map((f) => [f, B * H * T * D] as const), [lse, B * H * T] as const]) {
    if (t.size !== n)
      throw new Error(`attention: ${t.label} has ${t.size} elements, not ${n} (B ${B} H ${H} T ${T} D ${D})`);
  }
}

/** Both backends refuse the same head split or merge: a group out of range or a tensor of the wrong size. */
export function checkHeads({ B, T, G, g, H, D }: HeadsDims, heads: Tensor, grouped: Tensor): void {
  if (!(Number.isInteger(g) && g >= 0 && g < G)) throw new Error(`heads: group ${g} is not one of ${G}`);
  if (heads.size !== B * H * T * D || grouped.size !== B * T * G * H * D)
    throw new Error(
      `heads: ${heads.label} [B, H, T, D] and ${grouped.label} [B, T, G, H, D] do not fit B ${B} T ${T} G ${G} H ${H} D ${D}`,
    );
}

export type DeviceErrorListener = (error: Error) => void;

export interface Backend {
  readonly kind: 'webgpu' | 'cpu';
  readonly info: BackendInfo;
  /** A view's offset must be a multiple of this many elements. */
  readonly alignElements: number;

  // ---- memory ----
  /** Without data, the tensor starts zeroed. */
  tensor(shape: readonly number[], opts?: { dtype?: DType; label?: string; data?: ArrayLike<number> }): Tensor;
  /** A tensor over `base`'s storage starting `offset` elements in (multiple of alignElements). */
  view(base: Tensor, offset: number, shape: readonly number[], label?: string): Tensor;
  /** Upload; ordered after every op issued before it. */
  write(t: Tensor, data: ArrayLike<number>): void;
  read(t: Tensor): Promise<TypedArray>;
  /** Return a tensor's storage to the pool (views are free to drop). */
  release(t: Tensor): void;
  /** Device buffers alive right now (tensors, uniforms, staging): a leak check. */
  liveBuffers(): number;

  // ---- execution ----
  /** Record the ops `fn` issues once; `run` replays them. `fn` must not write or read. */
  record(label: string, fn: () => void): Program;
  run(program: Program, times?: number): void;
  /** Submit what has been issued. */
  flush(): void;
  /** Resolve when every issued op has finished on the device. */
  sync(): Promise<void>;
  /** Called once if the device is lost or reports an error; the backend is unusable afterwards. */
  onDeviceError(listener: DeviceErrorListener): void;
  destroy(): void;

  // ---- elementwise (elementwise.wgsl) ----
  fill(out: Tensor, value: number): void;
  /** dst[i] = src[i] for i < src.size. */
  copy(dst: Tensor, src: Tensor): void;
  /** y[i] = a * x[i] + b * y[i]. */
  axpby(y: Tensor, x: Tensor, a: number, b: number): void;
  /** out[0] (+)= scale * sum(x): a deterministic tree sum. */
  sum(out: Tensor, x: Tensor, scale: number, accumulate?: boolean): void;
  /** clock[0] += 1 (u32): the on-device step counter that random ops and adamw read. */
  tick(clock: Tensor): void;

  // ---- OPS.md ----
  matmul(c: Tensor, a: Tensor, b: Tensor, dims: MatmulDims): void;
  /** y[N,OUT] = x[N,IN] w[IN,OUT] + b[OUT]. */
  linearForward(y: Tensor, x: Tensor, w: Tensor, b: Tensor | null, dims: LinearDims): void;
  /** Accumulates: dx += dy w^T, dw += x^T dy, db += colsum(dy). dx null for inputs that need no gradient. */
  linearBackward(
    dx: Tensor | null,
    dw: Tensor,
    db: Tensor | null,
    dy: Tensor,
    x: Tensor,
    w: Tensor,
    dims: LinearDims,
  ): void;
  activationForward(y: Tensor, x: Tensor, kind: ActivationKind): void;
  /** Accumulates dx += dy * f'(x). */
  activationBackward(dx: Tensor, dy: Tensor, x: Tensor, kind: ActivationKind): void;
  softmaxForward(y: Tensor, x: Tensor, dims: RowDims): void;
  /** Accumulates dx += y * (dy - sum(dy*y)). */
  softmaxBackward(dx: Tensor, dy: Tensor, y: Tensor, dims: RowDims): void;
  logSoftmaxForward(y: Tensor, x: Tensor, dims: RowDims): void;
  /** Accumulates dx += dy - exp(y) * sum(dy). */
  logSoftmaxBackward(dx: Tensor, dy: Tensor, y: Tensor, dims: RowDims): void;
  /** loss[1] = sum(mask * nll) / sum(mask); 0 when sum(mask) is 0. Targets outside [0, V) are clamped into it. */
  crossEntropyForward(
    loss: Tensor,
    logits: Tensor,
    targets: Tensor,
    mask: Tensor,
    dims: { R: number; V: number },
  ): void;
  /** Accumulates dlogits += scale * mask * (softmax - onehot) / sum(mask); adds nothing when sum(mask) is 0. */
  crossEntropyBackward(
    dlogits: Tensor,
    logits: Tensor,
    targets: Tensor,
    mask: Tensor,
    dims: { R: number; V: number; scale?: number },
  ): void;
  /** logps[B] = sum_t mask * log_softmax(logits)[target] (/ sum_t mask when average, 0 for a fully masked row). Fused, no [B,T,V] temporary. */
  sequenceLogpsForward(logps: Tensor, logits: Tensor, targets: Tensor, mask: Tensor, dims: SequenceDims): void;
  /** Accumulates dlogits += dlogps[b] * mask * (onehot - softmax) (/ sum_t mask when average). */
  sequenceLogpsBackward(
    dlogits: Tensor,
    dlogps: Tensor,
    logits: Tensor,
    targets: Tensor,
    mask: Tensor,
    dims: SequenceDims,
  ): void;
  /** Loss and rewards written, the gradient accumulated into dPolicy*, in one pass (TRL dpo_loss conventions). */
  preferenceLoss(out: PreferenceOutputs, inp: PreferenceInputs, attrs: PreferenceAttrs): void;
  /** loss[1]; when dstudent is given it is accumulated with d loss / d student_logits. */
  distillLoss(
    loss: Tensor,
    dstudent: Tensor | null,
    student: Tensor,
    teacher: Tensor,
    mask: Tensor,
    attrs: DistillAttrs,
  ): void;
  /** loss[1] = mean((pred - target)^2); dpred accumulated with its gradient (times scale) when given. */
  mse(loss: Tensor, dpred: Tensor | null, pred: Tensor, target: Tensor, scale?: number): void;
  /** Diffusion-DPO (OPS.md diffusion_dpo_loss): the loss, per-pair implicit rewards and model gradients. */
  diffusionDpoLoss(
    out: DiffusionDpoOutputs,
    inp: DiffusionDpoInputs,
    attrs: { B: number; D: number; beta: number },
  ): void;
  /** One AdamW step over a flat buffer; step[0] (u32) is the step after increment (1 first). */
  adamw(param: Tensor, m: Tensor, v: Tensor, grad: Tensor, step: Tensor, hp: AdamWParams): void;
  /** out[n, :] = table[idx[n], :] for C-wide rows; bitwise, so any 32-bit dtype (C = 1 gathers elements). */
  embeddingForward(out: Tensor, table: Tensor, idx: Tensor, C: number): void;
  /** Accumulates dtable[idx[n], :] += dout[n, :], deterministically. */
  embeddingBackward(dtable: Tensor, dout: Tensor, idx: Tensor, C: number): void;
  /**
   * y[R,C] = (x - mean) * rstd * gamma[C] + beta[C] per row, rstd = 1/sqrt(biased var + eps); writes y, mean[R] and
   * rstd[R] (the backward's saved statistics). Two-pass statistics: rows with a large mean keep their precision.
   */
  layernormForward(
    y: Tensor,
    mean: Tensor,
    rstd: Tensor,
    x: Tensor,
    gamma: Tensor,
    beta: Tensor,
    dims: LayernormDims,
  ): void;
  /** Accumulates dx[R,C], dgamma[C] += colsum(dy * xhat) and dbeta[C] += colsum(dy), in a fixed order. */
  layernormBackward(
    dx: Tensor,
    dgamma: Tensor,
    dbeta: Tensor,
    dy: Tensor,
    x: Tensor,
    gamma: Tensor,
    mean: Tensor,
    rstd: Tensor,
    dims: LayernormDims,
  ): void;
  /**
   * out[B,H,T,D] = softmax(q k^T / sqrt(D)) v per (b, h), with key j > query i masked when causal; writes out and
   * lse[B,H,T], each row's log-sum-exp of the scaled scores (the backward recomputes the probabilities from it).
   * Fused: the [T,T] scores never reach device memory.
   */
  attentionForward(out: Tensor, lse: Tensor, q: Tensor, k: Tensor, v: Tensor, dims: AttentionDims): void;
  /** Accumulates dq, dk, dv [B,H,T,D] from dout and the forward's out and lse; deterministic (no atomics). */
  attentionBackward(
    dq: Tensor,
    dk: Tensor,
    dv: Tensor,
    dout: Tensor,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    out: Tensor,
    lse: Tensor,
    dims: AttentionDims,
  ): void;
  /** heads[B,H,T,D] (+)= group g of x[B,T,G,H,D] (written, or accumulated with dims.accumulate). */
  splitHeads(heads: Tensor, x: Tensor, dims: HeadsDims): void;
  /** Group g of y[B,T,G,H,D] (+)= heads[B,H,T,D]; the other groups of y are untouched. */
  mergeHeads(y: Tensor, heads: Tensor, dims: HeadsDims): void;
  /** A per-step batch metric into a device-side history row: mean(a), mean(a - b) or mean(a > b). */
  logMetric(history: Tensor, a: Tensor, b: Tensor | null, clock: Tensor, at: MetricAt): void;
  /** Raw Philox 4x32-10: bits[N,4] and/or uniform[N,4] from counter[N,4] and key[2]. */
  philox(bits: Tensor | null, uniform: Tensor | null, counter: Tensor, key: Tensor): void;
  /** Fill out with draws; element i uses counter (i/4, stream, clock[0], 0) word i%4. Normals by Box-Muller. */
  random(out: Tensor, clock: Tensor | null, params: RandomParams): void;

  // ---- sequences (window.wgsl, sample.wgsl, sequence_sum.wgsl, pair_label.wgsl) ----
  /** out[b, p, j] = tokens[b, t0+p-C+j] (i32), `pad` before the start; with radix, out[b, p] = the window's id. */
  window(out: Tensor, tokens: Tensor, dims: WindowDims): void;
  /**
   * Writes tokens[b, t] (i32) = a draw from softmax(logits[b, :] / temperature) by inverse CDF of the uniform of
   * word 0 of Philox(counter (b, stream, clock[0], t), key (seedLo, seedHi)); logits [B, V].
   */
  sample(tokens: Tensor, logits: Tensor, clock: Tensor, params: SampleParams): void;
  /** out[b] = sum_t mask[b, t] x[b, t] (written). */
  sequenceSumForward(out: Tensor, x: Tensor, mask: Tensor, dims: { B: number; T: number }): void;
  /** Accumulates dx[b, t] += dout[b] mask[b, t]. */
  sequenceSumBackward(dx: Tensor, dout: Tensor, mask: Tensor, dims: { B: number; T: number }): void;
  /**
   * Bradley-Terry labels of sampled pairs: rows b and B + b of rewards [2B]; row b wins with probability
   * sigmoid(r[b] - r[B+b]), decided by u = uniform of word 0 of Philox(counter (b, stream, clock[0], 0)).
   * Writes chosen[b] and rejected[b] (i32 row ids in [0, 2B)).
   */
  pairLabel(chosen: Tensor, rejected: Tensor, rewards: Tensor, clock: Tensor, params: PairLabelParams): void;
}
