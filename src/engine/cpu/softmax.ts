// CPU twin of shaders/softmax.wgsl.

import type { RowDims } from '../backend';
import type { F } from './types';

/** y = softmax(x) over each C-wide row. */
export function softmaxForward(y: F, x: F, { R, C }: RowDims): void {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x[o + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(x[o + c] - m);
    for (let c = 0; c < C; c++) y[o + c] = Math.exp(x[o + c] - m) / s;
  }
}

/** dx += y * (dy - sum(dy * y)). */
export function softmaxBackward(dx: F, dy: F, y: F, { R, C }: RowDims): void {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let dot = 0;
    for (let c = 0; c < C; c++) dot += dy[o + c] * y[o + c];
    for (let c = 0; c < C; c++) dx[o + c] += y[o + c] * (dy[o + c] - dot);
  }
}
