// Encoders for shaders/softmax.wgsl: row softmax and log-softmax (its LOG case) and their backward, one dispatch each.

import type { RowDims, Tensor } from '../../backend';
import { packParams, type GpuContext } from '../context';
import { rowLaunch } from './rows';

function dispatch(
  ctx: GpuContext,
  entry: 'forward' | 'backward',
  log: boolean,
  bindings: readonly Tensor[],
  { R, C }: RowDims,
): void {
  const { constants, workgroups } = rowLaunch(R, C);
  ctx.dispatch({
    shader: 'softmax',
    entry,
    constants: { ...constants, LOG: log ? 1 : 0 },
    params: packParams([
      ['u32', R],
      ['u32', C],
    ]),
    bindings,
    workgroups,
  });
}

export function softmaxForward(ctx: GpuContext, y: Tensor, x: Tensor, dims: RowDims): void {
  dispatch(ctx, 'forward', false, [y, x], dims);
}

/** Accumulates dx += y * (dy - sum(dy*y)). */
export function softmaxBackward(ctx: GpuContext, dx: Tensor, dy: Tensor, y: Tensor, dims: RowDims): void {
  dispatch(ctx, 'backward', false, [dx, dy, y], dims);
}

export function logSoftmaxForward(ctx: GpuContext, y: Tensor, x: Tensor, dims: RowDims): void {
  dispatch(ctx, 'forward', true, [y, x], dims);
}

/** Accumulates dx += dy - exp(y) * sum(dy). */
export function logSoftmaxBackward(ctx: GpuContext, dx: Tensor, dy: Tensor, y: Tensor, dims: RowDims): void {
  dispatch(ctx, 'backward', true, [dx, dy, y], dims);
}
