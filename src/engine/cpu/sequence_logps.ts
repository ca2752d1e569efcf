// CPU twin of shaders/sequence_logps.wgsl.

import type { SequenceDims } from '../backend';
import { atPrecisionOf, type F } from './types';
import { logSumExp } from './log_softmax';
import { targetCol } from './cross_entropy';

/** logps[b] = sum_t mask * log_softmax(logits[b, t])[target] (/ sum_t mask when average, 0 when all masked). */
export function sequenceLogpsForward(
  logps: F,
  logits: F,
  targets: Int32Array,
  mask: F,
  { B, T, V, average }: SequenceDims,
): void {
  for (let b = 0; b < B; b++) {
    let sum = 0;
    let count = 0;
    for (let t = 0; t < T; t++) {
      const row = b * T + t;
      count += mask[row];
      if (mask[row] === 0) continue;
      sum += mask[row] * (logits[row * V + targetCol(targets[row], V)] - logSumExp(logits, row * V, V));
    }
    logps[b] = average ? (count !== 0 ? sum / count : 0) : sum;
  }
}

/** dlogits += dlogps[b] * mask * (onehot - softmax) (/ sum_t mask when average). */
export function sequenceLogpsBackward(
  dlogits: F,
  dlogps: F,
  logits: F,
  targets: Int32Array,
  mask: F,
  { B, T, V, average }: SequenceDims,
): void {
  for (let b = 0; b < B; b++) {
    let count = 0;
    for (let t = 0; t < T; t++) count += mask[b * T + t];
    const coef = average ? (count !== 0 ? dlogps[b] / count : 0) : dlogps[b];
    for (let t = 0; t < T; t++) {
      const row = b * T + t;
      const g = coef * mask[row];
      if (g === 0) continue;
      const o = row * V;
      const lse = logSumExp(logits, o, V);
      const tc = targetCol(targets[row], V);
      for (let c = 0; c < V; c++)
        dlogits[o + c] += atPrecisionOf(dlogits, g * ((c === tc ? 1 : 0) - Math.exp(logits[o + c] - lse)));
    }
  }
}
