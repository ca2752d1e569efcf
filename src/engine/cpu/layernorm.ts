// CPU twin of shaders/layernorm.wgsl.

import type { LayernormDims } from '../backend';
import type { F } from './types';

/** y = (x - mean) * rstd * gamma + beta per row; mean and rstd saved. The variance is taken about the mean. */
export function layernormForward(y: F, mean: F, rstd: F, x: F, gamma: F, beta: F, { R, C, eps }: LayernormDims): void {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let s = 0;
    for (let c = 0; c < C; c++) s += x[o + c];
    const m = s / C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[o + c] - m) ** 2;
    const rs = 1 / Math.sqrt(v / C + eps);
    mean[r] = m;
    rstd[r] = rs;
    for (let c = 0; c < C; c++) y[o + c] = (x[o + c] - m) * rs * gamma[c] + beta[c];
  }
}

/** dx += rstd (g - mean(g) - xhat mean(g xhat)) with g = dy gamma; dgamma += colsum(dy xhat); dbeta += colsum(dy). */
export function layernormBackward(
  dx: F,
  dgamma: F,
  dbeta: F,
  dy: F,
  x: F,
  gamma: F,
  mean: F,
  rstd: F,
  { R, C }: LayernormDims,
): void {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let gSum = 0;
    let gxSum = 0;
    for (let c = 0; c < C; c++) {
      const g = dy[o + c] * gamma[c];
      gSum += g;
      gxSum += g * (x[o + c] - mean[r]) * rstd[r];
    }
    for (let c = 0; c < C; c++) {
      const xhat = (x[o + c] - mean[r]) * rstd[r];
      dx[o + c] += (dy[o + c] * gamma[c] - gSum / C - (xhat * gxSum) / C) * rstd[r];
      dgamma[c] += dy[o + c] * xhat;
      dbeta[c] += dy[o + c];
    }
  }
}
