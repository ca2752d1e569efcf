// Encoders for shaders/heads.wgsl: multi-head attention's head split and merge.

import { checkHeads, type HeadsDims, type Tensor } from '../../backend';
import { grid, packParams, type GpuContext } from '../context';

const WG = 256;

function dispatch(ctx: GpuContext, entry: 'split' | 'merge', dst: Tensor, src: Tensor, dims: HeadsDims): void {
  const { B, T, G, g, H, D, accumulate } = dims;
  ctx.dispatch({
    shader: 'heads',
    entry,
    constants: { WG },
    params: packParams([
      ['u32', B],
      ['u32', T],
      ['u32', G],
      ['u32', g],
      ['u32', H],
      ['u32', D],
      ['u32', accumulate ? 1 : 0],
    ]),
    bindings: [dst, src],
    workgroups: grid((B * H * T * D) / WG),
  });
}

export function splitHeads(ctx: GpuContext, heads: Tensor, x: Tensor, dims: HeadsDims): void {
  checkHeads(dims, heads, x);
  dispatch(ctx, 'split', heads, x, dims);
}

export function mergeHeads(ctx: GpuContext, y: Tensor, heads: Tensor, dims: HeadsDims): void {
  checkHeads(dims, heads, y);
  dispatch(ctx, 'merge', y, heads, dims);
}
