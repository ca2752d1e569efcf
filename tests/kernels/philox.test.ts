// philox: fixture and known answer on both backends, WebGPU vs CPU twin (bit-exact or 1e-6), Box-Muller, statistics.

import { describe, expect, it } from 'vitest';
import type { Backend, RandomKind, RandomParams, TypedArray } from '../../src/engine/backend';
import { philoxRandom, scaledIndex } from '../../src/engine/cpu/philox';
import { Philox, bitsToUniform, philox4x32, seedWords } from '../../src/engine/rng';
import { cpu, fixtures, fixtureTests, webgpu } from '../helpers/backends';
import { expectClose } from '../helpers/numeric';
import { runTyped, words } from '../helpers/run';

const FIXTURES = fixtures('philox_');
const KAT = [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8];
const DTYPE = { bits: 'u32', index: 'i32', uniform: 'f32', normal: 'f32' } as const;

const both = async (): Promise<Backend[]> => [await webgpu(), cpu()];

/** Draws into a fresh tensor of `size` with the clock buffer holding `clock` (null: no clock tensor). */
async function randomOn(be: Backend, size: number, params: RandomParams, clock: number | null): Promise<TypedArray> {
  const [out] = await runTyped(be, (t) => {
    const o = t([size], undefined, DTYPE[params.kind]);
    be.random(o, clock === null ? null : t([1], [clock], 'u32'), params);
    return [o];
  });
  return out;
}

/** Raw philox on both outputs, bits only and uniform only. */
async function rawOn(be: Backend, counter: Uint32Array, key: number[]): Promise<TypedArray[]> {
  const N = counter.length / 4;
  return runTyped(be, (t) => {
    const c = t([N, 4], counter, 'u32'),
      k = t([2], key, 'u32');
    const bits = t([N, 4], undefined, 'u32'),
      uni = t([N, 4]);
    be.philox(bits, uni, c, k);
    const bitsOnly = t([N, 4], undefined, 'u32'),
      uniOnly = t([N, 4]);
    be.philox(bitsOnly, null, c, k);
    be.philox(null, uniOnly, c, k);
    return [bits, uni, bitsOnly, uniOnly];
  });
}

function lcgWords(n: number, seed: number): Uint32Array {
  let s = seed >>> 0;
  return Uint32Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0));
}

function moments(a: ArrayLike<number>): { mean: number; variance: number } {
  let mean = 0;
  for (let i = 0; i < a.length; i++) mean += a[i];
  mean /= a.length;
  let variance = 0;
  for (let i = 0; i < a.length; i++) variance += (a[i] - mean) ** 2;
  return { mean, variance: variance / a.length };
}

describe('philox fixtures (exact)', () => {
  it('has fixtures with tolerance 0', () => {
    expect(FIXTURES.length).toBeGreaterThan(0);
    for (const { fixture } of FIXTURES) expect(fixture.tolerance).toEqual({ rtol: 0, atol: 0 });
  });
  fixtureTests(FIXTURES);
});

describe('philox: known answer (OPS.md)', () => {
  it('counter 0, key 0 gives 6627e8d5 e169c58d bc57ac4c 9b00dbd8 through philox and random', async () => {
    for (const be of await both()) {
      const [bits, uni, bitsOnly, uniOnly] = await rawOn(be, new Uint32Array(4), [0, 0]);
      expect(Array.from(bits), be.kind).toEqual(KAT);
      expect(Array.from(bitsOnly), be.kind).toEqual(KAT);
      expect(Array.from(uni), be.kind).toEqual(KAT.map((b) => Math.fround(bitsToUniform(b))));
      expect(words(uniOnly), be.kind).toEqual(words(uni));
      const drawn = await randomOn(be, 4, { kind: 'bits', seedLo: 0, seedHi: 0, stream: 0 }, null);
      expect(Array.from(drawn), be.kind).toEqual(KAT);
    }
  });
});

describe('philox: raw blocks, WebGPU vs CPU twin', () => {
  for (const N of [1, 3, 257, 1031]) {
    it(`N=${N} random counters and keys, bit-exact`, async () => {
      const counter = lcgWords(4 * N, N);
      const key = Array.from(lcgWords(2, N + 1));
      const g = await rawOn(await webgpu(), counter, key);
      const c = await rawOn(cpu(), counter, key);
      for (let k = 0; k < 4; k++) expect(words(g[k]), `output ${k}`).toEqual(words(c[k]));
      expect(words(g[2])).toEqual(words(g[0]));
      expect(words(g[3])).toEqual(words(g[1]));
      // Each row is rng.ts's block of that counter; uniforms are the f32 rounding of ((b >> 8) + 0.5) 2^-24.
      const w = new Uint32Array(4);
      const r = N - 1;
      philox4x32(w, 0, counter[4 * r], counter[4 * r + 1], counter[4 * r + 2], counter[4 * r + 3], key[0], key[1]);
      expect(Array.from(g[0].subarray(4 * r))).toEqual(Array.from(w));
      expect(Array.from(g[1].subarray(4 * r))).toEqual(Array.from(w, (b) => Math.fround(bitsToUniform(b))));
    });
  }
});

describe('random: WebGPU vs CPU twin', () => {
  const sizes = [1, 2, 3, 4, 5, 257, 1031, 4099];
  const setups: [string, Omit<RandomParams, 'kind'>, number | null][] = [
    ['seed 0, stream 0, no clock', { seedLo: 0, seedHi: 0, stream: 0 }, null],
    ['seed (12345, 7), stream 3, clock 5', { seedLo: 12345, seedHi: 7, stream: 3 }, 5],
    [
      'seed (2^32-1, 2^31), stream 2^32-1, clock 2^32-1',
      { seedLo: 0xffffffff, seedHi: 0x80000000, stream: 0xffffffff },
      0xffffffff,
    ],
  ];
  for (const [name, base, clock] of setups) {
    it(`bits and index are bit-for-bit (${name})`, async () => {
      for (const size of sizes) {
        const p: RandomParams = { kind: 'bits', ...base };
        expect(words(await randomOn(await webgpu(), size, p, clock)), `bits ${size}`).toEqual(
          words(await randomOn(cpu(), size, p, clock)),
        );
        for (const n of [1, 2, 7, 1000, 50000, 2 ** 24 + 1, 2 ** 31 - 1]) {
          const q: RandomParams = { kind: 'index', n, ...base };
          const g = await randomOn(await webgpu(), size, q, clock);
          expect(words(g), `index ${size} n=${n}`).toEqual(words(await randomOn(cpu(), size, q, clock)));
          expect(g.every((v) => v >= 0 && v < n)).toBe(true);
        }
      }
    });

    it(`uniform and normal agree within 1e-6 (${name})`, async () => {
      for (const size of [...sizes, 100_003]) {
        for (const kind of ['uniform', 'normal'] as const) {
          for (const [mean, std] of [
            [undefined, undefined],
            [3, 2],
            [-1, 0.01],
          ]) {
            const p: RandomParams = { kind, ...base, mean, std };
            const g = await randomOn(await webgpu(), size, p, clock);
            const c = await randomOn(cpu(), size, p, clock);
            // Relative to max(1, |value|): a normal near a zero of cos has no relative accuracy to keep.
            expectClose(g, c, 1e-6, 1e-6 * (std ?? 1), `${kind} size ${size} mean ${mean} std ${std}`);
            if (kind === 'uniform' && mean === undefined) expect(words(g)).toEqual(words(c));
          }
        }
      }
    });
  }

  it('reads the clock from the device: ticked clocks draw new, repeatable values', async () => {
    for (const be of await both()) {
      const p: RandomParams = { kind: 'bits', seedLo: 9, seedHi: 0, stream: 1 };
      const [a, b, c] = await runTyped(be, (t) => {
        const clock = t([1], [41], 'u32');
        const x = t([8], undefined, 'u32'),
          y = t([8], undefined, 'u32'),
          z = t([8], undefined, 'u32');
        be.random(x, clock, p);
        be.tick(clock);
        be.random(y, clock, p);
        be.random(z, clock, p);
        return [x, y, z];
      });
      expect(words(a)).toEqual(words(await randomOn(cpu(), 8, p, 41)));
      expect(words(b)).toEqual(words(await randomOn(cpu(), 8, p, 42)));
      expect(words(c)).toEqual(words(b));
      expect(words(b)).not.toEqual(words(a));
    }
  });

  it('refuses a tensor of the wrong dtype and index draws without a valid n', async () => {
    for (const be of await both()) {
      const f = be.tensor([4]),
        i = be.tensor([4], { dtype: 'i32' });
      const base = { seedLo: 1, seedHi: 0, stream: 0 };
      expect(() => be.random(f, null, { kind: 'bits', ...base })).toThrow(/random/);
      expect(() => be.random(f, null, { kind: 'index', n: 3, ...base })).toThrow(/random/);
      expect(() => be.random(i, null, { kind: 'index', ...base })).toThrow(/random/);
      expect(() => be.random(i, null, { kind: 'index', n: 0, ...base })).toThrow(/random/);
      be.release(f);
      be.release(i);
    }
  });
});

describe('random: the draws are the documented functions of (seed, stream, clock, index)', () => {
  const base = { seedLo: 77, seedHi: 3, stream: 5 };
  const clock = 9;
  const block = (j: number) => {
    const w = new Uint32Array(4);
    philox4x32(w, 0, j, base.stream, clock, 0, base.seedLo, base.seedHi);
    return w;
  };
  const u = (b: number) => Math.fround(bitsToUniform(b));

  it('normal: words (0, 1) and (2, 3) pair up as z0, z1 of Box-Muller', async () => {
    const size = 4 * 50 + 3;
    const want = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const w = block(Math.floor(i / 4));
      const p = i % 4 < 2 ? 0 : 2;
      const r = Math.sqrt(-2 * Math.log(u(w[p])));
      const a = 2 * Math.PI * u(w[p + 1]);
      want[i] = 2 + 0.5 * (i % 2 === 0 ? r * Math.cos(a) : r * Math.sin(a));
    }
    for (const be of await both()) {
      expectClose(
        await randomOn(be, size, { kind: 'normal', ...base, mean: 2, std: 0.5 }, clock),
        want,
        1e-6,
        1e-6,
        be.kind,
      );
    }
  });

  it('uniform is mean + std u, bits are the words, index is floor(u n)', async () => {
    const size = 4 * 30 + 1;
    const w = Array.from({ length: size }, (_, i) => block(Math.floor(i / 4))[i % 4]);
    for (const be of await both()) {
      expect(Array.from(await randomOn(be, size, { kind: 'bits', ...base }, clock))).toEqual(w);
      const uni = await randomOn(be, size, { kind: 'uniform', ...base, mean: 10, std: -4 }, clock);
      expectClose(
        uni,
        w.map((b) => 10 - 4 * u(b)),
        1e-7,
        0,
        `${be.kind} uniform`,
      );
      const idx = await randomOn(be, size, { kind: 'index', ...base, n: 1234 }, clock);
      expect(Array.from(idx)).toEqual(w.map((b) => Math.min(1233, Math.floor(bitsToUniform(b) * 1234))));
    }
  });

  it('index draws are the host Philox stream of rng.ts (same seed, stream, step)', async () => {
    const seed = 2 ** 40 + 12345;
    const [seedLo, seedHi] = seedWords(seed);
    const host = new Philox(seed, 4, 17);
    const want = Array.from({ length: 103 }, () => host.int(50000));
    for (const be of await both()) {
      expect(Array.from(await randomOn(be, 103, { kind: 'index', seedLo, seedHi, stream: 4, n: 50000 }, 17))).toEqual(
        want,
      );
    }
  });

  it('scaledIndex is floor(((b >> 8) + 0.5) 2^-24 n) exactly, for every n', () => {
    const bs = [0, 255, 256, 0xffffffff, 0x80000000, 0x7fffff00, ...lcgWords(2000, 3)];
    for (const n of [1, 3, 1000, 2 ** 24 - 1, 2 ** 24 + 1, 2 ** 31 - 1, 2 ** 32 - 1]) {
      for (const b of bs) {
        const exact = Number(((2n * BigInt(b >>> 8) + 1n) * BigInt(n)) >> 25n);
        expect(scaledIndex(b, n)).toBe(exact);
        expect(exact).toBeLessThan(n);
        if (n < 2 ** 24) expect(exact).toBe(Math.floor(bitsToUniform(b) * n));
      }
    }
  });

  it('the twin writes the tensor it is given in float64 too', () => {
    const a = new Float64Array(9),
      b = new Float32Array(9);
    philoxRandom(a, 3, { kind: 'normal', ...base });
    philoxRandom(b, 3, { kind: 'normal', ...base });
    expectClose(a, b, 1e-6, 1e-6, 'f64 vs f32');
  });
});

describe('random: statistics over 10^5 draws (WebGPU)', () => {
  const n = 100_000;
  const base = { seedLo: 2024, seedHi: 0, stream: 7 };
  const draw = async (kind: RandomKind, extra: Partial<RandomParams> = {}) =>
    randomOn(await webgpu(), n, { kind, ...base, ...extra }, 3);

  it('normal: mean ~0, variance ~1, pairs uncorrelated; mean/std shift and scale', async () => {
    const z = await draw('normal');
    const { mean, variance } = moments(z);
    // Standard errors: 1/sqrt(n) = 0.0032 for the mean, sqrt(2/n) = 0.0045 for the variance.
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
    let cross = 0,
      tail = 0;
    for (let i = 0; i < n; i += 2) cross += z[i] * z[i + 1];
    for (const v of z) if (Math.abs(v) > 1.96) tail++;
    expect(Math.abs(cross / (n / 2))).toBeLessThan(0.02);
    expect(Math.abs(tail / n - 0.05)).toBeLessThan(0.005);
    const s = moments(await draw('normal', { mean: 3, std: 2 }));
    expect(Math.abs(s.mean - 3)).toBeLessThan(0.03);
    expect(Math.abs(s.variance / 4 - 1)).toBeLessThan(0.02);
  });

  it('uniform: in (0, 1], mean 1/2, variance 1/12', async () => {
    const x = await draw('uniform');
    expect(x.every((v) => v > 0 && v <= 1)).toBe(true);
    const { mean, variance } = moments(x);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(variance * 12 - 1)).toBeLessThan(0.02);
  });

  it('index: every value of [0, 10) about equally often; bits: every bit set about half the time', async () => {
    const idx = await draw('index', { n: 10 });
    const counts = new Array(10).fill(0);
    for (const v of idx) counts[v]++;
    for (const c of counts) expect(Math.abs(c / (n / 10) - 1)).toBeLessThan(0.05);
    const bits = await draw('bits');
    for (let b = 0; b < 32; b++) {
      let ones = 0;
      for (const w of bits) ones += (w >>> b) & 1;
      expect(Math.abs(ones / n - 0.5), `bit ${b}`).toBeLessThan(0.01);
    }
  });
});
