// Encoders for shaders/layernorm.wgsl: one row dispatch forward; a row dispatch (dx) and a column dispatch (dgamma,
// dbeta) backward.

import type { LayernormDims, Tensor } from '../../backend';
import { packParams, type GpuContext } from '../context';
import { colLaunch, rowLaunch } from './rows';

/** Columns per workgroup of the dgamma / dbeta sums (the shader's COLS): 8 row lanes each. */
const COLS = 32;

const params = ({ R, C, eps }: LayernormDims) =>
  packParams([
    ['u32', R],
    ['u32', C],
    ['f32', eps],
  ]);

export function layernormForward(
  ctx: GpuContext,
  y: Tensor,
  mean: Tensor,
  rstd: Tensor,
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  dims: LayernormDims,
): void {
  ctx.dispatch({
    shader: 'layernorm',
    entry: 'forward',
    params: params(dims),
    bindings: [y, mean, rstd, x, gamma, beta],
    ...rowLaunch(dims.R, dims.C),
  });
}

/** Accumulates dx, dgamma and dbeta. */
export function layernormBackward(
  ctx: GpuContext,
  dx: Tensor,
  dgamma: Tensor,
  dbeta: Tensor,
  dy: Tensor,
  x: Tensor,
  gamma: Tensor,
  mean: Tensor,
  rstd: Tensor,
  dims: LayernormDims,
): void {
  ctx.dispatch({
    shader: 'layernorm',
    entry: 'backward_x',
    params: params(dims),
    bindings: [dx, dy, x, gamma, mean, rstd],
    ...rowLaunch(dims.R, dims.C),
  });
  ctx.dispatch({
    shader: 'layernorm',
    entry: 'backward_params',
    params: params(dims),
    bindings: [dgamma, dbeta, dy, x, mean, rstd],
    ...colLaunch(dims.C, COLS),
  });
}
