// CPU twin of shaders/embedding.wgsl.

import type { TypedArray } from '../backend';
import type { F } from './types';

const clampRow = (i: number, V: number) => Math.min(Math.max(i, 0), V - 1);

/** out[n, c] = table[idx[n], c] (any 32-bit dtype; indices clamped to the table). */
export function embeddingForward(out: TypedArray | F, table: TypedArray | F, idx: Int32Array, C: number): void {
  const V = table.length / C;
  for (let n = 0; n < idx.length; n++) {
    const row = clampRow(idx[n], V);
    for (let c = 0; c < C; c++) out[n * C + c] = table[row * C + c];
  }
}

/** dtable[idx[n], c] += dout[n, c]. */
export function embeddingBackward(dtable: F, dout: F, idx: Int32Array, C: number): void {
  const V = dtable.length / C;
  for (let n = 0; n < idx.length; n++) {
    const row = clampRow(idx[n], V);
    for (let c = 0; c < C; c++) dtable[row * C + c] += dout[n * C + c];
  }
}
