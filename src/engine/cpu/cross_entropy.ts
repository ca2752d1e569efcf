// CPU twin of shaders/cross_entropy.wgsl.

import type { F } from './types';
import { logSumExp } from './log_softmax';

/** Out-of-range targets are clamped into the row, as on the GPU. */
export const targetCol = (t: number, V: number): number => Math.min(Math.max(t, 0), V - 1);

/** loss[0] = sum(mask * nll) / sum(mask), 0 when sum(mask) is 0. */
export function crossEntropyForward(
  loss: F,
  logits: F,
  targets: Int32Array,
  mask: F,
  { R, V }: { R: number; V: number },
): void {
  let num = 0;
  let den = 0;
  for (let r = 0; r < R; r++) {
    den += mask[r];
    if (mask[r] !== 0) num += mask[r] * (logSumExp(logits, r * V, V) - logits[r * V + targetCol(targets[r], V)]);
  }
  loss[0] = den !== 0 ? num / den : 0;
}

/** dlogits += scale * mask * (softmax - onehot) / sum(mask); nothing when sum(mask) is 0. */
export function crossEntropyBackward(
  dlogits: F,
  logits: F,
  targets: Int32Array,
  mask: F,
  { R, V, scale = 1 }: { R: number; V: number; scale?: number },
): void {
  let den = 0;
  for (let r = 0; r < R; r++) den += mask[r];
  if (den === 0) return;
  for (let r = 0; r < R; r++) {
    const g = (scale * mask[r]) / den;
    if (g === 0) continue;
    const o = r * V;
    const lse = logSumExp(logits, o, V);
    const t = targetCol(targets[r], V);
    for (let c = 0; c < V; c++) dlogits[o + c] += g * (Math.exp(logits[o + c] - lse) - (c === t ? 1 : 0));
  }
}
