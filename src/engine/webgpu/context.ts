// The WebGPU execution core: pipelines cached per (shader, entry, constants), bind groups and uniforms cached per
// call site, eager encoding into one open compute pass, and recorded programs replayed without JS work per op.

import type { Tensor } from '../backend';
import { GpuTensor } from './tensor';

/** One kernel launch, as the op modules describe it. */
export interface KernelCall {
  /** File name in shaders/ without .wgsl. */
  shader: string;
  entry?: string;
  /** Values for the shader's `override` constants. */
  constants?: Record<string, number>;
  /** Bytes of the uniform struct at @binding(0), or omitted when the entry point has none. */
  params?: ArrayBuffer;
  /** Storage buffers at @binding(1), @binding(2), ... in order. */
  bindings: readonly Tensor[];
  workgroups: readonly [number, number?, number?];
}

interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  x: number;
  y: number;
  z: number;
}

export interface RecordedProgram {
  readonly label: string;
  readonly dispatches: number;
  readonly list: readonly Dispatch[];
}

export type ParamField = ['u32' | 'i32' | 'f32', number];

/** Packs scalars into a uniform struct of 4-byte fields (WGSL layout: in order, size rounded up to 16). */
export function packParams(fields: readonly ParamField[]): ArrayBuffer {
  const bytes = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  const buf = new ArrayBuffer(bytes);
  const dv = new DataView(buf);
  fields.forEach(([type, value], i) => {
    if (type === 'f32') dv.setFloat32(i * 4, value, true);
    else if (type === 'i32') dv.setInt32(i * 4, value, true);
    else dv.setUint32(i * 4, value >>> 0, true);
  });
  return buf;
}

/** Split a 1D workgroup count over x and y so neither exceeds the 65535 per-dimension limit. */
export function grid(workgroups: number, maxPerDim = 65535): [number, number] {
  const n = Math.max(1, Math.ceil(workgroups));
  if (n <= maxPerDim) return [n, 1];
  const y = Math.ceil(n / maxPerDim);
  return [Math.ceil(n / y), y];
}

/** Shared WGSL a kernel asks for with `// #include <name>` lines (one level: includes do not nest). */
function includes(src: string, sources: Record<string, string>): string[] {
  return [...src.matchAll(/^\/\/ #include (\w+)$/gm)].map(([, name]) => {
    const inc = sources[name];
    if (inc === undefined) throw new Error(`shader includes ${name}.wgsl, which does not exist`);
    return inc;
  });
}

const MAX_CACHED_CALLS = 4096;

export class GpuContext {
  readonly device: GPUDevice;
  private readonly sources: Record<string, string>;
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Bind group (+ its uniform buffer) per call signature; insertion order is LRU order. */
  private readonly calls = new Map<string, { bindGroup: GPUBindGroup; uniform: GPUBuffer | null }>();
  /** Call sites used by a recorded program: replays need their bind groups and uniforms forever, so never evicted. */
  private readonly pinned = new Map<string, { bindGroup: GPUBindGroup; uniform: GPUBuffer | null }>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private recording: Dispatch[] | null = null;
  private readonly scratches = new Map<string, GpuTensor>();
  private liveUniforms = 0;
  /** Set by the backend when the device is lost or reported an error: every later dispatch throws it. */
  failure: Error | null = null;
  /** Dispatches encoded since creation (for the overhead benchmark). */
  dispatchCount = 0;
  submitCount = 0;
  /** The matmul entry point chosen for this adapter by the autotune (null: the built-in default). */
  matmulVariant: 'tiled' | 'register' | null = null;

  constructor(device: GPUDevice, sources: Record<string, string>) {
    this.device = device;
    this.sources = sources;
  }

  get uniformBuffers(): number {
    return this.liveUniforms;
  }

  /**
   * A buffer the context owns for an op's intermediate values (per-row partials before a deterministic
   * reduction): one per (name, elements), shared by every call, which is safe because dispatches run in order.
   */
  scratch(name: string, elements: number): Tensor {
    const key = `${name}:${elements}`;
    let t = this.scratches.get(key);
    if (!t) {
      const buffer = this.device.createBuffer({
        label: `scratch:${key}`,
        size: Math.ceil((Math.max(1, elements) * 4) / 16) * 16,
        usage: GPUBufferUsage.STORAGE,
      });
      t = new GpuTensor(buffer, [elements], 'f32', 0, `scratch:${key}`, null);
      this.scratches.set(key, t);
    }
    return t;
  }

  hasShader(name: string): boolean {
    return name in this.sources;
  }

  private module(shader: string): GPUShaderModule {
    let mod = this.modules.get(shader);
    if (!mod) {
      const src = this.sources[shader];
      if (src === undefined) throw new Error(`no shader named ${shader}.wgsl`);
      // Every kernel is composed with the shared helpers (Philox, stable log-sigmoid, reductions).
      const common = this.sources['common'] ?? '';
      mod = this.device.createShaderModule({
        label: `shader:${shader}`,
        code: [common, ...includes(src, this.sources), src].join('\n'),
      });
      this.modules.set(shader, mod);
    }
    return mod;
  }

  pipeline(shader: string, entry: string, constants: Record<string, number> | undefined): GPUComputePipeline {
    const key = `${shader}:${entry}:${constants ? JSON.stringify(constants) : ''}`;
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.device.createComputePipeline({
        label: `pipeline:${key}`,
        layout: 'auto',
        compute: { module: this.module(shader), entryPoint: entry, constants },
      });
      this.pipelines.set(key, p);
    }
    return p;
  }

  private bindGroupFor(call: KernelCall, pipeline: GPUComputePipeline, entry: string): GPUBindGroup {
    const tensors = call.bindings as readonly GpuTensor[];
    let key = `${call.shader}:${entry}:${call.constants ? JSON.stringify(call.constants) : ''}`;
    for (const t of tensors) key += `|${t.id}`;
    if (call.params) key += `|${new Uint32Array(call.params).join(',')}`;
    const pin = this.pinned.get(key);
    if (pin) return pin.bindGroup;
    const hit = this.calls.get(key);
    if (hit) {
      this.calls.delete(key);
      if (this.recording) this.pinned.set(key, hit);
      else this.calls.set(key, hit);
      return hit.bindGroup;
    }
    let uniform: GPUBuffer | null = null;
    const entries: GPUBindGroupEntry[] = [];
    if (call.params) {
      uniform = this.device.createBuffer({
        label: `uniform:${call.shader}:${entry}`,
        size: call.params.byteLength,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      this.liveUniforms++;
      this.device.queue.writeBuffer(uniform, 0, call.params);
      entries.push({ binding: 0, resource: { buffer: uniform } });
    }
    tensors.forEach((t, i) => {
      entries.push({ binding: i + 1, resource: { buffer: t.buffer, offset: t.byteOffset, size: t.byteSize } });
    });
    const bindGroup = this.device.createBindGroup({
      label: `bind:${call.shader}:${entry}:${tensors.map((t) => t.label).join(',')}`,
      layout: pipeline.getBindGroupLayout(0),
      entries,
    });
    if (this.recording) {
      this.pinned.set(key, { bindGroup, uniform });
      return bindGroup;
    }
    this.calls.set(key, { bindGroup, uniform });
    if (this.calls.size > MAX_CACHED_CALLS) {
      const [oldKey, old] = this.calls.entries().next().value as [string, { uniform: GPUBuffer | null }];
      this.calls.delete(oldKey);
      if (old.uniform) {
        // Work already encoded may still use it: destroy after the queue drains past this point.
        const u = old.uniform;
        this.flush();
        void this.device.queue.onSubmittedWorkDone().then(() => u.destroy());
        this.liveUniforms--;
      }
    }
    return bindGroup;
  }

  dispatch(call: KernelCall): void {
    if (this.failure) throw this.failure;
    const entry = call.entry ?? 'main';
    const pipeline = this.pipeline(call.shader, entry, call.constants);
    const bindGroup = this.bindGroupFor(call, pipeline, entry);
    const [x, y = 1, z = 1] = call.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const d: Dispatch = { pipeline, bindGroup, x, y, z };
    if (this.recording) {
      this.recording.push(d);
      return;
    }
    this.encode(d);
  }

  private openPass(): GPUComputePassEncoder {
    if (!this.pass) {
      this.encoder ??= this.device.createCommandEncoder({ label: 'preflab:encoder' });
      this.pass = this.encoder.beginComputePass({ label: 'preflab:pass' });
    }
    return this.pass;
  }

  /** Per-dispatch timestamps while profiling: each dispatch in its own pass (timestamps are per pass). */
  private profiling: { querySet: GPUQuerySet; labels: string[]; capacity: number } | null = null;

  /** Start timing each dispatch (needs the 'timestamp-query' feature); at most `capacity` dispatches are timed. */
  startProfile(capacity = 4096): void {
    if (!this.device.features.has('timestamp-query')) throw new Error('profiling needs the timestamp-query feature');
    this.flush();
    const querySet = this.device.createQuerySet({ label: 'preflab:profile', type: 'timestamp', count: capacity * 2 });
    this.profiling = { querySet, labels: [], capacity };
  }

  /** Stop timing and return each timed dispatch's pipeline label and duration in nanoseconds, in issue order. */
  async stopProfile(): Promise<{ label: string; ns: number }[]> {
    const prof = this.profiling;
    if (!prof) return [];
    this.profiling = null;
    const n = prof.labels.length;
    if (n === 0) {
      prof.querySet.destroy();
      return [];
    }
    const bytes = n * 2 * 8;
    const resolve = this.device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    const read = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = this.commandEncoder();
    enc.resolveQuerySet(prof.querySet, 0, n * 2, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, read, 0, bytes);
    this.flush();
    await read.mapAsync(GPUMapMode.READ);
    const ts = new BigUint64Array(read.getMappedRange().slice(0));
    read.unmap();
    for (const b of [read, resolve]) b.destroy();
    prof.querySet.destroy();
    return prof.labels.map((label, i) => ({ label, ns: Number(ts[2 * i + 1] - ts[2 * i]) }));
  }

  private encode(d: Dispatch): void {
    const prof = this.profiling;
    if (prof && prof.labels.length < prof.capacity) {
      const i = prof.labels.length;
      prof.labels.push(d.pipeline.label);
      const enc = this.commandEncoder();
      const timed = enc.beginComputePass({
        label: 'preflab:profiled',
        timestampWrites: { querySet: prof.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
      });
      timed.setPipeline(d.pipeline);
      timed.setBindGroup(0, d.bindGroup);
      timed.dispatchWorkgroups(d.x, d.y, d.z);
      timed.end();
      this.dispatchCount++;
      return;
    }
    const pass = this.openPass();
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.x, d.y, d.z);
    this.dispatchCount++;
  }

  record(label: string, fn: () => void): RecordedProgram {
    if (this.recording) throw new Error('record() calls cannot nest');
    const list: Dispatch[] = [];
    this.recording = list;
    try {
      fn();
    } finally {
      this.recording = null;
    }
    return { label, dispatches: list.length, list };
  }

  get isRecording(): boolean {
    return this.recording !== null;
  }

  run(program: RecordedProgram, times: number): void {
    for (let i = 0; i < times; i++) for (const d of program.list) this.encode(d);
  }

  /** The open encoder with the compute pass closed, for copies. */
  commandEncoder(): GPUCommandEncoder {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    this.encoder ??= this.device.createCommandEncoder({ label: 'preflab:encoder' });
    return this.encoder;
  }

  flush(): void {
    if (!this.encoder) return;
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    this.device.queue.submit([this.encoder.finish({ label: 'preflab:commands' })]);
    this.encoder = null;
    this.submitCount++;
  }

  destroy(): void {
    for (const v of [...this.calls.values(), ...this.pinned.values()]) v.uniform?.destroy();
    this.calls.clear();
    this.pinned.clear();
    this.liveUniforms = 0;
    for (const t of this.scratches.values()) t.buffer.destroy();
    this.scratches.clear();
  }
}
