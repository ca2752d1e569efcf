// One flat buffer each for parameters, gradients and Adam moments, addressed through a sizes table: AdamW is one
// dispatch, zeroing the gradients is one fill, and a checkpoint is one Float32Array.

import type { AdamWParams, Backend, Tensor } from '../engine/backend';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Initial values, length = product of shape. */
  init: ArrayLike<number>;
}

export interface ParamEntry {
  name: string;
  shape: number[];
  size: number;
  /** Offset of the tensor in the flat buffers (aligned for binding). */
  offset: number;
}

export class ParamArena {
  readonly entries: ParamEntry[];
  /** Length of the flat buffers, padding included. */
  readonly length: number;
  readonly params: Tensor; // [length]
  readonly grads: Tensor; // [length]
  readonly m: Tensor; // [length]
  readonly v: Tensor; // [length]
  private readonly views = new Map<string, { param: Tensor; grad: Tensor }>();

  constructor(
    private readonly be: Backend,
    specs: readonly ParamSpec[],
    label: string,
  ) {
    const align = be.alignElements;
    let offset = 0;
    this.entries = specs.map((s) => {
      const size = s.shape.reduce((a, b) => a * b, 1);
      if (s.init.length !== size) throw new Error(`${s.name}: init has ${s.init.length} values for ${size}`);
      const e = { name: s.name, shape: s.shape, size, offset };
      offset += Math.ceil(size / align) * align;
      return e;
    });
    this.length = Math.max(offset, 1);
    const flat = new Float32Array(this.length);
    specs.forEach((s, i) => flat.set(s.init, this.entries[i].offset));
    this.params = be.tensor([this.length], { label: `${label}:params`, data: flat });
    this.grads = be.tensor([this.length], { label: `${label}:grads` });
    this.m = be.tensor([this.length], { label: `${label}:adam_m` });
    this.v = be.tensor([this.length], { label: `${label}:adam_v` });
    for (const e of this.entries) {
      this.views.set(e.name, {
        param: be.view(this.params, e.offset, e.shape, `${label}:${e.name}`),
        grad: be.view(this.grads, e.offset, e.shape, `${label}:d_${e.name}`),
      });
    }
  }

  param(name: string): Tensor {
    return this.get(name).param;
  }

  grad(name: string): Tensor {
    return this.get(name).grad;
  }

  private get(name: string) {
    const v = this.views.get(name);
    if (!v) throw new Error(`no parameter named ${name}`);
    return v;
  }

  /** Gradients are accumulated by the backward passes, so each step starts from zero. */
  zeroGrad(): void {
    this.be.fill(this.grads, 0);
  }

  /** One AdamW step over every parameter; clock[0] is the step after increment that the bias correction reads. */
  step(clock: Tensor, hyper: AdamWParams): void {
    this.be.adamw(this.params, this.m, this.v, this.grads, clock, hyper);
  }

  /** A stage that takes over a trained model starts its optimizer afresh, as a new torch.optim.AdamW would. */
  resetMoments(): void {
    this.be.fill(this.m, 0);
    this.be.fill(this.v, 0);
  }

  /** The values of one parameter out of a checkpoint (a read of `params`). */
  slice(checkpoint: Float32Array, name: string): Float32Array {
    const e = this.entries.find((x) => x.name === name);
    if (!e) throw new Error(`no parameter named ${name}`);
    return checkpoint.subarray(e.offset, e.offset + e.size);
  }

  async checkpoint(): Promise<Float32Array> {
    return (await this.be.read(this.params)) as Float32Array;
  }

  /**
   * The parameters one after another without the padding that aligns each tensor for binding: the padding depends
   * on the device, this layout only on the model, so a run saved on one GPU has the weights' length on any other.
   */
  async packed(): Promise<Float32Array> {
    const all = await this.checkpoint();
    const out = new Float32Array(this.entries.reduce((a, e) => a + e.size, 0));
    let at = 0;
    for (const e of this.entries) {
      out.set(all.subarray(e.offset, e.offset + e.size), at);
      at += e.size;
    }
    return out;
  }

  release(): void {
    for (const t of [this.params, this.grads, this.m, this.v]) this.be.release(t);
  }
}
