// CPU twin of the linear layer (shaders/matmul.wgsl products with a fused bias, shaders/linear.wgsl column sums).

import type { LinearDims } from '../backend';
import type { F } from './types';
import { matmulBackward, matmulForward } from './matmul';

/** y[N,OUT] = x[N,IN] w[IN,OUT] + b[OUT]. */
export function linearForward(y: F, x: F, w: F, b: F | null, dims: LinearDims): void {
  const { N, IN, OUT } = dims;
  matmulForward(y, x, w, { M: N, K: IN, N: OUT });
  if (b) for (let n = 0; n < N; n++) for (let o = 0; o < OUT; o++) y[n * OUT + o] += b[o];
}

/** Accumulates dx += dy w^T (when dx is given), dw += x^T dy, db += column sums of dy (when db is given). */
export function linearBackward(dx: F | null, dw: F, db: F | null, dy: F, x: F, w: F, dims: LinearDims): void {
  const { N, IN, OUT } = dims;
  matmulBackward(dx, dw, dy, x, w, { M: N, K: IN, N: OUT });
  if (db) {
    for (let o = 0; o < OUT; o++) {
      let s = 0;
      for (let n = 0; n < N; n++) s += dy[n * OUT + o];
      db[o] += s;
    }
  }
}
