// Encoders for shaders/log_softmax.wgsl: row log-softmax and its backward, one dispatch each.

import type { RowDims, Tensor } from '../../backend';
import { packParams, type GpuContext } from '../context';
import { rowLaunch } from './rows';

export function logSoftmaxForward(ctx: GpuContext, y: Tensor, x: Tensor, { R, C }: RowDims): void {
  ctx.dispatch({
    shader: 'log_softmax',
    entry: 'forward',
    params: packParams([
      ['u32', R],
      ['u32', C],
    ]),
    bindings: [y, x],
    ...rowLaunch(R, C),
  });
}

/** Accumulates dx += dy - exp(y) * sum(dy). */
export function logSoftmaxBackward(ctx: GpuContext, dx: Tensor, dy: Tensor, y: Tensor, { R, C }: RowDims): void {
  ctx.dispatch({
    shader: 'log_softmax',
    entry: 'backward',
    params: packParams([
      ['u32', R],
      ['u32', C],
    ]),
    bindings: [dx, dy, y],
    ...rowLaunch(R, C),
  });
}
