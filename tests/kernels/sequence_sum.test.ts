// sequence_sum: masked per-sequence sums and their accumulating backward, WebGPU vs the CPU twin and by hand.

import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { sequenceSumBackward, sequenceSumForward } from '../../src/engine/cpu/sequence_sum';
import { cpu, firstMismatch, randn, webgpu } from '../helpers/backends';
import { finiteDiff } from '../helpers/numeric';

function mask(B: number, T: number, seed: number): Float32Array {
  // Prefix masks of random lengths (0 included), as sequences that end early produce.
  const r = randn(B, seed);
  const m = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    const len = Math.floor(Math.abs(r[b]) * 1e4) % (T + 1);
    for (let t = 0; t < len; t++) m[b * T + t] = 1;
  }
  return m;
}

async function run(
  be: Backend,
  B: number,
  T: number,
  x: Float32Array,
  m: Float32Array,
  dout: Float32Array,
  dx0: Float32Array,
) {
  const tx = be.tensor([B, T], { data: x });
  const tm = be.tensor([B, T], { data: m });
  const out = be.tensor([B], { data: new Float32Array(B).fill(7) });
  const tdx = be.tensor([B, T], { data: dx0 });
  be.sequenceSumForward(out, tx, tm, { B, T });
  be.sequenceSumBackward(tdx, be.tensor([B], { data: dout }), tm, { B, T });
  return { out: await be.read(out), dx: await be.read(tdx) };
}

describe.each([
  [1, 1],
  [3, 7],
  [257, 13],
  [1031, 32],
  [2, 3001],
])('sequence_sum B=%i T=%i', (B, T) => {
  it('matches the CPU twin and the definition', async () => {
    const x = randn(B * T, B + T, 2);
    const m = mask(B, T, B * 7 + T);
    const dout = randn(B, 5);
    const dx0 = randn(B * T, 9, 0.5);
    const g = await run(await webgpu(), B, T, x, m, dout, dx0);
    const c = await run(cpu(), B, T, x, m, dout, dx0);
    expect(firstMismatch(g.out, c.out, 1e-5, 1e-5)).toBe(-1);
    expect(firstMismatch(g.dx, c.dx, 0, 0)).toBe(-1);
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let t = 0; t < T; t++) s += m[b * T + t] * x[b * T + t];
      expect(Math.abs(c.out[b] - s)).toBeLessThan(1e-4 * (1 + Math.abs(s)));
      // Accumulated onto dx0, zero where masked.
      for (let t = 0; t < T; t++) expect(c.dx[b * T + t]).toBe(Math.fround(dx0[b * T + t] + dout[b] * m[b * T + t]));
    }
  });
});

describe('sequence_sum', () => {
  it('backward is the gradient of sum(dout * forward) (finite differences in float64)', () => {
    const B = 3,
      T = 5;
    const x = Float64Array.from(randn(B * T, 1));
    const m = Float64Array.from([1, 1, 1, 0, 0, 1, 0.5, 1, 1, 1, 0, 0, 0, 0, 0]);
    const dout = Float64Array.from(randn(B, 2));
    const f = (v: Float64Array) => {
      const o = new Float64Array(B);
      sequenceSumForward(o, v, m, { B, T });
      return o.reduce((s, y, i) => s + y * dout[i], 0);
    };
    const grad = new Float64Array(B * T);
    sequenceSumBackward(grad, dout, m, { B, T });
    const fd = finiteDiff(f, x);
    for (let i = 0; i < B * T; i++) expect(Math.abs(fd[i] - grad[i])).toBeLessThan(1e-8);
  });

  it('an all-masked sequence sums to zero even with huge values', async () => {
    const g = await run(
      await webgpu(),
      2,
      2,
      Float32Array.from([3e38, -3e38, 1, 2]),
      Float32Array.from([0, 0, 1, 1]),
      Float32Array.from([1, 1]),
      new Float32Array(4),
    );
    expect([...g.out]).toEqual([0, 3]);
  });
});
