// CPU twin of shaders/philox.wgsl, on the Philox of src/engine/rng.ts.

import type { RandomParams, TypedArray } from '../backend';
import { bitsToUniform, philox4x32 } from '../rng';
import type { F } from './types';

/** bits[r, :] and uniform[r, :] = Philox(counter[r, :], key). */
export function philoxForward(
  bits: Uint32Array | null,
  uniform: F | null,
  counter: Uint32Array,
  key: Uint32Array,
): void {
  const w = new Uint32Array(4);
  for (let r = 0; r < counter.length / 4; r++) {
    philox4x32(w, 0, counter[4 * r], counter[4 * r + 1], counter[4 * r + 2], counter[4 * r + 3], key[0], key[1]);
    for (let e = 0; e < 4; e++) {
      if (bits) bits[4 * r + e] = w[e];
      if (uniform) uniform[4 * r + e] = bitsToUniform(w[e]);
    }
  }
}

/** floor(u * n) with u = (2 (b >> 8) + 1) / 2^25, exact in integers as the shader computes it. */
export function scaledIndex(b: number, n: number): number {
  const a = 2 * (b >>> 8) + 1;
  // a n = hi 2^16 + lo, each part exact in float64 (a < 2^25, n < 2^32).
  const hi = a * Math.floor(n / 65536);
  const lo = a * (n % 65536);
  return Math.floor((hi + Math.floor(lo / 65536)) / 512);
}

/** The uniform the shader sees: its f32 rounding of ((b >> 8) + 0.5) 2^-24. */
const uniformF32 = (b: number) => Math.fround(bitsToUniform(b));

/** Element i = word i % 4 of Philox(counter (i / 4, stream, clock, 0), key (seedLo, seedHi)). */
export function philoxRandom(out: TypedArray | F, clock: number, params: RandomParams): void {
  const { kind, seedLo, seedHi, stream, mean = 0, std = 1, n = 0 } = params;
  const want = kind === 'bits' ? Uint32Array : kind === 'index' ? Int32Array : null;
  if (want ? !(out instanceof want) : !(out instanceof Float32Array || out instanceof Float64Array)) {
    throw new Error(`random ${kind}: wrong array type ${out.constructor.name}`);
  }
  if (kind === 'index' && !(Number.isInteger(n) && n >= 1 && n < 2 ** 31)) {
    throw new Error(`random index: n must be an integer in [1, 2^31), got ${n}`);
  }
  const w = new Uint32Array(4);
  const z = new Float64Array(4);
  for (let j = 0; 4 * j < out.length; j++) {
    philox4x32(w, 0, j, stream, clock, 0, seedLo, seedHi);
    if (kind === 'normal') {
      // Box-Muller on pairs (0, 1) and (2, 3): z0 = r cos(2 pi u2), z1 = r sin(2 pi u2), r = sqrt(-2 ln u1).
      for (const p of [0, 2]) {
        const r = Math.sqrt(-2 * Math.log(uniformF32(w[p])));
        const a = 2 * Math.PI * uniformF32(w[p + 1]);
        z[p] = r * Math.cos(a);
        z[p + 1] = r * Math.sin(a);
      }
    }
    for (let e = 0; e < 4 && 4 * j + e < out.length; e++) {
      const i = 4 * j + e;
      if (kind === 'bits') out[i] = w[e];
      else if (kind === 'uniform') out[i] = mean + std * uniformF32(w[e]);
      else if (kind === 'normal') out[i] = mean + std * z[e];
      else out[i] = scaledIndex(w[e], n);
    }
  }
}
