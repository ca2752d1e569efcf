// pair_label: Bradley-Terry labels of sampled pairs, WebGPU vs the CPU twin and frequencies vs the sigmoid.

import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { bitsToUniform, philox4x32 } from '../../src/engine/rng';
import { cpu, randn, webgpu } from '../helpers/backends';

const key = { seedLo: 99, seedHi: 0, stream: 12 };

async function labelOn(be: Backend, rewards: Float32Array, clock: number): Promise<[Int32Array, Int32Array]> {
  const B = rewards.length / 2;
  const c = be.tensor([B], { dtype: 'i32', data: new Int32Array(B).fill(-1) });
  const r = be.tensor([B], { dtype: 'i32', data: new Int32Array(B).fill(-1) });
  be.pairLabel(c, r, be.tensor([2 * B], { data: rewards }), be.tensor([1], { dtype: 'u32', data: [clock] }), {
    B,
    ...key,
  });
  return [(await be.read(c)) as Int32Array, (await be.read(r)) as Int32Array];
}

describe.each([1, 7, 256, 1031])('pair_label B=%i', (B) => {
  it('matches the CPU twin and labels every pair with its two rows', async () => {
    const rewards = randn(2 * B, B, 2);
    const [gc, gr] = await labelOn(await webgpu(), rewards, 5);
    const [cc, cr] = await labelOn(cpu(), rewards, 5);
    const w = new Uint32Array(4);
    for (let b = 0; b < B; b++) {
      expect([gc[b], gr[b]].sort((x, y) => x - y)).toEqual([b, B + b]);
      if (gc[b] === cc[b]) continue;
      // Only where u sits on the sigmoid (f32 vs f64 rounding).
      philox4x32(w, 0, b, key.stream, 5, 0, key.seedLo, key.seedHi);
      const p = 1 / (1 + Math.exp(rewards[B + b] - rewards[b]));
      expect(Math.abs(bitsToUniform(w[0]) - p)).toBeLessThan(1e-6);
    }
    expect([...cr].sort((x, y) => x - y)).toEqual([...cc.map((x) => (x < B ? x + B : x - B))].sort((x, y) => x - y));
  });
});

describe('pair_label', () => {
  it('prefers the first row with probability sigmoid(r1 - r2), including extreme rewards', async () => {
    const B = 4000;
    for (const d of [0, 1, -2, 200, -200]) {
      const rewards = new Float32Array(2 * B);
      rewards.fill(d, 0, B);
      const p = 1 / (1 + Math.exp(-d));
      for (const be of [cpu(), await webgpu()]) {
        const [c] = await labelOn(be, rewards, 1);
        const freq = c.filter((x, b) => x === b).length / B;
        expect(Math.abs(freq - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / B) + 1e-3);
      }
    }
  });

  it('draws new labels at each clock', async () => {
    const B = 512;
    const rewards = new Float32Array(2 * B);
    const be = await webgpu();
    const [a] = await labelOn(be, rewards, 1);
    const [b] = await labelOn(be, rewards, 2);
    const same = a.filter((x, i) => x === b[i]).length / B;
    expect(same).toBeGreaterThan(0.4);
    expect(same).toBeLessThan(0.6);
  });
});
