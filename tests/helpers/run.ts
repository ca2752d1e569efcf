// Test helper: run a closure of ops on a backend and read its outputs back in their own dtypes.

import type { Backend, DType, Tensor, TypedArray } from '../../src/engine/backend';

export type Make = (shape: number[], data?: ArrayLike<number>, dtype?: DType) => Tensor;

/** Runs `fn` with a tensor factory, reads the tensors it returns (u32/i32/f32 as stored), releases what it made. */
export async function runTyped(be: Backend, fn: (t: Make) => Tensor[]): Promise<TypedArray[]> {
  const made: Tensor[] = [];
  const t: Make = (shape, data, dtype = 'f32') => {
    const x = be.tensor(shape, { dtype, data });
    made.push(x);
    return x;
  };
  const outs = fn(t);
  const got: TypedArray[] = [];
  for (const o of outs) got.push(await be.read(o));
  for (const x of made) be.release(x);
  return got;
}

/** The raw 32-bit words of a typed array (NaN payloads and -0 included). */
export const words = (a: TypedArray): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
