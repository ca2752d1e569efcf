// Engine infrastructure on Dawn: steady-state allocation, record/run replay, device loss, views, write ordering,
// and the Philox known answer through be.random on both backends.

import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, RandomParams, Tensor } from '../../src/engine/backend';
import { CpuBackend } from '../../src/engine/cpu/backend';
import { createNodeWebGPUBackend } from '../../src/engine/node';
import type { WebGPUBackend } from '../../src/engine/webgpu/backend';
import { verify } from '../../src/cli/verify';
import { fixtureDirs, randn } from '../helpers/backends';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let gpu: Backend;
beforeAll(async () => {
  gpu = await createNodeWebGPUBackend();
});
afterAll(() => gpu?.destroy());

const both = (): [string, () => Backend][] => [
  ['webgpu', () => gpu],
  ['cpu', () => new CpuBackend('engine test')],
];

describe('steady state allocates no device buffers', () => {
  it('is flat over 200 eager op sequences and 200 replays of a recorded program', async () => {
    const be = gpu;
    const n = 1000;
    const x = be.tensor([n], { data: randn(n, 1) });
    const y = be.tensor([n], { data: randn(n, 2) });
    const noise = be.tensor([n], { label: 'noise' });
    const total = be.tensor([1], { label: 'total' });
    const clock = be.tensor([1], { dtype: 'u32', label: 'clock' });
    const step = () => {
      be.tick(clock);
      be.random(noise, clock, { kind: 'normal', seedLo: 1, seedHi: 0, stream: 2 });
      be.axpby(y, noise, 0.01, 0.99);
      be.copy(x, y);
      be.sum(total, x, 1 / n);
      be.fill(noise, 0);
    };
    // Warm-up: pipelines, bind groups, uniforms and the staging buffer of the read are created once.
    step();
    await be.read(total);
    await be.read(clock);
    const base = be.liveBuffers();
    expect(base).toBeGreaterThan(0);

    const eager: number[] = [];
    for (let i = 0; i < 200; i++) {
      step();
      if (i % 50 === 49) await be.read(total);
      eager.push(be.liveBuffers());
    }
    await be.sync();
    eager.push(be.liveBuffers());
    expect(new Set(eager)).toEqual(new Set([base]));

    const program = be.record('steady', step);
    expect(program.dispatches).toBeGreaterThanOrEqual(6);
    be.run(program);
    await be.read(total);
    const replayed: number[] = [];
    for (let i = 0; i < 200; i++) {
      be.run(program);
      if (i % 50 === 49) await be.read(total);
      replayed.push(be.liveBuffers());
    }
    await be.sync();
    replayed.push(be.liveBuffers());
    expect(new Set(replayed)).toEqual(new Set([base]));

    // The loops did the work they claim: 1 + 200 eager steps and 1 + 200 replays.
    expect(Array.from(await be.read(clock))).toEqual([402]);
    for (const t of [x, y, noise, total, clock]) be.release(t);
  });
});

describe('record/run', () => {
  it.each(both())('replays like eager calls on %s', async (_name, get) => {
    const be = get();
    const n = 517;
    const init = randn(n, 3);
    const params: RandomParams = { kind: 'normal', seedLo: 7, seedHi: 1, stream: 4 };
    const make = () => ({
      y: be.tensor([n], { data: init }),
      noise: be.tensor([n]),
      clock: be.tensor([1], { dtype: 'u32' }),
    });
    const issue = (s: ReturnType<typeof make>) => {
      be.tick(s.clock);
      be.random(s.noise, s.clock, params);
      be.axpby(s.y, s.noise, 0.1, 0.9);
    };
    const rec = make();
    const program = be.record('clocked axpby', () => issue(rec));
    // Recording issues nothing.
    expect(Array.from(await be.read(rec.clock))).toEqual([0]);
    be.run(program, 4);
    be.run(program);
    be.run(program, 5);
    const eager = make();
    for (let i = 0; i < 10; i++) issue(eager);

    expect(Array.from(await be.read(rec.clock))).toEqual([10]);
    expect(Array.from(await be.read(eager.clock))).toEqual([10]);
    const a = await be.read(rec.y);
    const b = await be.read(eager.y);
    expect(Array.from(a)).toEqual(Array.from(b));
    // Each step drew fresh noise (the clock moved): the result is not ten times the same update.
    let changed = 0;
    for (let i = 0; i < n; i++) if (a[i] !== init[i]) changed++;
    expect(changed).toBe(n);
    const once = make();
    issue(once);
    for (let i = 0; i < 9; i++) be.axpby(once.y, once.noise, 0.1, 0.9);
    expect(Array.from(await be.read(once.y))).not.toEqual(Array.from(a));
  });

  it('refuses writes while recording', () => {
    const t = gpu.tensor([4]);
    expect(() => gpu.record('bad', () => gpu.write(t, [1, 2, 3, 4]))).toThrow(/write\(\) inside record\(\)/);
    gpu.release(t);
  });
});

describe('device loss', () => {
  it('reports the loss once, and later ops and reads fail with it instead of hanging', async () => {
    const be = await createNodeWebGPUBackend();
    try {
      const t = be.tensor([64], { data: randn(64, 5) });
      be.fill(t, 2);
      expect(Array.from(await be.read(t)).every((v) => v === 2)).toBe(true);

      const errors: Error[] = [];
      const reported = new Promise<Error>((resolve) =>
        be.onDeviceError((e) => {
          errors.push(e);
          resolve(e);
        }),
      );
      (be as WebGPUBackend).ctx.device.destroy();
      // A read racing the loss rejects too (with the loss when it is already known); a hang meets the global guard.
      await expect(be.read(t)).rejects.toThrow();

      const err = await reported;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(/lost/i);

      expect(() => be.fill(t, 3)).toThrow(/lost/i);
      expect(() => be.tensor([4])).toThrow(/lost/i);
      expect(() => be.write(t, new Float32Array(64))).toThrow(/lost/i);
      await expect(be.read(t)).rejects.toThrow(/lost/i);
      await expect(be.sync()).rejects.toThrow(/lost/i);

      // A listener added afterwards still hears about it; nobody hears twice.
      const late: Error[] = [];
      be.onDeviceError((e) => late.push(e));
      expect(late).toHaveLength(1);
      expect(errors).toHaveLength(1);
    } finally {
      be.destroy();
    }
  });
});

describe('views', () => {
  it.each(both())('read and write the right range on %s', async (_name, get) => {
    const be = get();
    const align = be.alignElements;
    const n = 3 * align + 5;
    const data = Float32Array.from({ length: n }, (_, i) => i);
    const base = be.tensor([n], { data, label: 'base' });
    const len = align + 3;
    const v = be.view(base, align, [len], 'v');
    expect(v.offset).toBe(align);
    expect(v.size).toBe(len);
    expect(Array.from(await be.read(v))).toEqual(Array.from(data.subarray(align, align + len)));

    const want = Float32Array.from(data);
    const written = Float32Array.from({ length: len }, (_, i) => -1 - i);
    be.write(v, written);
    want.set(written, align);
    expect(Array.from(await be.read(base))).toEqual(Array.from(want));

    // Ops bind the view's range only.
    be.fill(v, 7);
    want.fill(7, align, align + len);
    const other = be.tensor([len], { data: Float32Array.from({ length: len }, (_, i) => i / 4) });
    be.axpby(v, other, 2, 1);
    for (let i = 0; i < len; i++) want[align + i] = 7 + (2 * i) / 4;
    expect(Array.from(await be.read(base))).toEqual(Array.from(want));

    // A view of a view adds the offsets.
    const vv = be.view(v, align, [2], 'vv');
    expect(vv.offset).toBe(2 * align);
    be.fill(vv, -5);
    want.fill(-5, 2 * align, 2 * align + 2);
    expect(Array.from(await be.read(base))).toEqual(Array.from(want));

    expect(() => be.view(base, 2 * align, [align + 6])).toThrow(/exceeds/);
    be.release(v);
    be.release(vv);
    be.release(other);
    be.release(base);
  });

  it('refuses an unaligned offset with a clear error', () => {
    const align = gpu.alignElements;
    expect(align).toBeGreaterThan(1);
    const base = gpu.tensor([4 * align]);
    expect(() => gpu.view(base, 1, [4])).toThrow(new RegExp(`offset 1 is not a multiple of ${align} elements`));
    expect(() => gpu.view(base, align + align / 2, [4])).toThrow(/not a multiple/);
    expect(gpu.view(base, 2 * align, [4]).offset).toBe(2 * align);
    gpu.release(base);
  });
});

describe('write ordering', () => {
  it.each(both())('op, write, op sequences read back in program order on %s', async (_name, get) => {
    const be = get();
    const n = 300;
    const a = be.tensor([n], { label: 'a' });
    const b = be.tensor([n], { label: 'b' });
    const ones = new Float32Array(n).fill(1);
    const ramp = Float32Array.from({ length: n }, (_, i) => i);

    be.fill(a, 1);
    be.write(b, ramp); // after the fill, before the axpby
    be.axpby(a, b, 1, 1); // a = 1 + i
    be.write(b, ones);
    be.axpby(a, b, 2, 1); // a = 3 + i
    be.fill(b, 5);
    be.write(b, ramp); // overrides the fill issued just before
    be.axpby(a, b, 1, 1); // a = 3 + 2i
    const mid = await be.read(a);
    be.axpby(a, b, -1, 1); // a = 3 + i
    be.write(b, ones);
    be.fill(b, 4); // overrides the write issued just before
    be.axpby(a, b, 1, 1); // a = 7 + i

    expect(Array.from(mid)).toEqual(Array.from(ramp, (i) => 3 + 2 * i));
    expect(Array.from(await be.read(a))).toEqual(Array.from(ramp, (i) => 7 + i));
    expect(Array.from(await be.read(b))).toEqual(Array.from(ones, () => 4));

    // Around a recorded program as well.
    const prog = be.record('a += b', () => be.axpby(a, b, 1, 1));
    be.run(prog); // 11 + i
    be.write(b, ramp);
    be.run(prog); // 11 + 2i
    be.write(b, ones);
    expect(Array.from(await be.read(a))).toEqual(Array.from(ramp, (i) => 11 + 2 * i));
    for (const t of [a, b] as Tensor[]) be.release(t);
  });
});

describe('Philox known answer (OPS.md)', () => {
  const KAT = [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8];
  it.each(both())('be.random bits with seed 0, stream 0, clock 0 on %s', async (_name, get) => {
    const be = get();
    const params: RandomParams = { kind: 'bits', seedLo: 0, seedHi: 0, stream: 0 };
    const out = be.tensor([8], { dtype: 'u32' });
    be.random(out, null, params);
    const bits = await be.read(out);
    expect(bits).toBeInstanceOf(Uint32Array);
    expect(Array.from(bits.subarray(0, 4))).toEqual(KAT);
    // Words 4..7 are counter (1, 0, 0, 0): a different block.
    expect(Array.from(bits.subarray(4, 8))).not.toEqual(KAT);

    const clock = be.tensor([1], { dtype: 'u32', data: [0] });
    const clocked = be.tensor([4], { dtype: 'u32' });
    be.random(clocked, clock, params);
    expect(Array.from(await be.read(clocked))).toEqual(KAT);
    be.tick(clock);
    be.random(clocked, clock, params);
    expect(Array.from(await be.read(clocked))).not.toEqual(KAT);
    for (const t of [out, clock, clocked]) be.release(t);
  });
});

describe('lab verify over the oracle fixtures (OPS.md)', () => {
  for (const dir of fixtureDirs()) {
    it(`passes every fixture in ${relative(ROOT, dir)} on both backends`, async () => {
      const r = await verify(dir, { backends: ['cpu', 'webgpu'] });
      const problems = r.lines.filter((l) => /^(FAIL|MALFORMED|ERROR)/.test(l));
      expect(problems).toEqual([]);
      expect(r.exitCode).toBe(0);
      expect(r.passed).toBeGreaterThan(0);
      expect(r.lines[r.lines.length - 1]).toBe(`${r.passed} passed, 0 failed`);
    });
  }
});
