// Head split and merge on both backends: the index map of [B, T, G, H, D] <-> [B, H, T, D], overwrite and
// accumulate, a merge leaving the other groups alone, and the size checks.

import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { cpu, webgpu } from '../helpers/backends';

const [B, T, G, H, D] = [2, 3, 3, 2, 5];
const grouped = (b: number, t: number, g: number, h: number, d: number) => (((b * T + t) * G + g) * H + h) * D + d;
const headed = (b: number, h: number, t: number, d: number) => ((b * H + h) * T + t) * D + d;

function each(fn: (b: number, t: number, h: number, d: number) => void): void {
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) for (let d = 0; d < D; d++) fn(b, t, h, d);
}

describe.each([
  ['cpu', async () => cpu()],
  ['webgpu', webgpu],
] as [string, () => Promise<Backend>][])('heads on %s', (_, make) => {
  it('split picks group g of each position into its head, and accumulates when asked', async () => {
    const be = await make();
    const x = Float32Array.from({ length: B * T * G * H * D }, (_, i) => i);
    const xt = be.tensor([B, T, G * H * D], { data: x });
    const q = be.tensor([B, H, T, D], { data: new Float32Array(B * H * T * D).fill(0.5) });
    be.splitHeads(q, xt, { B, T, G, g: 1, H, D, accumulate: false });
    const acc = be.tensor([B, H, T, D], { data: new Float32Array(B * H * T * D).fill(0.5) });
    be.splitHeads(acc, xt, { B, T, G, g: 2, H, D, accumulate: true });
    const got = (await be.read(q)) as Float32Array;
    const gotAcc = (await be.read(acc)) as Float32Array;
    each((b, t, h, d) => {
      expect(got[headed(b, h, t, d)]).toBe(x[grouped(b, t, 1, h, d)]);
      expect(gotAcc[headed(b, h, t, d)]).toBe(x[grouped(b, t, 2, h, d)] + 0.5);
    });
  });

  it('merge writes group g back and leaves the other groups alone', async () => {
    const be = await make();
    const heads = Float32Array.from({ length: B * H * T * D }, (_, i) => -1 - i);
    const y = be.tensor([B, T, G * H * D], { data: new Float32Array(B * T * G * H * D).fill(2) });
    const ht = be.tensor([B, H, T, D], { data: heads });
    be.mergeHeads(y, ht, { B, T, G, g: 0, H, D, accumulate: false });
    be.mergeHeads(y, ht, { B, T, G, g: 2, H, D, accumulate: true });
    const got = (await be.read(y)) as Float32Array;
    each((b, t, h, d) => {
      expect(got[grouped(b, t, 0, h, d)]).toBe(heads[headed(b, h, t, d)]);
      expect(got[grouped(b, t, 1, h, d)]).toBe(2);
      expect(got[grouped(b, t, 2, h, d)]).toBe(heads[headed(b, h, t, d)] + 2);
    });
  });

  it('refuses a group out of range and tensors of the wrong size', async () => {
    const be = await make();
    const y = be.tensor([B, T, G * H * D]);
    const h = be.tensor([B, H, T, D]);
    expect(() => be.splitHeads(h, y, { B, T, G, g: 3, H, D, accumulate: false })).toThrow(/group 3/);
    expect(() => be.mergeHeads(y, h, { B, T: T + 1, G, g: 0, H, D, accumulate: false })).toThrow(/do not fit/);
  });
});
