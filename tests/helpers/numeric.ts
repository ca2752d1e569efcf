// Test helpers for numbers: element-wise closeness as OPS.md defines it, and float64 central differences.

import { expect } from 'vitest';
import { firstMismatch } from './backends';

/** Asserts |got - want| <= atol + rtol |want| element-wise, reporting the first offending element. */
export function expectClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  const i = firstMismatch(got, want, rtol, atol);
  expect(i, i < 0 ? what : `${what}[${i}]: got ${got[i]}, want ${want[i]}`).toBe(-1);
}

/** The largest |want|: float32 rounding in a sum is relative to its largest terms, not to each result. */
export function largest(want: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(want[i]));
  return max;
}

/** Central differences of f at x (float64) for every index in `at` (default all); x is restored after each. */
export function finiteDiff<X extends Float64Array | Float32Array>(
  f: (x: X) => number,
  x: X,
  at: readonly number[] = Array.from(x.keys()),
  h = 1e-6,
): number[] {
  return at.map((i) => {
    const keep = x[i];
    x[i] = keep + h;
    const up = f(x);
    x[i] = keep - h;
    const down = f(x);
    x[i] = keep;
    return (up - down) / (2 * h);
  });
}
