// Encoders for shaders/softmax.wgsl: row softmax and its backward, one dispatch each.

import type { RowDims, Tensor } from '../../backend';
import { packParams, type GpuContext } from '../context';
import { rowLaunch } from './rows';

export function softmaxForward(ctx: GpuContext, y: Tensor, x: Tensor, { R, C }: RowDims): void {
  ctx.dispatch({
    shader: 'softmax',
    entry: 'forward',
    params: packParams([
      ['u32', R],
      ['u32', C],
    ]),
    bindings: [y, x],
    ...rowLaunch(R, C),
  });
}

/** Accumulates dx += y * (dy - sum(dy*y)). */
export function softmaxBackward(ctx: GpuContext, dx: Tensor, dy: Tensor, y: Tensor, { R, C }: RowDims): void {
  ctx.dispatch({
    shader: 'softmax',
    entry: 'backward',
    params: packParams([
      ['u32', R],
      ['u32', C],
    ]),
    bindings: [dx, dy, y],
    ...rowLaunch(R, C),
  });
}
