// CPU twin of shaders/heads.wgsl: group g of a [B, T, G, H, D] activation to its [B, H, T, D] heads, and back.

import type { HeadsDims } from '../backend';
import type { F } from './types';

/** Calls visit(i, j) for head element i of [B, H, T, D] and its index j in the grouped [B, T, G, H, D] layout. */
function eachHead({ B, T, G, g, H, D }: HeadsDims, visit: (i: number, j: number) => void): void {
  let i = 0;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) visit(i++, (((b * T + t) * G + g) * H + h) * D + d);
}

/** heads[b, h, t, d] (+)= x[b, t, g, h, d]. */
export function splitHeads(heads: F, x: F, dims: HeadsDims): void {
  eachHead(dims, (i, j) => (heads[i] = dims.accumulate ? heads[i] + x[j] : x[j]));
}

/** y[b, t, g, h, d] (+)= heads[b, h, t, d]. */
export function mergeHeads(y: F, heads: F, dims: HeadsDims): void {
  eachHead(dims, (i, j) => (y[j] = dims.accumulate ? y[j] + heads[i] : heads[i]));
}
