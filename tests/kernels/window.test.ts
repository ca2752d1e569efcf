// window: context windows of token ids (BOS-padded) and n-gram indices, WebGPU vs the CPU twin and by hand.

import { describe, expect, it } from 'vitest';
import type { Backend, WindowDims } from '../../src/engine/backend';
import { windowForward } from '../../src/engine/cpu/window';
import { cpu, webgpu } from '../helpers/backends';

function tokens(n: number, V: number, seed: number): Int32Array {
  let s = seed >>> 0 || 1;
  return Int32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % V;
  });
}

async function windowOn(be: Backend, tok: Int32Array, dims: WindowDims): Promise<Int32Array> {
  const n = dims.radix === undefined ? dims.B * dims.P * dims.C : dims.B * dims.P;
  const t = be.tensor([dims.B, dims.T], { dtype: 'i32', data: tok });
  const out = be.tensor([n], { dtype: 'i32', data: new Int32Array(n).fill(-99) });
  be.window(out, t, dims);
  return (await be.read(out)) as Int32Array;
}

describe('window', () => {
  it('pads with BOS before the start and reads the C preceding tokens', async () => {
    // One sequence [5, 6, 7]: windows of 2 for positions 0, 1, 2.
    const dims = { B: 1, T: 3, C: 2, t0: 0, P: 3, pad: 9 };
    for (const be of [cpu(), await webgpu()]) {
      expect([...(await windowOn(be, Int32Array.from([5, 6, 7]), dims))]).toEqual([9, 9, 9, 5, 5, 6]);
      // Windows ending at each position inclusive (t0 = 1), as n-gram ids in base 10.
      const ids = await windowOn(be, Int32Array.from([5, 6, 7]), { ...dims, t0: 1, radix: 10 });
      expect([...ids]).toEqual([95, 56, 67]);
    }
  });

  const cases: WindowDims[] = [
    { B: 1, T: 1, C: 1, t0: 0, P: 1, pad: 4 },
    { B: 3, T: 7, C: 3, t0: 0, P: 7, pad: 16 },
    { B: 5, T: 12, C: 2, t0: 5, P: 1, pad: 16 },
    { B: 7, T: 12, C: 4, t0: 12, P: 1, pad: 16 },
    { B: 301, T: 13, C: 3, t0: 0, P: 13, pad: 64 },
    { B: 37, T: 32, C: 8, t0: 1, P: 32, pad: 64 },
  ];
  for (const dims of cases) {
    for (const radix of [undefined, dims.pad + 1]) {
      if (radix !== undefined && radix ** dims.C >= 2 ** 31) continue;
      it(`B=${dims.B} T=${dims.T} C=${dims.C} t0=${dims.t0} P=${dims.P} radix=${radix}`, async () => {
        const d = { ...dims, radix };
        const tok = tokens(d.B * d.T, d.pad, d.B + d.T);
        const g = await windowOn(await webgpu(), tok, d);
        const c = await windowOn(cpu(), tok, d);
        expect(g.length).toBe(c.length);
        expect([...g]).toEqual([...c]);
        expect(c.includes(-99)).toBe(false);
      });
    }
  }

  it('refuses windows that would read past the sequence', async () => {
    const be = await webgpu();
    const t = be.tensor([2, 4], { dtype: 'i32' });
    const out = be.tensor([2 * 2 * 3], { dtype: 'i32' });
    expect(() => be.window(out, t, { B: 2, T: 4, C: 3, t0: 4, P: 2, pad: 0 })).toThrow(/past the sequence/);
  });

  it('the twin agrees with a direct definition on random cases', () => {
    const d = { B: 4, T: 9, C: 3, t0: 2, P: 6, pad: 11 };
    const tok = tokens(d.B * d.T, 11, 3);
    const out = new Int32Array(d.B * d.P * d.C);
    windowForward(out, tok, d);
    for (let b = 0; b < d.B; b++)
      for (let p = 0; p < d.P; p++)
        for (let j = 0; j < d.C; j++) {
          const q = d.t0 + p - d.C + j;
          expect(out[(b * d.P + p) * d.C + j]).toBe(q < 0 ? d.pad : tok[b * d.T + q]);
        }
  });
});
