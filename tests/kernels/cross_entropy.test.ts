// cross_entropy: oracle fixtures on both backends, WebGPU vs the CPU twin, finite differences, masks, extreme logits.

import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { crossEntropyBackward, crossEntropyForward } from '../../src/engine/cpu/cross_entropy';
import { cpu, fixtures, fixtureTests, randn, webgpu } from '../helpers/backends';
import { expectClose, finiteDiff } from '../helpers/numeric';
import { runOn, spread, targetsFor } from '../helpers/rows';

const FIXTURES = fixtures('cross_entropy_');

interface Case {
  R: number;
  V: number;
  logits: Float32Array;
  targets: Int32Array;
  mask: Float32Array;
  dlogits0: Float32Array;
  scale?: number;
}

/** [loss, dlogits0 + backward]. */
function crossEntropyOn(be: Backend, c: Case) {
  const { R, V } = c;
  return runOn(be, (t) => {
    const logits = t([R, V], c.logits),
      targets = t([R], c.targets, 'i32'),
      mask = t([R], c.mask);
    const loss = t([1]),
      dlogits = t([R, V], c.dlogits0);
    be.crossEntropyForward(loss, logits, targets, mask, { R, V });
    be.crossEntropyBackward(dlogits, logits, targets, mask, { R, V, scale: c.scale });
    return [loss, dlogits];
  });
}

/** A mask with zeros at every `every`-th row (none when every is 0) and a fractional weight at row 1. */
function maskFor(R: number, every: number): Float32Array {
  const m = new Float32Array(R).fill(1);
  if (every > 0) for (let r = 0; r < R; r += every) m[r] = 0;
  if (R > 1) m[1] = 0.5;
  return m;
}

function randomCase(R: number, V: number, seed: number, scale?: number): Case {
  return {
    R,
    V,
    logits: randn(R * V, seed, 3),
    targets: targetsFor(R, V, seed),
    mask: maskFor(R, R > 2 ? 3 : 0),
    dlogits0: randn(R * V, seed + 1, 0.1),
    scale,
  };
}

describe('cross_entropy fixtures', () => {
  it('has fixtures', () => expect(FIXTURES.length).toBeGreaterThan(0));
  fixtureTests(FIXTURES);
});

describe('cross_entropy: WebGPU vs CPU twin', () => {
  const shapes: [number, number, number?][] = [
    [1, 1],
    [1, 7],
    [5, 13, 2.5],
    [33, 97],
    [7, 257],
    [3, 1031, 0.25],
    [1300, 3],
    [1100, 37, 2],
    [2, 50000],
  ];
  for (const [R, V, scale] of shapes) {
    it(`R=${R} V=${V}${scale ? ` scale=${scale}` : ''}`, async () => {
      const c = randomCase(R, V, R * 7 + V, scale);
      const [gl, gd] = await crossEntropyOn(await webgpu(), c);
      const [cl, cd] = await crossEntropyOn(cpu(), c);
      expect(Number.isFinite(gl[0])).toBe(true);
      expectClose(gl, cl, 1e-5, 1e-6, 'loss');
      expectClose(gd, cd, 1e-4, 1e-6, 'dlogits');
    });
  }

  it('is deterministic run to run', async () => {
    const c = randomCase(600, 1000, 99);
    const gpu = await webgpu();
    const a = await crossEntropyOn(gpu, c);
    const b = await crossEntropyOn(gpu, c);
    expect(Array.from(b[0])).toEqual(Array.from(a[0]));
    expect(Array.from(b[1])).toEqual(Array.from(a[1]));
  });
});

describe('cross_entropy: masks and extreme logits', () => {
  for (const kind of ['webgpu', 'cpu'] as const) {
    const be = async () => (kind === 'cpu' ? cpu() : await webgpu());

    it(`${kind}: everything masked gives loss 0 and no gradient (no NaN)`, async () => {
      const c = { ...randomCase(6, 11, 5), mask: new Float32Array(6) };
      const [loss, d] = await crossEntropyOn(await be(), c);
      expect(loss[0]).toBe(0);
      expect(Array.from(d)).toEqual(Array.from(c.dlogits0));
    });

    it(`${kind}: masked rows with out-of-range targets (ignore_index -100) contribute nothing`, async () => {
      const c = randomCase(5, 9, 6);
      c.mask = Float32Array.from([1, 0, 1, 0, 1]);
      const kept = Int32Array.from(c.targets);
      c.targets[1] = -100;
      c.targets[3] = 9;
      const [loss, d] = await crossEntropyOn(await be(), c);
      const [loss2, d2] = await crossEntropyOn(await be(), { ...c, targets: kept });
      expect(loss[0]).toBe(loss2[0]);
      expect(Array.from(d)).toEqual(Array.from(d2));
      expect(Array.from(d.subarray(9, 18))).toEqual(Array.from(c.dlogits0.subarray(9, 18)));
    });

    it(`${kind}: logits of +-90 and -1000/0 give the exact, finite loss and gradient`, async () => {
      const V = 3;
      const logits = Float32Array.from([90, -90, -90, -1000, 0, -1000, 90, 90, -90, 0, 0, 0]);
      const R = logits.length / V;
      const targets = Int32Array.from([1, 0, 2, 1]);
      const mask = Float32Array.from([1, 1, 1, 0]);
      const [loss, d] = await crossEntropyOn(await be(), {
        R,
        V,
        logits,
        targets,
        mask,
        dlogits0: new Float32Array(R * V),
      });
      // nll: 180, 1000, 180 + log 2 (the masked row counts for nothing).
      expectClose(loss, [(180 + 1000 + 180 + Math.log(2)) / 3], 1e-6, 1e-5, 'loss');
      const third = 1 / 3;
      const want = [1, -1, 0, -1, 1, 0, 0.5, 0.5, -1, 0, 0, 0].map((v) => v * third);
      expect(d.every(Number.isFinite)).toBe(true);
      expectClose(d, want, 1e-5, 1e-7, 'dlogits');
    });
  }
});

describe('cross_entropy twin vs finite differences (float64)', () => {
  for (const [R, V, scale] of [
    [1, 1, 1],
    [4, 7, 1],
    [6, 13, 3],
  ] as const) {
    it(`R=${R} V=${V} scale=${scale}`, () => {
      const logits = Float64Array.from(randn(R * V, 60 + V, 2));
      const targets = targetsFor(R, V, 61);
      const mask = Float64Array.from(maskFor(R, 4));
      const objective = (x: Float64Array) => {
        const loss = new Float64Array(1);
        crossEntropyForward(loss, x, targets, mask, { R, V });
        return scale * loss[0];
      };
      const d = new Float64Array(R * V).fill(0.125);
      crossEntropyBackward(d, logits, targets, mask, { R, V, scale });
      const at = spread(R * V, 60);
      const fd = finiteDiff(objective, logits, at);
      expectClose(
        at.map((i) => d[i] - 0.125),
        fd,
        1e-6,
        1e-8,
        'dlogits',
      );
    });
  }
});
