// CPU twin of shaders/window.wgsl: context windows of token ids, BOS-padded, as ids or as one n-gram index.

import type { WindowDims } from '../backend';

/** out[b, p, j] = tokens[b, t0+p-C+j] (pad before the start); with radix, out[b, p] = sum_j w_j radix^(C-1-j). */
export function windowForward(out: Int32Array, tokens: Int32Array, { B, T, C, t0, P, pad, radix }: WindowDims): void {
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < P; p++) {
      let id = 0;
      for (let j = 0; j < C; j++) {
        const src = t0 + p - C + j;
        const w = src >= 0 ? tokens[b * T + src] : pad;
        if (radix === undefined) out[(b * P + p) * C + j] = w;
        else id = id * radix + w;
      }
      if (radix !== undefined) out[b * P + p] = id;
    }
  }
}
