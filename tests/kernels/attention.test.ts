// attention: the PyTorch fixtures, the fused kernels vs the CPU twin over sizes that are no multiple of a tile (T up
// to 1024, D up to 128, large scores), the tiles' fit in 16 KiB, and the twin's backward against central differences.

import { describe, expect, it } from 'vitest';
import type { AttentionDims, Backend } from '../../src/engine/backend';
import { attentionBackward, attentionForward } from '../../src/engine/cpu/attention';
import {
  attentionTiles,
  attentionWorkgroupBytes,
  WORKGROUP_BYTES,
  type AttentionKernel,
} from '../../src/engine/webgpu/kernels/attention';
import { cpu, fixtures, fixtureTests, randn, webgpu } from '../helpers/backends';
import { expectClose, finiteDiff, largest } from '../helpers/numeric';

describe('attention fixtures', () => fixtureTests(fixtures('attention_')));

async function run(be: Backend, d: AttentionDims, scale: number, seed: number) {
  const n = d.B * d.H * d.T * d.D;
  const t = (v: Float32Array, label: string) => be.tensor([d.B, d.H, d.T, d.D], { data: v, label });
  const q = t(randn(n, seed, scale), 'q');
  const k = t(randn(n, seed + 1, scale), 'k');
  const v = t(randn(n, seed + 2), 'v');
  const out = be.tensor([d.B, d.H, d.T, d.D]);
  const lse = be.tensor([d.B, d.H, d.T]);
  be.attentionForward(out, lse, q, k, v, d);
  // Non-zero starting gradients: the backward accumulates.
  const dq = t(randn(n, seed + 3, 0.1), 'dq');
  const dk = t(randn(n, seed + 4, 0.1), 'dk');
  const dv = t(randn(n, seed + 5, 0.1), 'dv');
  be.attentionBackward(dq, dk, dv, t(randn(n, seed + 6), 'dout'), q, k, v, out, lse, d);
  return {
    out: await be.read(out),
    lse: await be.read(lse),
    dq: await be.read(dq),
    dk: await be.read(dk),
    dv: await be.read(dv),
  } as Record<'out' | 'lse' | 'dq' | 'dk' | 'dv', Float32Array>;
}

describe.each([
  // B, H, T, D, causal, scale of q and k
  [1, 1, 1, 1, true, 1],
  [1, 2, 17, 3, false, 1],
  [2, 3, 33, 64, true, 1],
  [1, 2, 45, 128, false, 0.5],
  [1, 1, 130, 100, true, 1],
  [1, 1, 1024, 16, true, 1],
  // Scores in the hundreds: exp of a raw score overflows float32, the online softmax must not.
  [1, 2, 40, 8, false, 12],
  [1, 1, 29, 32, true, 9],
] as const)('attention B=%i H=%i T=%i D=%i causal=%s, q and k scale %d', (B, H, T, D, causal, scale) => {
  it('forward and backward match the CPU twin', async () => {
    const d = { B, H, T, D, causal };
    const got = await run(await webgpu(), d, scale, T * 7 + D);
    const want = await run(cpu(), d, scale, T * 7 + D);
    expectClose(got.lse, want.lse, 1e-5, 1e-5, 'lse');
    expectClose(got.out, want.out, 1e-4, 1e-5 * largest(want.out), 'out');
    for (const g of ['dq', 'dk', 'dv'] as const) {
      // Sums over T keys or queries, taken in tile order on the GPU.
      expectClose(got[g], want[g], 1e-3, 1e-4 * largest(want[g]), g);
    }
  });
});

describe('attention', () => {
  it.each(['forward', 'backward_kv', 'backward_q'] as AttentionKernel[])(
    '%s tiles fit the default 16 KiB of workgroup memory for every head size 1..128',
    (kernel) => {
      for (let D = 1; D <= 128; D++) {
        expect(attentionWorkgroupBytes(kernel, D, attentionTiles(kernel, D))).toBeLessThanOrEqual(WORKGROUP_BYTES);
      }
    },
  );

  it('refuses a head size above 128 with a message, on both backends', async () => {
    for (const be of [await webgpu(), cpu()]) {
      const d = { B: 1, H: 1, T: 2, D: 129, causal: false };
      const x = () => be.tensor([1, 1, 2, 129]);
      expect(() => be.attentionForward(x(), be.tensor([1, 1, 2]), x(), x(), x(), d)).toThrow(/D = 129/);
    }
  });

  it('a causal first query sees only itself: its output is the first value row', async () => {
    const d = { B: 1, H: 1, T: 5, D: 4, causal: true };
    const got = await run(await webgpu(), d, 3, 5);
    const v = randn(20, 7);
    expectClose(got.out.subarray(0, 4), v.subarray(0, 4), 1e-6, 1e-7, 'out[0]');
  });

  it("the twin's backward is the gradient of its forward (float64 central differences)", () => {
    for (const causal of [false, true]) {
      const d = { B: 1, H: 2, T: 4, D: 3, causal };
      const n = 24;
      const [q, k, v, dout] = [1, 2, 3, 4].map((s) => Float64Array.from(randn(n, s)));
      const loss = (qq: Float64Array, kk: Float64Array, vv: Float64Array) => {
        const out = new Float64Array(n);
        attentionForward(out, new Float64Array(8), qq, kk, vv, d);
        return out.reduce((s, o, i) => s + o * dout[i], 0);
      };
      const out = new Float64Array(n);
      const lse = new Float64Array(8);
      attentionForward(out, lse, q, k, v, d);
      const [dq, dk, dv] = [0, 1, 2].map(() => new Float64Array(n));
      attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, d);
      expectClose(
        dq,
        finiteDiff((x) => loss(x, k, v), q),
        1e-6,
        1e-8,
        `dq causal=${causal}`,
      );
      expectClose(
        dk,
        finiteDiff((x) => loss(q, x, v), k),
        1e-6,
        1e-8,
        `dk causal=${causal}`,
      );
      expectClose(
        dv,
        finiteDiff((x) => loss(q, k, x), v),
        1e-6,
        1e-8,
        `dv causal=${causal}`,
      );
    }
  });
});
