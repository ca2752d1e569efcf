// CPU twin of shaders/elementwise.wgsl.

import type { TypedArray } from '../backend';
import type { F } from './types';

/** out[i] = value, converted to the array's element type. */
export function fill(out: TypedArray | F, value: number): void {
  out.fill(value);
}

/** dst[i] = src[i] for i < src.length: bitwise between 32-bit arrays (an f32 copied into an i32 keeps its bits). */
export function copy(dst: TypedArray | F, src: TypedArray | F): void {
  if (dst.length < src.length) throw new Error(`copy of ${src.length} elements into ${dst.length}`);
  if (dst instanceof Float64Array || src instanceof Float64Array) {
    dst.set(src);
    return;
  }
  new Uint32Array(dst.buffer, dst.byteOffset, src.length).set(new Uint32Array(src.buffer, src.byteOffset, src.length));
}

/** y[i] = a x[i] + b y[i]. */
export function axpby(y: F, x: F, a: number, b: number): void {
  if (x.length !== y.length) throw new Error(`axpby: x has ${x.length} elements, y ${y.length}`);
  for (let i = 0; i < y.length; i++) y[i] = a * x[i] + b * y[i];
}

/** out[0] (+)= scale * sum(x). */
export function sum(out: F, x: F, scale: number, accumulate = false): void {
  let acc = 0;
  for (let i = 0; i < x.length; i++) acc += x[i];
  out[0] = (accumulate ? out[0] : 0) + scale * acc;
}

/** clock[0] += 1, wrapping like a u32. */
export function tick(clock: Uint32Array): void {
  clock[0] = clock[0] + 1;
}
