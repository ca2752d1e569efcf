// sequence_logps: oracle fixtures on both backends, WebGPU vs the CPU twin, finite differences, masks, extreme logits.

import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { sequenceLogpsBackward, sequenceLogpsForward } from '../../src/engine/cpu/sequence_logps';
import { cpu, fixtures, fixtureTests, randn, webgpu } from '../helpers/backends';
import { expectClose, finiteDiff } from '../helpers/numeric';
import { runOn, spread, targetsFor } from '../helpers/rows';

const FIXTURES = fixtures('sequence_logps_');

interface Case {
  B: number;
  T: number;
  V: number;
  average: boolean;
  logits: Float32Array;
  targets: Int32Array;
  mask: Float32Array;
  dlogps: Float32Array;
  dlogits0: Float32Array;
}

/** [logps, dlogits0 + backward]. */
function sequenceLogpsOn(be: Backend, c: Case) {
  const { B, T, V, average } = c;
  return runOn(be, (t) => {
    const logits = t([B, T, V], c.logits),
      targets = t([B, T], c.targets, 'i32'),
      mask = t([B, T], c.mask);
    const dlogps = t([B], c.dlogps),
      logps = t([B]),
      dlogits = t([B, T, V], c.dlogits0);
    be.sequenceLogpsForward(logps, logits, targets, mask, { B, T, V, average });
    be.sequenceLogpsBackward(dlogits, dlogps, logits, targets, mask, { B, T, V, average });
    return [logps, dlogits];
  });
}

/** Sequence b masks its first b % T tokens (a prompt); sequence 1 is fully masked when B > 2. */
function maskFor(B: number, T: number): Float32Array {
  const m = new Float32Array(B * T).fill(1);
  for (let b = 0; b < B; b++) for (let t = 0; t < (B > 2 && b === 1 ? T : b % T); t++) m[b * T + t] = 0;
  return m;
}

function randomCase(B: number, T: number, V: number, average: boolean, seed: number): Case {
  return {
    B,
    T,
    V,
    average,
    logits: randn(B * T * V, seed, 3),
    targets: targetsFor(B * T, V, seed),
    mask: maskFor(B, T),
    dlogps: randn(B, seed + 2),
    dlogits0: randn(B * T * V, seed + 1, 0.1),
  };
}

describe('sequence_logps fixtures', () => {
  it('has fixtures', () => expect(FIXTURES.length).toBeGreaterThan(0));
  fixtureTests(FIXTURES);
});

describe('sequence_logps: WebGPU vs CPU twin', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 1, 7],
    [2, 3, 13],
    [3, 17, 97],
    [4, 5, 257],
    [2, 700, 3],
    [3, 400, 37],
    [1, 2, 50000],
  ];
  for (const [B, T, V] of shapes) {
    for (const average of [false, true]) {
      it(`B=${B} T=${T} V=${V} ${average ? 'average' : 'sum'}`, async () => {
        const c = randomCase(B, T, V, average, B * 5 + T * 3 + V);
        const [gl, gd] = await sequenceLogpsOn(await webgpu(), c);
        const [cl, cd] = await sequenceLogpsOn(cpu(), c);
        expect(gl.every(Number.isFinite)).toBe(true);
        expectClose(gl, cl, 1e-5, 1e-5, 'logps');
        expectClose(gd, cd, 1e-4, 1e-6, 'dlogits');
      });
    }
  }

  it('many one-token sequences', async () => {
    const c = randomCase(66000, 1, 2, true, 77);
    const [gl, gd] = await sequenceLogpsOn(await webgpu(), c);
    const [cl, cd] = await sequenceLogpsOn(cpu(), c);
    expectClose(gl, cl, 1e-5, 1e-6, 'logps');
    expectClose(gd, cd, 1e-4, 1e-6, 'dlogits');
  });

  it('is deterministic run to run', async () => {
    const c = randomCase(4, 150, 1000, true, 98);
    const gpu = await webgpu();
    const a = await sequenceLogpsOn(gpu, c);
    const b = await sequenceLogpsOn(gpu, c);
    expect(Array.from(b[0])).toEqual(Array.from(a[0]));
    expect(Array.from(b[1])).toEqual(Array.from(a[1]));
  });
});

describe('sequence_logps: masks and extreme logits', () => {
  for (const kind of ['webgpu', 'cpu'] as const) {
    const be = async () => (kind === 'cpu' ? cpu() : await webgpu());

    for (const average of [false, true]) {
      it(`${kind} ${average ? 'average' : 'sum'}: a fully masked sequence gives 0 and no gradient (no NaN)`, async () => {
        const c = randomCase(3, 4, 6, average, 12);
        const [logps, d] = await sequenceLogpsOn(await be(), c);
        expect(logps[1]).toBe(0);
        expect(logps.every(Number.isFinite)).toBe(true);
        expect(Array.from(d.subarray(24, 48))).toEqual(Array.from(c.dlogits0.subarray(24, 48)));
        // The masked prompt token of sequence 2 (t = 0, 1) gets nothing either; its t = 2 does.
        expect(Array.from(d.subarray(48, 60))).toEqual(Array.from(c.dlogits0.subarray(48, 60)));
        expect(Array.from(d.subarray(60, 66))).not.toEqual(Array.from(c.dlogits0.subarray(60, 66)));
      });
    }

    it(`${kind}: logits of +-90 and -1000/0 give exact, finite log-probs and gradients`, async () => {
      const B = 2,
        T = 2,
        V = 3;
      const logits = Float32Array.from([90, -90, -90, -1000, 0, -1000, 90, 90, -90, 0, -1000, 0]);
      const targets = Int32Array.from([1, 0, 2, 2]);
      const mask = Float32Array.from([1, 1, 1, 1]);
      const dlogps = Float32Array.from([1, -2]);
      for (const average of [false, true]) {
        const c = { B, T, V, average, logits, targets, mask, dlogps, dlogits0: new Float32Array(12) };
        const [logps, d] = await sequenceLogpsOn(await be(), c);
        const k = average ? 0.5 : 1;
        // Token log-probs: -180, -1000 | -180 - log 2, -log 2.
        expectClose(logps, [-1180 * k, (-180 - 2 * Math.log(2)) * k], 1e-6, 1e-5, 'logps');
        // g * (onehot - softmax) with g = dlogps[b] * k per token.
        const want = [-1, 1, 0, 1, -1, 0, 1, 1, -2, 1, 0, -1].map((v) => v * k);
        expect(d.every(Number.isFinite)).toBe(true);
        expectClose(d, want, 1e-5, 1e-7, 'dlogits');
      }
    });
  }
});

describe('sequence_logps twin vs finite differences (float64)', () => {
  for (const average of [false, true]) {
    for (const [B, T, V] of [
      [1, 1, 1],
      [2, 3, 5],
      [3, 4, 11],
    ] as const) {
      it(`B=${B} T=${T} V=${V} ${average ? 'average' : 'sum'}`, () => {
        const logits = Float64Array.from(randn(B * T * V, 70 + V, 2));
        const targets = targetsFor(B * T, V, 71);
        const mask = Float64Array.from(maskFor(B, T));
        const dlogps = Float64Array.from(randn(B, 72));
        const dims = { B, T, V, average };
        const objective = (x: Float64Array) => {
          const logps = new Float64Array(B);
          sequenceLogpsForward(logps, x, targets, mask, dims);
          return logps.reduce((s, v, b) => s + v * dlogps[b], 0);
        };
        const d = new Float64Array(B * T * V).fill(0.75);
        sequenceLogpsBackward(d, dlogps, logits, targets, mask, dims);
        const at = spread(B * T * V, 60);
        const fd = finiteDiff(objective, logits, at);
        expectClose(
          at.map((i) => d[i] - 0.75),
          fd,
          1e-6,
          1e-8,
          'dlogits',
        );
      });
    }
  }
});
