// linear: PyTorch fixtures on both backends, WebGPU vs the CPU twin (bias fused or absent, null gradients, 100k
// rows), the bias gradient's determinism, and the CPU twin's gradients vs finite differences.

import { describe, expect, it } from 'vitest';
import type { Backend, LinearDims } from '../../src/engine/backend';
import { linearBackward, linearForward } from '../../src/engine/cpu/linear';
import { cpu, fixtures, fixtureTests, randn, webgpu } from '../helpers/backends';
import { expectClose, finiteDiff } from '../helpers/numeric';

/** Float32 sums of n products of N(0,1) values against a float64 reference: the rounding error grows with n. */
const sumAtol = (n: number) => 1e-6 * (n + 1);

describe('linear fixtures', () => {
  const all = fixtures('linear_');
  it('exist', () => expect(all.length).toBeGreaterThanOrEqual(2));
  fixtureTests(all);
});

interface Grads {
  y: Float32Array;
  dx: Float32Array | null;
  dw: Float32Array;
  db: Float32Array | null;
}

/** Forward and backward on one backend, gradients accumulated onto the given starting values. */
async function layer(
  be: Backend,
  d: LinearDims,
  data: {
    X: Float32Array;
    W: Float32Array;
    B: Float32Array;
    DY: Float32Array;
    DX0: Float32Array;
    DW0: Float32Array;
    DB0: Float32Array;
  },
  opts: { bias: boolean; dx: boolean; db: boolean },
): Promise<Grads> {
  const { N, IN, OUT } = d;
  const x = be.tensor([N, IN], { data: data.X });
  const w = be.tensor([IN, OUT], { data: data.W });
  const b = opts.bias ? be.tensor([OUT], { data: data.B }) : null;
  const dy = be.tensor([N, OUT], { data: data.DY });
  const y = be.tensor([N, OUT]);
  const dx = opts.dx ? be.tensor([N, IN], { data: data.DX0 }) : null;
  const dw = be.tensor([IN, OUT], { data: data.DW0 });
  const db = opts.db ? be.tensor([OUT], { data: data.DB0 }) : null;
  be.linearForward(y, x, w, b, d);
  be.linearBackward(dx, dw, db, dy, x, w, d);
  const f = async (t: typeof x | null) => (t ? ((await be.read(t)) as Float32Array) : null);
  const out = { y: (await f(y))!, dx: await f(dx), dw: (await f(dw))!, db: await f(db) };
  for (const t of [x, w, b, dy, y, dx, dw, db]) if (t) be.release(t);
  return out;
}

const inputs = (d: LinearDims, seed: number) => ({
  X: randn(d.N * d.IN, seed),
  W: randn(d.IN * d.OUT, seed + 1, 0.5),
  B: randn(d.OUT, seed + 2),
  DY: randn(d.N * d.OUT, seed + 3),
  DX0: randn(d.N * d.IN, seed + 4),
  DW0: randn(d.IN * d.OUT, seed + 5),
  DB0: randn(d.OUT, seed + 6),
});

describe.each([
  [1, 1, 1],
  [7, 13, 5],
  [33, 70, 17],
  [50, 7, 130],
  [1030, 20, 3],
  [3, 5, 1100],
  [100003, 3, 2],
])('linear N=%i IN=%i OUT=%i, WebGPU vs the CPU twin', (N, IN, OUT) => {
  const d = { N, IN, OUT };
  const data = inputs(d, N + IN + OUT);
  for (const opts of [
    { bias: true, dx: true, db: true },
    { bias: false, dx: false, db: false },
  ]) {
    it(`bias=${opts.bias}, dx and db ${opts.dx ? 'given' : 'null'}`, async () => {
      const got = await layer(await webgpu(), d, data, opts);
      const want = await layer(cpu(), d, data, opts);
      expectClose(got.y, want.y, 1e-4, sumAtol(IN), 'y');
      expectClose(got.dw, want.dw, 1e-4, sumAtol(N), 'dw');
      if (opts.dx) expectClose(got.dx!, want.dx!, 1e-4, sumAtol(OUT), 'dx');
      else expect(got.dx).toBeNull();
      if (opts.db) expectClose(got.db!, want.db!, 1e-4, sumAtol(N), 'db');
      else expect(got.db).toBeNull();
    });
  }
});

describe('linear bias gradient', () => {
  it('is the same bits on every run', async () => {
    const g = await webgpu();
    const N = 4099,
      OUT = 37;
    const dy = g.tensor([N, OUT], { data: randn(N * OUT, 8) });
    const x = g.tensor([N, 1], { data: randn(N, 9) });
    const w = g.tensor([1, OUT], { data: randn(OUT, 10) });
    const runs: Float32Array[] = [];
    for (let r = 0; r < 3; r++) {
      const db = g.tensor([OUT]);
      g.linearBackward(null, g.tensor([1, OUT]), db, dy, x, w, { N, IN: 1, OUT });
      runs.push((await g.read(db)) as Float32Array);
    }
    expect([...runs[1]]).toEqual([...runs[0]]);
    expect([...runs[2]]).toEqual([...runs[0]]);
  });

  it('sums columns exactly on small integers', async () => {
    const g = await webgpu();
    const N = 300,
      OUT = 3;
    const DY = Float32Array.from({ length: N * OUT }, (_, i) => (i % OUT) + 1);
    const db = g.tensor([OUT], { data: [10, 20, 30] });
    g.linearBackward(
      null,
      g.tensor([1, OUT]),
      db,
      g.tensor([N, OUT], { data: DY }),
      g.tensor([N, 1]),
      g.tensor([1, OUT]),
      {
        N,
        IN: 1,
        OUT,
      },
    );
    expect([...(await g.read(db))]).toEqual([10 + N, 20 + 2 * N, 30 + 3 * N]);
  });
});

describe('linear CPU twin', () => {
  it('gradients match finite differences in float64', () => {
    const N = 4,
      IN = 3,
      OUT = 2;
    const d = { N, IN, OUT };
    const x = Float64Array.from(randn(N * IN, 41));
    const w = Float64Array.from(randn(IN * OUT, 42));
    const b = Float64Array.from(randn(OUT, 43));
    const dy = Float64Array.from(randn(N * OUT, 44));
    const loss = (xx: Float64Array, ww: Float64Array, bb: Float64Array) => {
      const y = new Float64Array(N * OUT);
      linearForward(y, xx, ww, bb, d);
      return y.reduce((s, v, i) => s + v * dy[i], 0);
    };
    const dx = new Float64Array(N * IN).fill(1);
    const dw = new Float64Array(IN * OUT).fill(2);
    const db = new Float64Array(OUT).fill(3);
    linearBackward(dx, dw, db, dy, x, w, d);
    const fx = finiteDiff((xx) => loss(xx, w, b), x);
    for (let i = 0; i < x.length; i++) expect(Math.abs(fx[i] + 1 - dx[i])).toBeLessThan(1e-7);
    const fw = finiteDiff((ww) => loss(x, ww, b), w);
    for (let i = 0; i < w.length; i++) expect(Math.abs(fw[i] + 2 - dw[i])).toBeLessThan(1e-7);
    const fb = finiteDiff((bb) => loss(x, w, bb), b);
    for (let i = 0; i < b.length; i++) expect(Math.abs(fb[i] + 3 - db[i])).toBeLessThan(1e-7);
  });

  it('adds the bias to every row', () => {
    const y = new Float64Array(4);
    linearForward(y, Float64Array.from([1, 2]), Float64Array.from([3, 4]), Float64Array.from([10, 20]), {
      N: 2,
      IN: 1,
      OUT: 2,
    });
    expect([...y]).toEqual([13, 24, 16, 28]);
  });
});
