// Encoders of the linear layer: products through the matmul kernel (bias fused into the forward one), and the
// bias gradient from shaders/linear.wgsl.

import type { LinearDims, Tensor } from '../../backend';
import { packParams, type GpuContext } from '../context';
import { matmul } from './matmul';
import { colLaunch } from './rows';

/** y[N,OUT] = x[N,IN] w[IN,OUT] + b[OUT]: one dispatch. */
export function linearForward(
  ctx: GpuContext,
  y: Tensor,
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  dims: LinearDims,
): void {
  const { N, IN, OUT } = dims;
  matmul(ctx, y, x, w, { M: N, K: IN, N: OUT }, b);
}

/** Accumulates dx += dy w^T (skipped when dx is null), dw += x^T dy, db += colsum(dy) (skipped when db is null). */
export function linearBackward(
  ctx: GpuContext,
  dx: Tensor | null,
  dw: Tensor,
  db: Tensor | null,
  dy: Tensor,
  x: Tensor,
  w: Tensor,
  dims: LinearDims,
): void {
  const { N, IN, OUT } = dims;
  if (dx) matmul(ctx, dx, dy, w, { M: N, K: OUT, N: IN, transB: true, accumulate: true });
  matmul(ctx, dw, x, dy, { M: IN, K: N, N: OUT, transA: true, accumulate: true });
  if (db) {
    // Enough columns per workgroup to cover a narrow layer in one group, at most 64 so a wide one still spreads.
    let COLS = 1;
    while (COLS < 64 && COLS < OUT) COLS *= 2;
    ctx.dispatch({
      shader: 'linear',
      entry: 'bias_grad',
      params: packParams([
        ['u32', N],
        ['u32', OUT],
      ]),
      bindings: [db, dy],
      ...colLaunch(OUT, COLS),
    });
  }
}
