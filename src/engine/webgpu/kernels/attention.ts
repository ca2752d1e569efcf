// Encoders for shaders/attention.wgsl: the fused forward (one dispatch) and the backward (delta, key blocks, query
// blocks), with tile sizes chosen per head size to fit the default 16 KiB of workgroup memory.

import { checkAttention, type AttentionDims, type Tensor } from '../../backend';
import { grid, packParams, type GpuContext } from '../context';

export type AttentionKernel = 'forward' | 'backward_kv' | 'backward_q';

/** Tile shape of one kernel: query rows BR, keys BC, and whether both operands of a step get their own region. */
export interface AttentionTiles {
  BR: number;
  BC: number;
  SPLIT: boolean;
}

/** The WebGPU default (and guaranteed minimum) maxComputeWorkgroupStorageSize. */
export const WORKGROUP_BYTES = 16384;
/** Columns of a tile row held in registers per invocation (the shader's MAX_SLICE). */
const MAX_SLICE = 16;

/** Workgroup bytes the shader declares for `kernel` with these tiles (mirrors its var<workgroup> arrays). */
export function attentionWorkgroupBytes(kernel: AttentionKernel, D: number, { BR, BC, SPLIT }: AttentionTiles): number {
  const DS = D + 1;
  const pair = SPLIT ? 2 : 1;
  const floats =
    kernel === 'forward'
      ? BR * DS + pair * BC * DS + BR * BC
      : kernel === 'backward_kv'
        ? 2 * BC * DS + pair * BR * DS + 2 * BR * BC + 2 * BR
        : 2 * BR * DS + pair * BC * DS + BR * BC;
  return floats * 4;
}

const CANDIDATES: readonly AttentionTiles[] = [16, 8].flatMap((BR) =>
  [16, 8].flatMap((BC) => [true, false].map((SPLIT) => ({ BR, BC, SPLIT }))),
);

/** The largest tiles that fit: 256 invocations where they can, both operands resident where they fit. */
export function attentionTiles(kernel: AttentionKernel, D: number): AttentionTiles {
  for (const t of CANDIDATES) {
    // Lanes that share a row (BC, or BR for the key-block gradients) each hold ceil(D / lanes) columns.
    const lanes = kernel === 'backward_kv' ? t.BR : t.BC;
    if (Math.ceil(D / lanes) <= MAX_SLICE && attentionWorkgroupBytes(kernel, D, t) <= WORKGROUP_BYTES) return t;
  }
  throw new Error(`attention: head size D = ${D} is beyond what the kernels support (D <= 128)`);
}

const params = ({ B, H, T, D }: AttentionDims) =>
  packParams([
    ['u32', T],
    ['f32', 1 / Math.sqrt(D)],
    ['u32', B * H * T],
  ]);

function launch(kernel: AttentionKernel, dims: AttentionDims) {
  const t = attentionTiles(kernel, dims.D);
  const rows = kernel === 'backward_kv' ? t.BC : t.BR;
  return {
    shader: 'attention',
    entry: kernel,
    constants: { D: dims.D, BR: t.BR, BC: t.BC, SPLIT: Number(t.SPLIT), CAUSAL: Number(dims.causal) },
    params: params(dims),
    workgroups: [Math.ceil(dims.T / rows), dims.B * dims.H] as [number, number],
  };
}

export function attentionForward(
  ctx: GpuContext,
  out: Tensor,
  lse: Tensor,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  dims: AttentionDims,
): void {
  checkAttention(dims, [out, q, k, v], lse);
  ctx.dispatch({ ...launch('forward', dims), bindings: [out, lse, q, k, v] });
}

/** Accumulates dq, dk and dv. */
export function attentionBackward(
  ctx: GpuContext,
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
  const rows = dims.B * dims.H * dims.T;
  const delta = ctx.scratch('attention:delta', rows);
  ctx.dispatch({
    shader: 'attention',
    entry: 'backward_delta',
    constants: { D: dims.D },
    params: params(dims),
    bindings: [delta, dout, out],
    workgroups: grid(rows / 64),
  });
  ctx.dispatch({ ...launch('backward_kv', dims), bindings: [dk, dv, q, k, v, dout, lse, delta] });
  ctx.dispatch({ ...launch('backward_q', dims), bindings: [dq, q, k, v, dout, lse, delta] });
}
