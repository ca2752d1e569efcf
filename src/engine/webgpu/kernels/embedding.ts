// Encoders for shaders/embedding.wgsl: row gather and its scatter-add backward.

import type { Tensor } from '../../backend';
import { grid, packParams, type GpuContext } from '../context';

/** Either entry over N lookups of C-wide rows from a V-row table, `invocations` invocations in all. */
function dispatch(
  ctx: GpuContext,
  entry: 'forward' | 'backward',
  bindings: readonly Tensor[],
  N: number,
  C: number,
  V: number,
  invocations: number,
): void {
  ctx.dispatch({
    shader: 'embedding',
    entry,
    params: packParams([
      ['u32', N],
      ['u32', C],
      ['u32', V],
    ]),
    bindings,
    workgroups: grid(invocations / 256),
  });
}

export function embeddingForward(ctx: GpuContext, out: Tensor, table: Tensor, idx: Tensor, C: number): void {
  const N = idx.size;
  dispatch(ctx, 'forward', [out, table, idx], N, C, table.size / C, N * C);
}

/** The scatter-add runs over the table, so that each entry sums its lookups in order without atomics. */
export function embeddingBackward(ctx: GpuContext, dtable: Tensor, dout: Tensor, idx: Tensor, C: number): void {
  const V = dtable.size / C;
  dispatch(ctx, 'backward', [dtable, dout, idx], idx.size, C, V, V * C);
}
