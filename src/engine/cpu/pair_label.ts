// CPU twin of shaders/pair_label.wgsl: Bradley-Terry preference labels for pairs of sampled responses.

import type { PairLabelParams } from '../backend';
import { bitsToUniform, philox4x32 } from '../rng';
import type { F } from './types';

/** Row b beats row B + b when u < sigmoid(r[b] - r[B+b]); chosen/rejected get the row ids. */
export function pairLabelForward(
  chosen: Int32Array,
  rejected: Int32Array,
  rewards: F,
  clock: number,
  params: PairLabelParams,
): void {
  const { B, seedLo, seedHi, stream } = params;
  const w = new Uint32Array(4);
  for (let b = 0; b < B; b++) {
    philox4x32(w, 0, b, stream, clock, 0, seedLo, seedHi);
    const first = bitsToUniform(w[0]) < 1 / (1 + Math.exp(rewards[B + b] - rewards[b]));
    chosen[b] = first ? b : B + b;
    rejected[b] = first ? B + b : b;
  }
}
