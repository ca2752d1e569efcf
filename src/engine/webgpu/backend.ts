// The WebGPU backend: tensors in GPUBuffers, ops encoded as WGSL dispatches through GpuContext.

import type {
  DiffusionDpoInputs,
  DiffusionDpoOutputs,
  ActivationKind,
  AdamWParams,
  Backend,
  BackendInfo,
  DeviceErrorListener,
  DistillAttrs,
  DType,
  HeadsDims,
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
import { GpuContext, type RecordedProgram } from './context';
import { GpuTensor, checkShape, shapeSize } from './tensor';
import * as elementwise from './kernels/elementwise';
import { matmul } from './kernels/matmul';
import { linearBackward, linearForward } from './kernels/linear';
import { activationBackward, activationForward } from './kernels/activation';
import { logSoftmaxBackward, logSoftmaxForward, softmaxBackward, softmaxForward } from './kernels/softmax';
import { crossEntropyBackward, crossEntropyForward } from './kernels/cross_entropy';
import { sequenceLogpsBackward, sequenceLogpsForward } from './kernels/sequence_logps';
import { preferenceLoss } from './kernels/preference_loss';
import { distillLoss } from './kernels/distill_loss';
import { mse } from './kernels/mse';
import { diffusionDpoLoss } from './kernels/diffusion_dpo_loss';
import { adamw } from './kernels/adamw';
import { philox, random } from './kernels/philox';
import { embeddingBackward, embeddingForward } from './kernels/embedding';
import { layernormBackward, layernormForward } from './kernels/layernorm';
import { attentionBackward, attentionForward } from './kernels/attention';
import { mergeHeads, splitHeads } from './kernels/heads';
import { logMetric } from './kernels/metric';
import { windowForward } from './kernels/window';
import { sampleForward } from './kernels/sample';
import { sequenceSumBackward, sequenceSumForward } from './kernels/sequence_sum';
import { pairLabelForward } from './kernels/pair_label';

// A function, not a constant: GPUBufferUsage exists only where WebGPU does (in Node once nodeDevice() installed
// Dawn's globals), and this module must load without it so that the CPU fallback can still be created.
const storageUsage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class WebGPUBackend implements Backend {
  readonly kind = 'webgpu' as const;
  readonly info: BackendInfo;
  readonly alignElements: number;
  readonly ctx: GpuContext;
  private readonly device: GPUDevice;
  /** Released buffers by byte size, reused by tensor(). */
  private readonly pool = new Map<number, GPUBuffer[]>();
  private readonly staging = new Map<number, GPUBuffer[]>();
  private live = 0;
  private readonly released = new WeakSet<GpuTensor>();
  private lost: Error | null = null;
  private readonly listeners: DeviceErrorListener[] = [];
  private reported = false;

  constructor(device: GPUDevice, info: BackendInfo, shaders: Record<string, string>) {
    this.device = device;
    this.info = info;
    this.alignElements = Math.max(1, device.limits.minStorageBufferOffsetAlignment / 4);
    this.ctx = new GpuContext(device, shaders);
    void device.lost.then((e) => {
      if (e.reason === 'destroyed' && this.destroyed) return;
      this.fail(new Error(`GPU device lost (${e.reason}): ${e.message || 'no message'}`));
    });
    device.addEventListener('uncapturederror', (ev) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.fail(new Error(`GPU error: ${err.message}`));
    });
  }

  private destroyed = false;

  private fail(err: Error): void {
    this.lost ??= err;
    this.ctx.failure ??= err;
    if (this.reported) return;
    this.reported = true;
    for (const l of this.listeners) l(err);
  }

  private check(): void {
    if (this.lost) throw this.lost;
  }

  onDeviceError(listener: DeviceErrorListener): void {
    this.listeners.push(listener);
    if (this.lost && this.reported) listener(this.lost);
  }

  // ---- memory ----

  tensor(shape: readonly number[], opts: { dtype?: DType; label?: string; data?: ArrayLike<number> } = {}): Tensor {
    this.check();
    checkShape(shape);
    const dtype = opts.dtype ?? 'f32';
    const label = opts.label ?? 'tensor';
    const bytes = Math.ceil((shapeSize(shape) * 4) / 16) * 16;
    const pooled = this.pool.get(bytes)?.pop();
    const buffer = pooled ?? this.device.createBuffer({ label, size: bytes, usage: storageUsage() });
    if (!pooled) this.live++;
    const t = new GpuTensor(buffer, shape, dtype, 0, label, null);
    if (opts.data) this.write(t, opts.data);
    else if (pooled) this.fill(t, 0);
    return t;
  }

  view(base: Tensor, offset: number, shape: readonly number[], label?: string): Tensor {
    checkShape(shape);
    const b = base as GpuTensor;
    if (offset % this.alignElements !== 0) {
      throw new Error(`view offset ${offset} is not a multiple of ${this.alignElements} elements`);
    }
    const size = shapeSize(shape);
    if (offset + size > b.size) {
      throw new Error(`view [${offset}, ${offset + size}) exceeds ${b.label} of ${b.size} elements`);
    }
    return new GpuTensor(b.buffer, shape, b.dtype, b.offset + offset, label ?? `${b.label}[${offset}]`, b.base ?? b);
  }

  write(t: Tensor, data: ArrayLike<number>): void {
    this.check();
    if (this.ctx.isRecording) throw new Error('write() inside record()');
    const g = t as GpuTensor;
    if (data.length !== g.size) throw new Error(`write of ${data.length} values into ${g.label} of ${g.size}`);
    const arr =
      g.dtype === 'f32' ? Float32Array.from(data) : g.dtype === 'i32' ? Int32Array.from(data) : Uint32Array.from(data);
    // Writes go to the queue at once: submit what was issued before so that order is kept.
    this.ctx.flush();
    this.device.queue.writeBuffer(g.buffer, g.byteOffset, arr.buffer, arr.byteOffset, arr.byteLength);
  }

  async read(t: Tensor): Promise<TypedArray> {
    this.check();
    const g = t as GpuTensor;
    const bytes = Math.ceil(g.byteSize / 16) * 16;
    const stage =
      this.staging.get(bytes)?.pop() ??
      (this.live++,
      this.device.createBuffer({
        label: `staging:${bytes}`,
        size: bytes,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      }));
    const enc = this.ctx.commandEncoder();
    const copyBytes = Math.min(bytes, g.buffer.size - g.byteOffset);
    enc.copyBufferToBuffer(g.buffer, g.byteOffset, stage, 0, copyBytes - (copyBytes % 4));
    this.ctx.flush();
    try {
      await stage.mapAsync(GPUMapMode.READ);
    } catch (e) {
      // A device lost during the read rejects with a bare AbortError: report the loss itself when it is known.
      this.check();
      throw new Error(`reading ${g.label} failed: ${(e as Error).name}: ${(e as Error).message || 'no message'}`, {
        cause: e,
      });
    }
    this.check();
    const raw = stage.getMappedRange(0, g.size * 4).slice(0);
    stage.unmap();
    const list = this.staging.get(bytes) ?? [];
    list.push(stage);
    this.staging.set(bytes, list);
    return g.dtype === 'f32' ? new Float32Array(raw) : g.dtype === 'i32' ? new Int32Array(raw) : new Uint32Array(raw);
  }

  release(t: Tensor): void {
    const g = t as GpuTensor;
    // A view owns nothing; a second release must not hand the same buffer out twice.
    if (g.base || this.released.has(g)) return;
    this.released.add(g);
    const list = this.pool.get(g.buffer.size) ?? [];
    list.push(g.buffer);
    this.pool.set(g.buffer.size, list);
  }

  liveBuffers(): number {
    return this.live + this.ctx.uniformBuffers;
  }

  // ---- execution ----

  record(label: string, fn: () => void): Program {
    this.check();
    return this.ctx.record(label, fn);
  }

  run(program: Program, times = 1): void {
    this.check();
    this.ctx.run(program as RecordedProgram, times);
  }

  flush(): void {
    this.check();
    this.ctx.flush();
  }

  async sync(): Promise<void> {
    this.check();
    this.ctx.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.check();
  }

  destroy(): void {
    this.destroyed = true;
    this.ctx.destroy();
    for (const list of [...this.pool.values(), ...this.staging.values()]) for (const b of list) b.destroy();
    this.pool.clear();
    this.staging.clear();
    this.device.destroy();
  }

  // ---- ops ----

  fill(out: Tensor, value: number): void {
    elementwise.fill(this.ctx, out, value);
  }
  copy(dst: Tensor, src: Tensor): void {
    elementwise.copy(this.ctx, dst, src);
  }
  axpby(y: Tensor, x: Tensor, a: number, b: number): void {
    elementwise.axpby(this.ctx, y, x, a, b);
  }
  sum(out: Tensor, x: Tensor, scale: number, accumulate = false): void {
    elementwise.sum(this.ctx, out, x, scale, accumulate);
  }
  tick(clock: Tensor): void {
    elementwise.tick(this.ctx, clock);
  }
  matmul(c: Tensor, a: Tensor, b: Tensor, dims: MatmulDims): void {
    matmul(this.ctx, c, a, b, dims);
  }
  linearForward(y: Tensor, x: Tensor, w: Tensor, b: Tensor | null, dims: LinearDims): void {
    linearForward(this.ctx, y, x, w, b, dims);
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
    linearBackward(this.ctx, dx, dw, db, dy, x, w, dims);
  }
  activationForward(y: Tensor, x: Tensor, kind: ActivationKind): void {
    activationForward(this.ctx, y, x, kind);
  }
  activationBackward(dx: Tensor, dy: Tensor, x: Tensor, kind: ActivationKind): void {
    activationBackward(this.ctx, dx, dy, x, kind);
  }
  softmaxForward(y: Tensor, x: Tensor, dims: RowDims): void {
    softmaxForward(this.ctx, y, x, dims);
  }
  softmaxBackward(dx: Tensor, dy: Tensor, y: Tensor, dims: RowDims): void {
    softmaxBackward(this.ctx, dx, dy, y, dims);
  }
  logSoftmaxForward(y: Tensor, x: Tensor, dims: RowDims): void {
    logSoftmaxForward(this.ctx, y, x, dims);
  }
  logSoftmaxBackward(dx: Tensor, dy: Tensor, y: Tensor, dims: RowDims): void {
    logSoftmaxBackward(this.ctx, dx, dy, y, dims);
  }
  crossEntropyForward(
    loss: Tensor,
    logits: Tensor,
    targets: Tensor,
    mask: Tensor,
    dims: { R: number; V: number },
  ): void {
    crossEntropyForward(this.ctx, loss, logits, targets, mask, dims);
  }
  crossEntropyBackward(
    dlogits: Tensor,
    logits: Tensor,
    targets: Tensor,
    mask: Tensor,
    dims: { R: number; V: number; scale?: number },
  ): void {
    crossEntropyBackward(this.ctx, dlogits, logits, targets, mask, dims);
  }
  sequenceLogpsForward(logps: Tensor, logits: Tensor, targets: Tensor, mask: Tensor, dims: SequenceDims): void {
    sequenceLogpsForward(this.ctx, logps, logits, targets, mask, dims);
  }
  sequenceLogpsBackward(
    dlogits: Tensor,
    dlogps: Tensor,
    logits: Tensor,
    targets: Tensor,
    mask: Tensor,
    dims: SequenceDims,
  ): void {
    sequenceLogpsBackward(this.ctx, dlogits, dlogps, logits, targets, mask, dims);
  }
  preferenceLoss(out: PreferenceOutputs, inp: PreferenceInputs, attrs: PreferenceAttrs): void {
    preferenceLoss(this.ctx, out, inp, attrs);
  }
  distillLoss(
    loss: Tensor,
    dstudent: Tensor | null,
    student: Tensor,
    teacher: Tensor,
    mask: Tensor,
    attrs: DistillAttrs,
  ): void {
    distillLoss(this.ctx, loss, dstudent, student, teacher, mask, attrs);
  }
  mse(loss: Tensor, dpred: Tensor | null, pred: Tensor, target: Tensor, scale = 1): void {
    mse(this.ctx, loss, dpred, pred, target, scale);
  }
  diffusionDpoLoss(
    out: DiffusionDpoOutputs,
    inp: DiffusionDpoInputs,
    attrs: { B: number; D: number; beta: number },
  ): void {
    diffusionDpoLoss(this.ctx, out, inp, attrs);
  }
  adamw(param: Tensor, m: Tensor, v: Tensor, grad: Tensor, step: Tensor, hp: AdamWParams): void {
    adamw(this.ctx, param, m, v, grad, step, hp);
  }
  embeddingForward(out: Tensor, table: Tensor, idx: Tensor, C: number): void {
    embeddingForward(this.ctx, out, table, idx, C);
  }
  embeddingBackward(dtable: Tensor, dout: Tensor, idx: Tensor, C: number): void {
    embeddingBackward(this.ctx, dtable, dout, idx, C);
  }
  layernormForward(...a: Parameters<Backend['layernormForward']>): void {
    layernormForward(this.ctx, ...a);
  }
  layernormBackward(...a: Parameters<Backend['layernormBackward']>): void {
    layernormBackward(this.ctx, ...a);
  }
  attentionForward(...a: Parameters<Backend['attentionForward']>): void {
    attentionForward(this.ctx, ...a);
  }
  attentionBackward(...a: Parameters<Backend['attentionBackward']>): void {
    attentionBackward(this.ctx, ...a);
  }
  splitHeads(heads: Tensor, x: Tensor, dims: HeadsDims): void {
    splitHeads(this.ctx, heads, x, dims);
  }
  mergeHeads(y: Tensor, heads: Tensor, dims: HeadsDims): void {
    mergeHeads(this.ctx, y, heads, dims);
  }
  logMetric(history: Tensor, a: Tensor, b: Tensor | null, clock: Tensor, at: MetricAt): void {
    logMetric(this.ctx, history, a, b, clock, at);
  }
  philox(bits: Tensor | null, uniform: Tensor | null, counter: Tensor, key: Tensor): void {
    philox(this.ctx, bits, uniform, counter, key);
  }
  window(out: Tensor, tokens: Tensor, dims: WindowDims): void {
    windowForward(this.ctx, out, tokens, dims);
  }
  sample(tokens: Tensor, logits: Tensor, clock: Tensor, params: SampleParams): void {
    sampleForward(this.ctx, tokens, logits, clock, params);
  }
  sequenceSumForward(out: Tensor, x: Tensor, mask: Tensor, dims: { B: number; T: number }): void {
    sequenceSumForward(this.ctx, out, x, mask, dims);
  }
  sequenceSumBackward(dx: Tensor, dout: Tensor, mask: Tensor, dims: { B: number; T: number }): void {
    sequenceSumBackward(this.ctx, dx, dout, mask, dims);
  }
  pairLabel(chosen: Tensor, rejected: Tensor, rewards: Tensor, clock: Tensor, params: PairLabelParams): void {
    pairLabelForward(this.ctx, chosen, rejected, rewards, clock, params);
  }
  random(out: Tensor, clock: Tensor | null, params: RandomParams): void {
    // The zero clock is made only when needed: a tensor upload cannot happen while a program is recorded.
    random(
      this.ctx,
      out,
      clock ?? (this.zero ??= this.tensor([1], { dtype: 'u32', label: 'clock:zero', data: [0] })),
      params,
    );
  }
  private zero: Tensor | null = null;
}
