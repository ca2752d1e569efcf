// Trends of a logged metric: the EMA that smooths a per-step series.
import { describe, expect, it } from 'vitest';
import { ema } from '../../src/lab/trends';

describe('exponential moving average', () => {
  it('starts at the first value and follows a constant exactly', () => {
    expect(ema([3, 3, 3], 0.9).map((v) => Number(v.toFixed(12)))).toEqual([3, 3, 3]);
    expect(ema([], 0.9)).toEqual([]);
  });

  it('weighs the past by w and the new value by 1 - w, corrected for its start at 0', () => {
    const [a, b] = ema([1, 2], 0.5);
    expect(a).toBe(1);
    // m = 0.5 * 0.5 + 0.5 * 2 = 1.25, over 1 - 0.25.
    expect(b).toBeCloseTo(1.25 / 0.75, 12);
  });

  it('shrinks noise: alternating values settle near their mean', () => {
    const noisy = Array.from({ length: 400 }, (_, i) => (i % 2 ? 1 : -1));
    const smooth = ema(noisy, 0.95);
    expect(Math.abs(smooth[399])).toBeLessThan(0.06);
  });

  it('keeps a non-finite value and passes over it', () => {
    const out = ema([1, NaN, 1], 0.5);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeCloseTo(1, 12);
  });
});
