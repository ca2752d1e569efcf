// matmul: PyTorch fixtures on both backends, WebGPU (both kernel variants) vs the CPU twin on awkward shapes, and
// the CPU twin's gradients vs finite differences.

import { describe, expect, it } from 'vitest';
import type { Backend, MatmulDims } from '../../src/engine/backend';
import { matmulBackward as composedBackward } from '../../src/engine/ops';
import { matmulBackward, matmulForward } from '../../src/engine/cpu/matmul';
import type { WebGPUBackend } from '../../src/engine/webgpu/backend';
import { MATMUL_VARIANT, matmul, type MatmulVariant } from '../../src/engine/webgpu/kernels/matmul';
import { fixtures, fixtureTests, randn, webgpu } from '../helpers/backends';
import { expectClose, finiteDiff } from '../helpers/numeric';

const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

/** Float32 sums of n products of N(0,1) values against a float64 reference: the rounding error grows with n. */
const sumAtol = (n: number) => 1e-6 * (n + 1);

describe('matmul fixtures', () => {
  const all = fixtures('matmul_');
  it('exist', () => expect(all.length).toBeGreaterThanOrEqual(12));
  fixtureTests(all);
});

/** c = op(a) op(b) (accumulated into a random c when asked) on one backend. */
async function product(
  be: Backend,
  A: Float32Array,
  B: Float32Array,
  C0: Float32Array,
  dims: MatmulDims,
  variant?: MatmulVariant,
): Promise<Float32Array> {
  const { M, K, N, transA = false, transB = false } = dims;
  const a = be.tensor(transA ? [K, M] : [M, K], { data: A, label: 'a' });
  const b = be.tensor(transB ? [N, K] : [K, N], { data: B, label: 'b' });
  const c = be.tensor([M, N], { data: C0, label: 'c' });
  if (variant) matmul((be as WebGPUBackend).ctx, c, a, b, dims, null, variant);
  else be.matmul(c, a, b, dims);
  const out = (await be.read(c)) as Float32Array;
  for (const t of [a, b, c]) be.release(t);
  return out;
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 5],
  [33, 70, 17],
  [129, 65, 257],
  [1030, 20, 3],
  [1000, 3, 1],
  [3, 1500, 2],
  [1, 9, 1100],
  [64, 64, 64],
];

describe.each(SHAPES)('matmul M=%i K=%i N=%i, WebGPU vs the CPU twin', (M, K, N) => {
  for (const [transA, transB] of TRANSPOSES) {
    it(`transA=${transA} transB=${transB}, written and accumulated`, async () => {
      const g = await webgpu();
      const A = randn(M * K, M + 7 * K + 1);
      const B = randn(K * N, N + 3 * K + 2);
      const C0 = randn(M * N, 5);
      for (const accumulate of [false, true]) {
        const dims = { M, K, N, transA, transB, accumulate };
        const want = C0.slice();
        matmulForward(want, A, B, dims);
        expectClose(await product(g, A, B, C0, dims), want, 1e-4, sumAtol(K), `accumulate=${accumulate}`);
      }
    });
  }
});

describe('matmul kernel variants', () => {
  const other: MatmulVariant = MATMUL_VARIANT === 'register' ? 'tiled' : 'register';
  it.each([
    [1, 1, 1],
    [33, 70, 17],
    [65, 17, 130],
  ])(`the non-default variant (${other}) agrees too, M=%i K=%i N=%i`, async (M, K, N) => {
    const g = await webgpu();
    const A = randn(M * K, 11);
    const B = randn(K * N, 12);
    const C0 = randn(M * N, 13);
    for (const [transA, transB] of TRANSPOSES) {
      for (const accumulate of [false, true]) {
        const dims = { M, K, N, transA, transB, accumulate };
        const want = C0.slice();
        matmulForward(want, A, B, dims);
        expectClose(
          await product(g, A, B, C0, dims, other),
          want,
          1e-4,
          sumAtol(K),
          `${other} ${transA} ${transB} ${accumulate}`,
        );
      }
    }
  });

  it('rejects operands smaller than the dims say', async () => {
    const g = await webgpu();
    const a = g.tensor([4, 3]);
    const b = g.tensor([3, 5]);
    const c = g.tensor([4, 4]);
    expect(() => g.matmul(c, a, b, { M: 4, K: 3, N: 5 })).toThrow(/c/);
  });

  it('leaves the elements outside c alone (views into one buffer)', async () => {
    const g = await webgpu();
    const M = 5,
      K = 3,
      N = 7;
    const base = g.tensor([g.alignElements + M * N + g.alignElements], {
      data: new Float32Array(2 * g.alignElements + M * N).fill(9),
    });
    const c = g.view(base, g.alignElements, [M, N]);
    const A = randn(M * K, 1),
      B = randn(K * N, 2);
    g.matmul(c, g.tensor([M, K], { data: A }), g.tensor([K, N], { data: B }), { M, K, N });
    const all = await g.read(base);
    const want = new Float32Array(M * N);
    matmulForward(want, A, B, { M, K, N });
    expectClose(all.subarray(g.alignElements, g.alignElements + M * N), want, 1e-4, sumAtol(K), 'inside');
    expect([...all.subarray(0, g.alignElements), ...all.subarray(g.alignElements + M * N)].every((v) => v === 9)).toBe(
      true,
    );
  });
});

describe('matmul backward', () => {
  it.each(TRANSPOSES)('CPU twin gradients match finite differences (transA=%s transB=%s)', (transA, transB) => {
    const M = 3,
      K = 4,
      N = 2;
    const dims = { M, K, N, transA, transB };
    const a = Float64Array.from(randn(M * K, 21));
    const b = Float64Array.from(randn(K * N, 22));
    const dc = Float64Array.from(randn(M * N, 23));
    const loss = (x: Float64Array, y: Float64Array) => {
      const c = new Float64Array(M * N);
      matmulForward(c, x, y, dims);
      return c.reduce((s, v, i) => s + v * dc[i], 0);
    };
    // Start from nonzero gradients: backward accumulates.
    const da = new Float64Array(M * K).fill(0.25);
    const db = new Float64Array(K * N).fill(-0.5);
    matmulBackward(da, db, dc, a, b, dims);
    const fa = finiteDiff((x) => loss(x, b), a);
    for (let i = 0; i < a.length; i++) expect(Math.abs(fa[i] + 0.25 - da[i])).toBeLessThan(1e-7);
    const fb = finiteDiff((y) => loss(a, y), b);
    for (let i = 0; i < b.length; i++) expect(Math.abs(fb[i] - 0.5 - db[i])).toBeLessThan(1e-7);
  });

  it('CPU twin gives the same gradient of b when that of a is not asked for', () => {
    const dims = { M: 2, K: 3, N: 2 };
    const a = randn(6, 1),
      b = randn(6, 2),
      dc = randn(4, 3);
    const both = new Float32Array(6),
      only = new Float32Array(6);
    matmulBackward(new Float32Array(6), both, dc, a, b, dims);
    matmulBackward(null, only, dc, a, b, dims);
    expect(both.some((v) => v !== 0)).toBe(true);
    expect([...only]).toEqual([...both]);
  });

  describe.each([
    [7, 13, 5],
    [33, 70, 17],
    [130, 3, 1100],
  ])('ops.matmulBackward on WebGPU equals the CPU twin, M=%i K=%i N=%i', (M, K, N) => {
    for (const [transA, transB] of TRANSPOSES) {
      it(`transA=${transA} transB=${transB}`, async () => {
        const g = await webgpu();
        const dims = { M, K, N, transA, transB };
        const A = randn(M * K, 31),
          B = randn(K * N, 32),
          DC = randn(M * N, 33);
        const DA0 = randn(M * K, 34),
          DB0 = randn(K * N, 35);
        const a = g.tensor(transA ? [K, M] : [M, K], { data: A });
        const b = g.tensor(transB ? [N, K] : [K, N], { data: B });
        const dc = g.tensor([M, N], { data: DC });
        const da = g.tensor(transA ? [K, M] : [M, K], { data: DA0 });
        const db = g.tensor(transB ? [N, K] : [K, N], { data: DB0 });
        composedBackward(g, da, db, dc, a, b, dims);
        const wantA = DA0.slice(),
          wantB = DB0.slice();
        matmulBackward(wantA, wantB, DC, A, B, dims);
        expectClose(await g.read(da), wantA, 1e-4, sumAtol(N), 'da');
        expectClose(await g.read(db), wantB, 1e-4, sumAtol(M), 'db');
        for (const t of [a, b, dc, da, db]) g.release(t);
      });
    }
  });
});
