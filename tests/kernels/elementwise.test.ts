// elementwise: fill (bit patterns per dtype), bitwise copy, axpby, the deterministic tree sum and tick, on both backends.

import { describe, expect, it } from 'vitest';
import type { Backend, DType } from '../../src/engine/backend';
import { cpu, randn, webgpu } from '../helpers/backends';
import { expectClose } from '../helpers/numeric';
import { runTyped, words } from '../helpers/run';

const both = (): [string, () => Promise<Backend>][] => [
  ['webgpu', () => webgpu()],
  ['cpu', () => Promise.resolve(cpu())],
];

/** Words of `value` stored in a typed array of `dtype` (what fill must write). */
function expectedWord(value: number, dtype: DType): number {
  const a =
    dtype === 'f32' ? new Float32Array([value]) : dtype === 'i32' ? new Int32Array([value]) : new Uint32Array([value]);
  return new Uint32Array(a.buffer)[0];
}

describe('fill', () => {
  const cases: [DType, number][] = [
    ['f32', 0.375],
    ['f32', -0],
    ['f32', -1e-40], // subnormal
    ['f32', Infinity],
    ['f32', NaN],
    ['f32', 1 / 3], // rounded to f32
    ['i32', -1],
    ['i32', 2147483647],
    ['i32', -2147483648],
    ['i32', 7.9], // truncated as Int32Array does
    ['u32', 4294967295],
    ['u32', 3e9],
    ['u32', -1], // wraps as Uint32Array does
  ];
  for (const [name, get] of both()) {
    it.each(cases)(`%s %s on ${name}`, async (dtype, value) => {
      const be = await get();
      for (const n of [1, 5, 257, 1031]) {
        const [out] = await runTyped(be, (t) => {
          const o = t([n], new Array(n).fill(9), dtype);
          be.fill(o, value);
          return [o];
        });
        expect(new Set(words(out))).toEqual(new Set([expectedWord(value, dtype)]));
      }
    });
  }

  it('fills a view only, on both backends', async () => {
    for (const [, get] of both()) {
      const be = await get();
      const a = be.alignElements;
      const [out] = await runTyped(be, (t) => {
        const base = t([3 * a + 5], new Float32Array(3 * a + 5).fill(1));
        be.fill(be.view(base, a, [a + 3]), -2);
        return [base];
      });
      const want = new Float32Array(3 * a + 5).fill(1);
      want.fill(-2, a, 2 * a + 3);
      expect(Array.from(out)).toEqual(Array.from(want));
    }
  });

  it('covers more than 65535 workgroups (2D grid)', async () => {
    const be = await webgpu();
    const n = 65535 * 256 + 300;
    const [out] = await runTyped(be, (t) => {
      const o = t([n], undefined, 'u32');
      be.fill(o, 0xdeadbeef);
      return [o];
    });
    let bad = -1;
    for (let i = 0; i < n && bad < 0; i++) if (out[i] !== 0xdeadbeef) bad = i;
    expect(bad).toBe(-1);
  });
});

describe('copy', () => {
  it('copies 32-bit words exactly (NaN payloads, -0, i32, u32) and leaves the rest of dst alone', async () => {
    const payload = [0x7fc00001, 0xffbfffff, 0x80000000, 0x00000001, 0x3f800000, 0xdeadbeef, 0, 0xffffffff];
    for (const [, get] of both()) {
      const be = await get();
      for (const dtype of ['f32', 'i32', 'u32'] as const) {
        for (const n of [1, 8, 257, 1031]) {
          const src = Uint32Array.from({ length: n }, (_, i) => payload[i % payload.length] ^ (i * 2654435761));
          const [got] = await runTyped(be, (t) => {
            const s = t(
              [n],
              new (dtype === 'f32' ? Float32Array : dtype === 'i32' ? Int32Array : Uint32Array)(src.buffer),
              dtype,
            );
            const d = t([n + 3], new Array(n + 3).fill(7), dtype);
            be.copy(d, s);
            return [d];
          });
          const w = words(got);
          expect(w.slice(0, n)).toEqual(Array.from(src));
          expect(w.slice(n)).toEqual(new Array(3).fill(expectedWord(7, dtype)));
        }
      }
    }
  });

  it('copies the bits of an f32 tensor into an i32 tensor', async () => {
    for (const [, get] of both()) {
      const be = await get();
      const [got] = await runTyped(be, (t) => {
        const d = t([3], undefined, 'i32');
        be.copy(d, t([3], [1, -2.5, 0.1]));
        return [d];
      });
      expect(words(got)).toEqual(words(new Float32Array([1, -2.5, 0.1])));
    }
  });

  it('refuses a destination smaller than the source', async () => {
    for (const [, get] of both()) {
      const be = await get();
      const a = be.tensor([4]),
        b = be.tensor([5]);
      expect(() => be.copy(a, b)).toThrow(/copy/);
      be.release(a);
      be.release(b);
    }
  });
});

describe('axpby', () => {
  for (const n of [1, 7, 257, 1031, 70001]) {
    it(`n=${n} matches the twin and the formula`, async () => {
      const x = randn(n, n, 2),
        y = randn(n, n + 1);
      const cases: [number, number][] = [
        [0.5, -2],
        [1, 1],
        [-3, 0],
        [0, 0.25],
      ];
      for (const [a, b] of cases) {
        const op = (be: Backend) =>
          runTyped(be, (t) => {
            const ty = t([n], y);
            be.axpby(ty, t([n], x), a, b);
            return [ty];
          });
        const [g] = await op(await webgpu());
        const [c] = await op(cpu());
        const want = Float32Array.from(x, (xi, i) => a * xi + b * y[i]);
        expectClose(g, c, 1e-6, 1e-6, `axpby(${a}, ${b}) gpu vs cpu`);
        expectClose(c, want, 1e-6, 1e-6, `axpby(${a}, ${b}) cpu vs formula`);
      }
    });
  }
});

describe('sum', () => {
  const sizes = [1, 2, 3, 31, 256, 257, 4096, 4097, 65537, 1_000_000];
  for (const n of sizes) {
    it(`n=${n}: random values, scale, accumulate`, async () => {
      const x = randn(n, 3 * n + 1);
      let exact = 0,
        abs = 0;
      for (const v of x) {
        exact += v;
        abs += Math.abs(v);
      }
      for (const [name, get] of both()) {
        const be = await get();
        const [plain, acc] = await runTyped(be, (t) => {
          const tx = t([n], x);
          const p = t([1], [123]);
          be.sum(p, tx, 0.5);
          const q = t([1], [10]);
          be.sum(q, tx, -2, true);
          return [p, q];
        });
        // A tree sum in f32 is off by at most ~log2(n) roundings of partial sums bounded by sum |x|.
        const tol = 1e-7 * Math.log2(2 * n) * abs + 1e-6;
        expect(Math.abs(plain[0] - 0.5 * exact), `${name} plain`).toBeLessThanOrEqual(tol);
        expect(Math.abs(acc[0] - (10 - 2 * exact)), `${name} accumulate`).toBeLessThanOrEqual(4 * tol);
      }
    });
  }

  it('sums small integers exactly at every size (no element dropped or counted twice)', async () => {
    for (const [name, get] of both()) {
      const be = await get();
      for (const n of sizes) {
        const x = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 13) - 5);
        const exact = x.reduce((p, q) => p + q, 0);
        const [s] = await runTyped(be, (t) => {
          const o = t([1]);
          be.sum(o, t([n], x), 1);
          return [o];
        });
        expect(s[0], `${name} n=${n}`).toBe(exact);
      }
    }
  });

  it('sums 10^6 ones (and 2^24 - 1 ones) exactly', async () => {
    for (const [name, get] of both()) {
      const be = await get();
      for (const n of [1_000_000, 2 ** 24 - 1]) {
        const [s] = await runTyped(be, (t) => {
          const x = t([n]);
          be.fill(x, 1);
          const o = t([1]);
          be.sum(o, x, 1);
          return [o];
        });
        expect(s[0], `${name} n=${n}`).toBe(n);
      }
    }
  });

  it('is bit-identical run to run on the GPU', async () => {
    const be = await webgpu();
    for (const n of [4097, 1_000_000]) {
      const x = randn(n, 99, 5);
      const once = () =>
        runTyped(be, (t) => {
          const o = t([1]);
          be.sum(o, t([n], x), 1 / 3);
          return [o];
        });
      const [a] = await once();
      const [b] = await once();
      expect(words(b)).toEqual(words(a));
    }
  });

  it('two sums in a row (both two-level) do not disturb each other through the shared partials', async () => {
    const be = await webgpu();
    const n = 50000;
    const x = randn(n, 5),
      y = randn(n, 6, 10);
    const [sx, sy] = await runTyped(be, (t) => {
      const a = t([1]),
        b = t([1]);
      be.sum(a, t([n], x), 1);
      be.sum(b, t([n], y), 1);
      return [a, b];
    });
    const exact = (v: Float32Array) => v.reduce((p, q) => p + q, 0);
    expect(Math.abs(sx[0] - exact(x))).toBeLessThan(1e-2);
    expect(Math.abs(sy[0] - exact(y))).toBeLessThan(1e-1);
    expect(Math.abs(sx[0] - sy[0])).toBeGreaterThan(1);
  });
});

describe('tick', () => {
  it('adds one per call, wraps like a u32, and replays in a recorded program', async () => {
    for (const [name, get] of both()) {
      const be = await get();
      const clock = be.tensor([1], { dtype: 'u32', data: [0] });
      be.tick(clock);
      be.tick(clock);
      expect(Array.from(await be.read(clock)), name).toEqual([2]);
      const prog = be.record('ticks', () => {
        be.tick(clock);
        be.tick(clock);
        be.tick(clock);
      });
      be.run(prog, 4);
      expect(Array.from(await be.read(clock)), name).toEqual([14]);
      be.write(clock, [0xffffffff]);
      be.tick(clock);
      expect(Array.from(await be.read(clock)), name).toEqual([0]);
      be.release(clock);
    }
  });
});
