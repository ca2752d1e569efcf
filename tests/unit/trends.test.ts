// Trends of a logged metric: the EMA that smooths a per-step series, and the sentence that summarizes it.
import { describe, expect, it } from 'vitest';
import { describeTrend, ema } from '../../src/lab/trends';

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

describe('a series in words', () => {
  const fmt = (v: number) => v.toFixed(2);
  const steps = (n: number, every = 1) => Array.from({ length: n }, (_, i) => (i + 1) * every);

  it('says whether it rose or fell, from and to what, over how many steps', () => {
    const ys = steps(400).map((s) => (1.62 * s) / 400 - 1.62 / 400);
    expect(describeTrend('rewards/margins', steps(400), ys, fmt)).toBe(
      'rewards/margins rose from 0.00 to 1.62 over steps 1 to 400.',
    );
    expect(describeTrend('loss · teacher', [25, 50, 400], [2, 1.5, 1.3], fmt)).toBe(
      'loss · teacher fell from 2.00 to 1.30 over steps 25 to 400.',
    );
  });

  it('names a peak or a low well past both ends', () => {
    expect(describeTrend('kl', [10, 20, 30, 40], [0, 3, 1, 0.2], fmt)).toBe(
      'kl went from 0.00 to 0.20 over steps 10 to 40, peaking at 3.00 (step 20).',
    );
    expect(describeTrend('modes', [100, 200, 300], [8, 1, 7], fmt)).toBe(
      'modes fell from 8.00 to 7.00 over steps 100 to 300, lowest at 1.00 (step 200).',
    );
  });

  it('names no extreme in the noise of a flat series', () => {
    expect(describeTrend('entropy', [425, 475, 575, 600], [2.357, 2.322, 2.382, 2.345], fmt)).toBe(
      'entropy fell from 2.36 to 2.35 over steps 425 to 600.',
    );
  });

  it('holds a constant, reads a single point and passes over non-finite values', () => {
    expect(describeTrend('length', [25, 50], [12, 12], fmt)).toBe('length held at 12.00 over steps 25 to 50.');
    expect(describeTrend('gap', [5], [0.5], fmt)).toBe('gap is 0.50 at step 5.');
    expect(describeTrend('loss', [1, 2, 3], [NaN, 1, 2], fmt)).toBe('loss rose from 1.00 to 2.00 over steps 2 to 3.');
    expect(describeTrend('loss', [1], [NaN], fmt)).toBe('loss is not finite.');
    expect(describeTrend('loss', [], [], fmt)).toBe('loss has no values yet.');
  });
});
