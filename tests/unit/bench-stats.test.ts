import { describe, expect, it } from 'vitest';
import { formatTable, meets, ratio, stat } from '../../bench/stats';
import { topKernels } from '../../bench/profile';
import { adapterKey, chooseMatmulVariant } from '../../src/engine/webgpu/autotune';

describe('bench statistics', () => {
  it('takes min, median and max of the repeats', () => {
    expect(stat([3, 1, 2])).toEqual({ min: 1, median: 2, max: 3 });
    expect(stat([4, 1, 2, 3])).toEqual({ min: 1, median: 2.5, max: 4 });
    expect(Number.isNaN(stat([]).median)).toBe(true);
  });

  it('brackets the ratio by the worst and best pairing', () => {
    const r = ratio([10, 12, 14], [4, 5, 6]);
    expect(r.median).toBeCloseTo(12 / 5);
    expect(r.min).toBeCloseTo(10 / 6);
    expect(r.max).toBeCloseTo(14 / 4);
    expect(meets([10, 12, 14], [4, 5, 6], 2.4)).toBe(true);
    expect(meets([10, 12, 14], [4, 5, 6], 2.5)).toBe(false);
  });

  it('formats a Markdown table with ratios and dashes for missing peers', () => {
    const table = formatTable(
      [
        { name: 'matmul 256', unit: 'GFLOP/s', rates: { ours: [2, 2, 2], jax: [1, 1, 1] } },
        { name: 'dpo step small', unit: 'steps/s', rates: { ours: [150, 160, 170] } },
      ],
      'ours',
      ['jax'],
    );
    const lines = table.split('\n');
    expect(lines[0]).toBe('| case | unit | ours | jax | ours/jax |');
    expect(lines[1]).toBe('| --- | --- | --- | --- | --- |');
    expect(lines[2]).toBe('| matmul 256 | GFLOP/s | 2.00 (2.00-2.00) | 1.00 (1.00-1.00) | 2.00 (2.00-2.00)x |');
    expect(lines[3]).toBe('| dpo step small | steps/s | 160 (150-170) | - | - |');
  });

  it('ranks kernels by total time', () => {
    const top = topKernels([
      { label: 'pipeline:matmul:main:{}', ns: 300 },
      { label: 'pipeline:adamw:main:', ns: 100 },
      { label: 'pipeline:matmul:main:{}', ns: 600 },
    ]);
    expect(top.map((k) => [k.kernel, k.calls])).toEqual([
      ['matmul:main:{}', 2],
      ['adamw:main:', 1],
    ]);
    expect(top[0].share).toBeCloseTo(0.9);
  });
});

describe('matmul autotune choice', () => {
  it('keeps the default on a near tie and switches when another variant is clearly faster', () => {
    expect(chooseMatmulVariant({ register: 2.0, tiled: 2.05 }, 'register')).toBe('register');
    expect(chooseMatmulVariant({ register: 2.0, tiled: 3.0 }, 'register')).toBe('tiled');
    expect(chooseMatmulVariant({ register: 3.0, tiled: 1.0 }, 'tiled')).toBe('register');
  });

  it('never picks a variant without a finite positive rate', () => {
    expect(chooseMatmulVariant({ register: 2.0, tiled: Number.NaN }, 'register')).toBe('register');
    expect(chooseMatmulVariant({ register: Number.NaN, tiled: 1.0 }, 'register')).toBe('tiled');
    expect(chooseMatmulVariant({}, 'tiled')).toBe('tiled');
  });

  it('keys the cache by vendor, architecture and description', () => {
    expect(adapterKey({ vendor: 'google', architecture: 'swiftshader', description: '' })).toBe('google|swiftshader|');
  });
});
