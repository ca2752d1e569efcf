// The CPU backend: the same ops over typed arrays, through the readable twins of every kernel.

import type {
  DiffusionDpoInputs,
  DiffusionDpoOutputs,
  ActivationKind,
  AdamWParams,
  AttentionDims,
  Backend,
  BackendInfo,
  DistillAttrs,
  DType,
  HeadsDims,
  LayernormDims,
  LinearDims,
  MetricAt,
  MatmulDims,
  PairLabelParams,
  PreferenceAttrs,
  PreferenceInputs,
  PreferenceOutputs,
  Program,
  RandomParams,
  RowDims,
  SampleParams,
  SequenceDims,
  Tensor,
  TypedArray,
  WindowDims,
} from '../backend';
import { checkAttention, checkHeads } from '../backend';
import { axpby, copy, fill, sum, tick } from './elementwise';
import { matmulForward } from './matmul';
import { linearBackward, linearForward } from './linear';
import { activationBackward, activationForward } from './activation';
import { softmaxBackward, softmaxForward } from './softmax';
import { logSoftmaxBackward, logSoftmaxForward } from './log_softmax';
import { crossEntropyBackward, crossEntropyForward } from './cross_entropy';
import { sequenceLogpsBackward, sequenceLogpsForward } from './sequence_logps';
import { preferenceLossBackward, preferenceLossForward } from './preference_loss';
import { distillLossBackward, distillLossForward } from './distill_loss';
import { mseBackward, mseForward } from './mse';
import { diffusionDpoLossBackward, diffusionDpoLossForward } from './diffusion_dpo_loss';
import { adamwForward } from './adamw';
import { philoxForward, philoxRandom } from './philox';
import { embeddingBackward, embeddingForward } from './embedding';
import { layernormBackward, layernormForward } from './layernorm';
import { attentionBackward, attentionForward } from './attention';
import { mergeHeads, splitHeads } from './heads';
import { metricForward } from './metric';
import { windowForward } from './window';
import { sampleForward } from './sample';
import { sequenceSumBackward, sequenceSumForward } from './sequence_sum';
import { pairLabelForward } from './pair_label';

let nextId = 1;

export class CpuTensor implements Tensor {
  readonly id = nextId++;
  readonly size: number;
  constructor(
    readonly data: TypedArray,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly offset: number,
    readonly label: string,
  ) {
    this.size = data.length;
  }
}

interface CpuProgram extends Program {
  fn: () => void;
}

const f = (t: Tensor) => (t as CpuTensor).data as Float32Array;
const fo = (t: Tensor | null) => (t ? f(t) : null);
const i32 = (t: Tensor) => (t as CpuTensor).data as Int32Array;
const u32 = (t: Tensor) => (t as CpuTensor).data as Uint32Array;

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly info: BackendInfo;
  readonly alignElements = 1;
  private live = 0;
  /** Tensors that own their storage and have not been released (views are not counted). */
  private readonly owned = new WeakSet<Tensor>();
  private recording = false;

  constructor(reason = 'CPU backend selected') {
    this.info = {
      kind: 'cpu',
      vendor: 'cpu',
      architecture: 'javascript',
      description: 'CPU (TypeScript twins of the WGSL kernels)',
      reason,
      limits: {},
      features: [],
    };
  }

  tensor(shape: readonly number[], opts: { dtype?: DType; label?: string; data?: ArrayLike<number> } = {}): Tensor {
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`invalid tensor shape [${shape.join(', ')}]: every dimension must be a positive integer`);
    }
    const dtype = opts.dtype ?? 'f32';
    const n = shape.reduce((a, b) => a * b, 1);
    const data = dtype === 'f32' ? new Float32Array(n) : dtype === 'i32' ? new Int32Array(n) : new Uint32Array(n);
    if (opts.data) {
      if (opts.data.length !== n) throw new Error(`write of ${opts.data.length} values into ${opts.label} of ${n}`);
      data.set(opts.data);
    }
    this.live++;
    const t = new CpuTensor(data, shape, dtype, 0, opts.label ?? 'tensor');
    this.owned.add(t);
    return t;
  }

  view(base: Tensor, offset: number, shape: readonly number[], label?: string): Tensor {
    const b = base as CpuTensor;
    const n = shape.reduce((a, c) => a * c, 1);
    if (offset + n > b.size)
      throw new Error(`view [${offset}, ${offset + n}) exceeds ${b.label} of ${b.size} elements`);
    return new CpuTensor(
      b.data.subarray(offset, offset + n),
      shape,
      b.dtype,
      b.offset + offset,
      label ?? `${b.label}[${offset}]`,
    );
  }

  write(t: Tensor, data: ArrayLike<number>): void {
    if (this.recording) throw new Error('write() inside record()');
    const c = t as CpuTensor;
    if (data.length !== c.size) throw new Error(`write of ${data.length} values into ${c.label} of ${c.size}`);
    c.data.set(data);
  }

  read(t: Tensor): Promise<TypedArray> {
    return Promise.resolve((t as CpuTensor).data.slice());
  }

  release(t: Tensor): void {
    if (this.owned.delete(t)) this.live--;
  }

  liveBuffers(): number {
    return this.live;
  }

  record(label: string, fn: () => void): Program {
    const p: CpuProgram = { label, dispatches: 0, fn };
    return p;
  }

  run(program: Program, times = 1): void {
    const { fn } = program as CpuProgram;
    for (let i = 0; i < times; i++) fn();
  }

  flush(): void {}

  sync(): Promise<void> {
    return Promise.resolve();
  }

  onDeviceError(): void {}

  destroy(): void {}

  fill(out: Tensor, value: number): void {
    fill((out as CpuTensor).data, value);
  }
  copy(dst: Tensor, src: Tensor): void {
    copy((dst as CpuTensor).data, (src as CpuTensor).data);
  }
  axpby(y: Tensor, x: Tensor, a: number, b: number): void {
    axpby(f(y), f(x), a, b);
  }
  sum(out: Tensor, x: Tensor, scale: number, accumulate = false): void {
    sum(f(out), f(x), scale, accumulate);
  }
  tick(clock: Tensor): void {
    tick(u32(clock));
  }
  matmul(c: Tensor, a: Tensor, b: Tensor, dims: MatmulDims): void {
    matmulForward(f(c), f(a), f(b), dims);
  }
  linearForward(y: Tensor, x: Tensor, w: Tensor, b: Tensor | null, dims: LinearDims): void {
    linearForward(f(y), f(x), f(w), fo(b), dims);
  }
  linearBackward(
    dx: Tensor | null,
    dw: Tensor,
    db: Tensor | null,
    dy: Tensor,
    x: Tensor,
    w: Tensor,
    dims: LinearDims,
  ): void {
    linearBackward(fo(dx), f(dw), fo(db), f(dy), f(x), f(w), dims);
  }
  activationForward(y: Tensor, x: Tensor, kind: ActivationKind): void {
    activationForward(f(y), f(x), kind);
  }
  activationBackward(dx: Tensor, dy: Tensor, x: Tensor, kind: ActivationKind): void {
    activationBackward(f(dx), f(dy), f(x), kind);
  }
  softmaxForward(y: Tensor, x: Tensor, dims: RowDims): void {
    softmaxForward(f(y), f(x), dims);
  }
  softmaxBackward(dx: Tensor, dy: Tensor, y: Tensor, dims: RowDims): void {
    softmaxBackward(f(dx), f(dy), f(y), dims);
  }
  logSoftmaxForward(y: Tensor, x: Tensor, dims: RowDims): void {
    logSoftmaxForward(f(y), f(x), dims);
  }
  logSoftmaxBackward(dx: Tensor, dy: Tensor, y: Tensor, dims: RowDims): void {
    logSoftmaxBackward(f(dx), f(dy), f(y), dims);
  }
  crossEntropyForward(
    loss: Tensor,
    logits: Tensor,
    targets: Tensor,
    mask: Tensor,
    dims: { R: number; V: number },
  ): void {
    crossEntropyForward(f(loss), f(logits), i32(targets), f(mask), dims);
  }
  crossEntropyBackward(
    dlogits: Tensor,
    logits: Tensor,
    targets: Tensor,
    mask: Tensor,
    dims: { R: number; V: number; scale?: number },
  ): void {
    crossEntropyBackward(f(dlogits), f(logits), i32(targets), f(mask), dims);
  }
  sequenceLogpsForward(logps: Tensor, logits: Tensor, targets: Tensor, mask: Tensor, dims: SequenceDims): void {
    sequenceLogpsForward(f(logps), f(logits), i32(targets), f(mask), dims);
  }
  sequenceLogpsBackward(
    dlogits: Tensor,
    dlogps: Tensor,
    logits: Tensor,
    targets: Tensor,
    mask: Tensor,
    dims: SequenceDims,
  ): void {
    sequenceLogpsBackward(f(dlogits), f(dlogps), f(logits), i32(targets), f(mask), dims);
  }
  preferenceLoss(out: PreferenceOutputs, inp: PreferenceInputs, attrs: PreferenceAttrs): void {
    const i = {
      policyChosenLogps: f(inp.policyChosenLogps),
      policyRejectedLogps: f(inp.policyRejectedLogps),
      referenceChosenLogps: f(inp.referenceChosenLogps),
      referenceRejectedLogps: f(inp.referenceRejectedLogps),
    };
    preferenceLossForward(
      {
        losses: f(out.losses),
        loss: f(out.loss),
        chosenRewards: f(out.chosenRewards),
        rejectedRewards: f(out.rejectedRewards),
      },
      i,
      attrs,
    );
    preferenceLossBackward(f(out.dPolicyChosen), f(out.dPolicyRejected), i, attrs);
  }
  distillLoss(
    loss: Tensor,
    dstudent: Tensor | null,
    student: Tensor,
    teacher: Tensor,
    mask: Tensor,
    attrs: DistillAttrs,
  ): void {
    distillLossForward(f(loss), f(student), f(teacher), f(mask), attrs);
    if (dstudent) distillLossBackward(f(dstudent), f(student), f(teacher), f(mask), attrs);
  }
  mse(loss: Tensor, dpred: Tensor | null, pred: Tensor, target: Tensor, scale = 1): void {
    mseForward(f(loss), f(pred), f(target));
    if (dpred) mseBackward(f(dpred), f(pred), f(target), scale);
  }
  diffusionDpoLoss(
    out: DiffusionDpoOutputs,
    inp: DiffusionDpoInputs,
    attrs: { B: number; D: number; beta: number },
  ): void {
    const i = {
      modelChosen: f(inp.modelChosen),
      modelRejected: f(inp.modelRejected),
      refChosen: f(inp.refChosen),
      refRejected: f(inp.refRejected),
      targetChosen: f(inp.targetChosen),
      targetRejected: f(inp.targetRejected),
    };
    diffusionDpoLossForward(f(out.loss), fo(out.chosenRewards), fo(out.rejectedRewards), i, attrs);
    if (out.dModelChosen || out.dModelRejected)
      diffusionDpoLossBackward(fo(out.dModelChosen), fo(out.dModelRejected), i, attrs);
  }
  adamw(param: Tensor, m: Tensor, v: Tensor, grad: Tensor, step: Tensor, hp: AdamWParams): void {
    adamwForward(f(param), f(m), f(v), f(grad), u32(step)[0], hp);
  }
  embeddingForward(out: Tensor, table: Tensor, idx: Tensor, C: number): void {
    embeddingForward((out as CpuTensor).data, (table as CpuTensor).data, i32(idx), C);
  }
  embeddingBackward(dtable: Tensor, dout: Tensor, idx: Tensor, C: number): void {
    embeddingBackward(f(dtable), f(dout), i32(idx), C);
  }
  layernormForward(
    y: Tensor,
    mean: Tensor,
    rstd: Tensor,
    x: Tensor,
    gamma: Tensor,
    beta: Tensor,
    dims: LayernormDims,
  ): void {
    layernormForward(f(y), f(mean), f(rstd), f(x), f(gamma), f(beta), dims);
  }
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
  ): void {
    layernormBackward(f(dx), f(dgamma), f(dbeta), f(dy), f(x), f(gamma), f(mean), f(rstd), dims);
  }
  attentionForward(out: Tensor, lse: Tensor, q: Tensor, k: Tensor, v: Tensor, dims: AttentionDims): void {
    checkAttention(dims, [out, q, k, v], lse);
    attentionForward(f(out), f(lse), f(q), f(k), f(v), dims);
  }
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
  ): void {
    checkAttention(dims, [dq, dk, dv, dout, q, k, v, out], lse);
    attentionBackward(f(dq), f(dk), f(dv), f(dout), f(q), f(k), f(v), f(out), f(lse), dims);
  }
  splitHeads(heads: Tensor, x: Tensor, dims: HeadsDims): void {
    checkHeads(dims, heads, x);
    splitHeads(f(heads), f(x), dims);
  }
  mergeHeads(y: Tensor, heads: Tensor, dims: HeadsDims): void {
    checkHeads(dims, heads, y);
    mergeHeads(f(y), f(heads), dims);
  }
  logMetric(history: Tensor, a: Tensor, b: Tensor | null, clock: Tensor, at: MetricAt): void {
    metricForward(f(history), f(a), fo(b), u32(clock)[0], at);
  }
  philox(bits: Tensor | null, uniform: Tensor | null, counter: Tensor, key: Tensor): void {
    philoxForward(bits ? u32(bits) : null, fo(uniform), u32(counter), u32(key));
  }
  random(out: Tensor, clock: Tensor | null, params: RandomParams): void {
    philoxRandom((out as CpuTensor).data, clock ? u32(clock)[0] : 0, params);
  }
  window(out: Tensor, tokens: Tensor, dims: WindowDims): void {
    windowForward(i32(out), i32(tokens), dims);
  }
  sample(tokens: Tensor, logits: Tensor, clock: Tensor, params: SampleParams): void {
    sampleForward(i32(tokens), f(logits), u32(clock)[0], params);
  }
  sequenceSumForward(out: Tensor, x: Tensor, mask: Tensor, dims: { B: number; T: number }): void {
    sequenceSumForward(f(out), f(x), f(mask), dims);
  }
  sequenceSumBackward(dx: Tensor, dout: Tensor, mask: Tensor, dims: { B: number; T: number }): void {
    sequenceSumBackward(f(dx), f(dout), f(mask), dims);
  }
  pairLabel(chosen: Tensor, rejected: Tensor, rewards: Tensor, clock: Tensor, params: PairLabelParams): void {
    pairLabelForward(i32(chosen), i32(rejected), f(rewards), u32(clock)[0], params);
  }
}
