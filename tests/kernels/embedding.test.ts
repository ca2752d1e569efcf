// embedding: row gather (any 32-bit dtype) and its deterministic scatter-add, WebGPU vs the CPU twin.

import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { embeddingBackward, embeddingForward } from '../../src/engine/cpu/embedding';
import { cpu, firstMismatch, randn, webgpu } from '../helpers/backends';
import { finiteDiff } from '../helpers/numeric';

function indices(n: number, V: number, seed: number): Int32Array {
  const r = randn(n, seed);
  // Out-of-range indices are clamped to the table, like the kernel does.
  return Int32Array.from(r, (x, i) => (i % 17 === 5 ? V + 3 : i % 19 === 7 ? -2 : Math.floor(Math.abs(x) * 1e4) % V));
}

describe.each([
  [1, 1, 1],
  [7, 3, 5],
  [300, 13, 64],
  [2000, 1, 40],
])('embedding N=%i C=%i V=%i', (N, C, V) => {
  it('forward and backward match the CPU twin', async () => {
    const g = await webgpu();
    const table = randn(V * C, N + C);
    const idx = indices(N, V, V);
    const dout = randn(N * C, 3);
    const run = async (be: Backend) => {
      const t = be.tensor([V, C], { data: table });
      const i = be.tensor([N], { dtype: 'i32', data: idx });
      const out = be.tensor([N, C]);
      const dt = be.tensor([V, C], { data: new Float32Array(V * C).fill(0.5) });
      be.embeddingForward(out, t, i, C);
      be.embeddingBackward(dt, be.tensor([N, C], { data: dout }), i, C);
      return { out: await be.read(out), dt: await be.read(dt) };
    };
    const a = await run(g);
    const b = await run(cpu());
    expect(firstMismatch(a.out, b.out, 0, 0)).toBe(-1);
    expect(firstMismatch(a.dt, b.dt, 1e-5, 1e-5)).toBe(-1);
  });
});

describe('embedding', () => {
  it('gathers i32 data bit for bit', async () => {
    const g = await webgpu();
    const src = g.tensor([6], { dtype: 'i32', data: [-7, 2147483647, -2147483648, 0, 5, 9] });
    const idx = g.tensor([4], { dtype: 'i32', data: [2, 1, 0, 5] });
    const out = g.tensor([4], { dtype: 'i32' });
    g.embeddingForward(out, src, idx, 1);
    expect([...(await g.read(out))]).toEqual([-2147483648, 2147483647, -7, 9]);
  });

  it('backward is the adjoint of forward (finite differences in float64)', () => {
    const V = 5,
      C = 3,
      N = 8;
    const table = Float64Array.from(randn(V * C, 11));
    const idx = Int32Array.from([0, 4, 4, 2, 1, 0, 3, 4]);
    const dout = Float64Array.from(randn(N * C, 12));
    const f = (t: Float64Array) => {
      const o = new Float64Array(N * C);
      embeddingForward(o, t, idx, C);
      return o.reduce((s, x, i) => s + x * dout[i], 0);
    };
    const grad = new Float64Array(V * C);
    embeddingBackward(grad, dout, idx, C);
    const fd = finiteDiff(f, table);
    for (let i = 0; i < V * C; i++) expect(Math.abs(fd[i] - grad[i])).toBeLessThan(1e-8);
  });
});
