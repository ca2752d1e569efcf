// Encoders for shaders/embedding.wgsl: row gather and its scatter-add backward.

import type { Tensor } from '../../backend';
import { grid, packParams, type GpuContext } from '../context';

export function embeddingForward(ctx: GpuContext, out: Tensor, table: Tensor, idx: Tensor, C: number): void {
  const N = idx.size;
  const V = table.size / C;
  ctx.dispatch({
    shader: 'embedding',
    entry: 'forward',
    params: packParams([
      ['u32', N],
      ['u32', C],
      ['u32', V],
    ]),
    bindings: [out, table, idx],
    workgroups: grid((N * C) / 256),
  });
}

export function embeddingBackward(ctx: GpuContext, dtable: Tensor, dout: Tensor, idx: Tensor, C: number): void {
  const N = idx.size;
  const V = dtable.size / C;
  ctx.dispatch({
    shader: 'embedding',
    entry: 'backward',
    params: packParams([
      ['u32', N],
      ['u32', C],
      ['u32', V],
    ]),
    bindings: [dtable, dout, idx],
    workgroups: grid((V * C) / 256),
  });
}
