// CPU twin of shaders/sequence_sum.wgsl: masked per-sequence sums of per-token values and their backward.

import type { F } from './types';

/** out[b] = sum_t mask[b, t] x[b, t]. */
export function sequenceSumForward(out: F, x: F, mask: F, { B, T }: { B: number; T: number }): void {
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let t = 0; t < T; t++) s += mask[b * T + t] * x[b * T + t];
    out[b] = s;
  }
}

/** dx[b, t] += dout[b] mask[b, t]. */
export function sequenceSumBackward(dx: F, dout: F, mask: F, { B, T }: { B: number; T: number }): void {
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) dx[b * T + t] += dout[b] * mask[b * T + t];
}
