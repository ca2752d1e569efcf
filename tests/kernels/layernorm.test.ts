// layernorm: the PyTorch fixtures, WebGPU vs the CPU twin (rows with a large mean, C up to 4096), and the twin's
// backward against float64 central differences.

import { describe, expect, it } from 'vitest';
import type { Backend, LayernormDims } from '../../src/engine/backend';
import { layernormBackward, layernormForward } from '../../src/engine/cpu/layernorm';
import { cpu, fixtures, fixtureTests, randn, webgpu } from '../helpers/backends';
import { expectClose, finiteDiff, largest } from '../helpers/numeric';

describe('layernorm fixtures', () => fixtureTests(fixtures('layernorm_')));

/** x rows with mean `shift` and unit spread, so the one-pass E[x^2] - E[x]^2 would lose every digit at 1e4. */
function inputs(R: number, C: number, shift: number, seed: number) {
  const x = randn(R * C, seed).map((v) => v + shift);
  return {
    x,
    gamma: randn(C, seed + 1).map((v) => 1 + 0.5 * v),
    beta: randn(C, seed + 2, 0.3),
    dy: randn(R * C, seed + 3),
    // Non-zero gradients to start from: the backward accumulates.
    dx0: randn(R * C, seed + 4, 0.1),
    dg0: randn(C, seed + 5, 0.1),
    db0: randn(C, seed + 6, 0.1),
  };
}

async function run(be: Backend, d: LayernormDims, data: ReturnType<typeof inputs>) {
  const { R, C } = d;
  const t = (shape: number[], v: Float32Array, label: string) => be.tensor(shape, { data: v, label });
  const x = t([R, C], data.x, 'x');
  const gamma = t([C], data.gamma, 'gamma');
  const y = be.tensor([R, C]);
  const mean = be.tensor([R]);
  const rstd = be.tensor([R]);
  be.layernormForward(y, mean, rstd, x, gamma, t([C], data.beta, 'beta'), d);
  const dx = t([R, C], data.dx0, 'dx');
  const dgamma = t([C], data.dg0, 'dgamma');
  const dbeta = t([C], data.db0, 'dbeta');
  be.layernormBackward(dx, dgamma, dbeta, t([R, C], data.dy, 'dy'), x, gamma, mean, rstd, d);
  const out = {
    y: await be.read(y),
    mean: await be.read(mean),
    rstd: await be.read(rstd),
    dx: await be.read(dx),
    dgamma: await be.read(dgamma),
    dbeta: await be.read(dbeta),
  };
  return out as Record<keyof typeof out, Float32Array>;
}

describe.each([
  [1, 1, 0],
  [3, 7, 0],
  [5, 257, 0],
  [4, 1031, 1e4],
  [2, 4096, 0],
  [3, 4096, -3e3],
])('layernorm R=%i C=%i, row mean %d', (R, C, shift) => {
  it('forward and backward match the CPU twin', async () => {
    const d = { R, C, eps: 1e-5 };
    const data = inputs(R, C, shift, R * 31 + C);
    const got = await run(await webgpu(), d, data);
    const want = await run(cpu(), d, data);
    expectClose(got.mean, want.mean, 1e-6, 1e-6, 'mean');
    expectClose(got.rstd, want.rstd, 1e-4, 0, 'rstd');
    expectClose(got.y, want.y, 1e-4, 1e-4, 'y');
    expectClose(got.dx, want.dx, 2e-4, 2e-4 * largest(want.dx), 'dx');
    // Column sums over R rows, added in a different order on the two backends.
    expectClose(got.dgamma, want.dgamma, 1e-4, 1e-5 * R * largest(want.dgamma), 'dgamma');
    expectClose(got.dbeta, want.dbeta, 1e-4, 1e-5 * R * largest(want.dbeta), 'dbeta');
  });
});

describe('layernorm', () => {
  it('normalizes a row with a large mean to zero mean and unit variance', async () => {
    const C = 512;
    const x = Float32Array.from({ length: C }, (_, c) => 1e4 + (c % 2 ? 1 : -1));
    const be = await webgpu();
    const y = be.tensor([1, C]);
    const [mean, rstd] = [be.tensor([1]), be.tensor([1])];
    const ones = be.tensor([C], { data: new Float32Array(C).fill(1) });
    be.layernormForward(y, mean, rstd, be.tensor([1, C], { data: x }), ones, be.tensor([C]), { R: 1, C, eps: 0 });
    const out = await be.read(y);
    expect((await be.read(mean))[0]).toBe(1e4);
    // The variance is exactly 1: the pattern is +-1 about 1e4, which float32 holds exactly.
    for (let c = 0; c < C; c++) expect(out[c]).toBe(c % 2 ? 1 : -1);
  });

  it("the twin's backward is the gradient of its forward (float64 central differences)", () => {
    const [R, C] = [3, 5];
    const d = { R, C, eps: 1e-5 };
    const x = Float64Array.from(randn(R * C, 7)).map((v, i) => v + (i % C) * 0.2);
    const gamma = Float64Array.from(randn(C, 8)).map((v) => 1 + 0.3 * v);
    const beta = Float64Array.from(randn(C, 9));
    const dy = Float64Array.from(randn(R * C, 10));
    const loss = (xx: Float64Array, g: Float64Array, b: Float64Array) => {
      const y = new Float64Array(R * C);
      layernormForward(y, new Float64Array(R), new Float64Array(R), xx, g, b, d);
      return y.reduce((s, v, i) => s + v * dy[i], 0);
    };
    const mean = new Float64Array(R);
    const rstd = new Float64Array(R);
    layernormForward(new Float64Array(R * C), mean, rstd, x, gamma, beta, d);
    const dx = new Float64Array(R * C);
    const dg = new Float64Array(C);
    const db = new Float64Array(C);
    layernormBackward(dx, dg, db, dy, x, gamma, mean, rstd, d);
    expectClose(
      dx,
      finiteDiff((v) => loss(v, gamma, beta), x),
      1e-6,
      1e-7,
      'dx',
    );
    expectClose(
      dg,
      finiteDiff((v) => loss(x, v, beta), gamma),
      1e-6,
      1e-7,
      'dgamma',
    );
    expectClose(
      db,
      finiteDiff((v) => loss(x, gamma, v), beta),
      1e-6,
      1e-7,
      'dbeta',
    );
  });
});
