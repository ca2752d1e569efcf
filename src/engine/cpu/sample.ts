// CPU twin of shaders/sample.wgsl: categorical sampling of rows of logits by inverse CDF of a Philox uniform.

import type { SampleParams } from '../backend';
import { bitsToUniform, philox4x32 } from '../rng';
import type { F } from './types';

/** tokens[b, t] = first k with sum_{j<=k} p_j > u, p = softmax(logits[b] / temperature); stop is absorbing. */
export function sampleForward(tokens: Int32Array, logits: F, clock: number, params: SampleParams): void {
  const { B, T, V, t, temperature, seedLo, seedHi, stream, stop } = params;
  const w = new Uint32Array(4);
  const e = new Float64Array(V);
  for (let b = 0; b < B; b++) {
    if (stop >= 0 && t > 0 && tokens[b * T + t - 1] === stop) {
      tokens[b * T + t] = stop;
      continue;
    }
    philox4x32(w, 0, b, stream, clock, t, seedLo, seedHi);
    const u = bitsToUniform(w[0]);
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, logits[b * V + j] / temperature);
    let total = 0;
    let last = 0;
    for (let j = 0; j < V; j++) {
      e[j] = Math.exp(logits[b * V + j] / temperature - max);
      total += e[j];
      if (e[j] > 0) last = j;
    }
    // Rounding can leave u * total at the very top: the last token with any mass takes it then.
    let pick = last;
    let acc = 0;
    for (let j = 0; j < V; j++) {
      acc += e[j];
      if (acc > u * total) {
        pick = j;
        break;
      }
    }
    tokens[b * T + t] = pick;
  }
}
