// Test helpers for the row-reduction ops: run a closure on a backend and read its results, spreads, targets.

import type { Backend, Tensor } from '../../src/engine/backend';

/** Runs `fn` with a tensor factory, reads the tensors it returns, releases everything it made. */
export async function runOn(
  be: Backend,
  fn: (t: (shape: number[], data?: ArrayLike<number>, dtype?: 'f32' | 'i32') => Tensor) => Tensor[],
): Promise<Float32Array[]> {
  const made: Tensor[] = [];
  const t = (shape: number[], data?: ArrayLike<number>, dtype: 'f32' | 'i32' = 'f32') => {
    const x = be.tensor(shape, { dtype, data });
    made.push(x);
    return x;
  };
  const outs = fn(t);
  const got: Float32Array[] = [];
  for (const o of outs) got.push(Float32Array.from(await be.read(o)));
  for (const x of made) be.release(x);
  return got;
}

/** Indices 0, step, 2 step, ... below n: a spread of elements to difference. */
export const spread = (n: number, count: number): number[] =>
  Array.from({ length: Math.min(n, count) }, (_, k) => Math.floor((k * n) / Math.min(n, count)));

/** Deterministic integer targets in [0, V). */
export function targetsFor(n: number, V: number, seed = 7): Int32Array {
  const out = new Int32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (s >>> 8) % V;
  }
  return out;
}
