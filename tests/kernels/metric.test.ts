// metric: per-step reductions written into the device-side history row chosen by the clock.

import { describe, expect, it } from 'vitest';
import type { Backend, MetricMode } from '../../src/engine/backend';
import { cpu, firstMismatch, randn, webgpu } from '../helpers/backends';

describe.each([1, 7, 256, 257, 5000])('logMetric n=%i', (n) => {
  it('matches the CPU twin in every mode and writes only its cell', async () => {
    const a = randn(n, n);
    const b = randn(n, n + 1);
    const run = async (be: Backend) => {
      const history = be.tensor([4, 3], { data: new Float32Array(12).fill(-9) });
      const clock = be.tensor([1], { dtype: 'u32', data: [6] });
      const ta = be.tensor([n], { data: a });
      const tb = be.tensor([n], { data: b });
      const modes: MetricMode[] = ['mean', 'diff', 'greater'];
      modes.forEach((mode, slot) =>
        be.logMetric(history, ta, mode === 'mean' ? null : tb, clock, { mode, slot, M: 3, rows: 4 }),
      );
      return be.read(history);
    };
    const g = await run(await webgpu());
    const c = await run(cpu());
    expect(firstMismatch(g, c, 1e-5, 1e-6)).toBe(-1);
    // Row 6 % 4 = 2 holds the values; the rest is untouched.
    expect([...g.slice(0, 6), ...g.slice(9)]).toEqual(new Array(9).fill(-9));
    const mean = a.reduce((s, x) => s + x, 0) / n;
    const greater = a.filter((x, i) => x > b[i]).length / n;
    expect(Math.abs(c[6] - mean)).toBeLessThan(1e-5);
    expect(c[8]).toBeCloseTo(greater, 6);
  });
});
