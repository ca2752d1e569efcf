// sample: categorical draws from rows of logits keyed by (seed, stream, clock, t), WebGPU vs the CPU twin,
// frequencies vs the softmax, the absorbing end token and extreme logits.

import { describe, expect, it } from 'vitest';
import type { Backend, SampleParams } from '../../src/engine/backend';
import { bitsToUniform, philox4x32 } from '../../src/engine/rng';
import { cpu, randn, webgpu } from '../helpers/backends';

async function sampleOn(
  be: Backend,
  logits: Float32Array,
  tokens0: Int32Array,
  clock: number,
  p: SampleParams,
): Promise<Int32Array> {
  const tok = be.tensor([p.B, p.T], { dtype: 'i32', data: tokens0 });
  be.sample(tok, be.tensor([p.B, p.V], { data: logits }), be.tensor([1], { dtype: 'u32', data: [clock] }), p);
  return (await be.read(tok)) as Int32Array;
}

/** The uniform row b draws, and the boundaries of the float64 CDF of its tempered softmax. */
function cdf(logits: Float32Array, b: number, V: number, temperature: number): number[] {
  const z = Array.from(logits.subarray(b * V, (b + 1) * V), (x) => x / temperature);
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const total = e.reduce((a, c) => a + c, 0);
  let acc = 0;
  return e.map((x) => (acc += x) / total);
}

function uniformOf(b: number, p: SampleParams, clock: number): number {
  const w = new Uint32Array(4);
  philox4x32(w, 0, b, p.stream, clock, p.t, p.seedLo, p.seedHi);
  return bitsToUniform(w[0]);
}

const base = { seedLo: 1234, seedHi: 5, stream: 77, stop: -1 };

describe('sample: WebGPU vs CPU twin', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [7, 5, 1],
    [64, 17, 1],
    [300, 64, 0.5],
    [3, 1031, 2],
    [2, 50000, 1],
    [1500, 3, 1],
  ];
  for (const [B, V, temperature] of shapes) {
    it(`B=${B} V=${V} T=${temperature}`, async () => {
      const T = 3;
      const p = { ...base, B, T, V, t: 1, temperature };
      const logits = randn(B * V, B * 13 + V, 3);
      const tokens0 = new Int32Array(B * T).fill(-5);
      for (const clock of [0, 9]) {
        const g = await sampleOn(await webgpu(), logits, tokens0, clock, p);
        const c = await sampleOn(cpu(), logits, tokens0, clock, p);
        let mismatches = 0;
        for (let b = 0; b < B; b++) {
          // Only column t is written.
          expect(g[b * T]).toBe(-5);
          expect(g[b * T + 2]).toBe(-5);
          const kg = g[b * T + 1],
            kc = c[b * T + 1];
          expect(kg >= 0 && kg < V).toBe(true);
          if (kg === kc) continue;
          // A disagreement is only allowed where u sits on a CDF boundary between the two picks (float rounding).
          mismatches++;
          const F = cdf(logits, b, V, temperature);
          const u = uniformOf(b, p, clock);
          const lo = Math.min(kg, kc),
            hi = Math.max(kg, kc);
          const gap = Math.min(...F.slice(lo, hi).map((x) => Math.abs(x - u)));
          expect(gap).toBeLessThan(1e-5);
        }
        expect(mismatches).toBeLessThanOrEqual(Math.max(1, B / 500));
      }
    });
  }
});

describe('sample', () => {
  it('draws each token with its softmax probability', async () => {
    const V = 5,
      B = 4000,
      T = 1;
    const row = [2, 0.5, -1, 1.5, 0];
    const logits = new Float32Array(B * V);
    for (let b = 0; b < B; b++) logits.set(row, b * V);
    for (const temperature of [1, 0.5]) {
      const p = { ...base, B, T, V, t: 0, temperature };
      const F = cdf(logits, 0, V, temperature);
      for (const be of [cpu(), await webgpu()]) {
        const tok = await sampleOn(be, logits, new Int32Array(B), 3, p);
        for (let k = 0; k < V; k++) {
          const prob = F[k] - (k > 0 ? F[k - 1] : 0);
          const freq = tok.filter((x) => x === k).length / B;
          expect(Math.abs(freq - prob)).toBeLessThan(4 * Math.sqrt((prob * (1 - prob)) / B) + 1e-3);
        }
      }
    }
  });

  it('changes with the clock, the stream and the column, and repeats for the same key', async () => {
    const B = 256,
      V = 16,
      T = 4;
    const logits = new Float32Array(B * V);
    const be = await webgpu();
    const draw = (clock: number, stream: number, t: number) =>
      sampleOn(be, logits, new Int32Array(B * T), clock, { ...base, B, T, V, t, temperature: 1, stream }).then((x) =>
        Array.from({ length: B }, (_, b) => x[b * T + t]),
      );
    const a = await draw(1, 7, 0);
    expect(await draw(1, 7, 0)).toEqual(a);
    for (const other of [await draw(2, 7, 0), await draw(1, 8, 0), await draw(1, 7, 2)]) {
      expect(other.filter((x, i) => x === a[i]).length).toBeLessThan(B / 4);
    }
  });

  it('keeps an absorbing end token and ignores it at t = 0', async () => {
    const B = 6,
      V = 4,
      T = 3,
      stop = 0;
    // Logits that never pick token 0 on their own.
    const logits = new Float32Array(B * V);
    for (let b = 0; b < B; b++) logits[b * V] = -1000;
    const tokens0 = Int32Array.from([0, 0, 0, 1, 0, 0, 0, 2, 0, 3, 1, 0, 0, 0, 0, 2, 2, 0]);
    for (const be of [cpu(), await webgpu()]) {
      const at1 = await sampleOn(be, logits, tokens0, 0, { ...base, B, T, V, t: 1, temperature: 1, stop });
      const at0 = await sampleOn(be, logits, tokens0, 0, { ...base, B, T, V, t: 0, temperature: 1, stop });
      for (let b = 0; b < B; b++) {
        if (tokens0[b * T] === stop) expect(at1[b * T + 1]).toBe(stop);
        else expect(at1[b * T + 1]).not.toBe(stop);
        expect(at0[b * T]).not.toBe(stop);
      }
    }
  });

  it('is finite and correct with logits of +-90 and -1000', async () => {
    const V = 6,
      B = 64,
      T = 1;
    const row = [-1000, 90, -90, 90, -1000, -1000];
    const logits = new Float32Array(B * V);
    for (let b = 0; b < B; b++) logits.set(row, b * V);
    for (const be of [cpu(), await webgpu()]) {
      const tok = await sampleOn(be, logits, new Int32Array(B), 0, { ...base, B, T, V, t: 0, temperature: 1 });
      expect(new Set(tok)).toEqual(new Set([1, 3]));
    }
  });
});
