// CPU twin of shaders/softmax.wgsl with LOG (log-softmax).

import type { RowDims } from '../backend';
import type { F } from './types';

/** logsumexp of x[o, o + n), max-subtracted. */
export function logSumExp(x: F, o: number, n: number): number {
  let m = -Infinity;
  for (let c = 0; c < n; c++) m = Math.max(m, x[o + c]);
  let s = 0;
  for (let c = 0; c < n; c++) s += Math.exp(x[o + c] - m);
  return m + Math.log(s);
}

/** y = x - logsumexp(x) over each C-wide row. */
export function logSoftmaxForward(y: F, x: F, { R, C }: RowDims): void {
  for (let r = 0; r < R; r++) {
    const lse = logSumExp(x, r * C, C);
    for (let c = 0; c < C; c++) y[r * C + c] = x[r * C + c] - lse;
  }
}

/** dx += dy - exp(y) * sum(dy). */
export function logSoftmaxBackward(dx: F, dy: F, y: F, { R, C }: RowDims): void {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let total = 0;
    for (let c = 0; c < C; c++) total += dy[o + c];
    for (let c = 0; c < C; c++) dx[o + c] += dy[o + c] - Math.exp(y[o + c]) * total;
  }
}
