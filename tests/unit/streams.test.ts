// Philox stream ids: the ranges of the stream kinds do not overlap, every named id lies in its own range, and the
// constructors refuse arguments that would reach into a neighbour (the ids of two uses of randomness never meet).

import { describe, expect, it } from 'vitest';
import {
  modelStream,
  SAMPLER_BLOCK,
  samplerStream,
  STAGE_BLOCK,
  STAGE_OFFSET,
  stageStream,
  STREAM,
  STREAM_RANGES,
  TENSOR_BLOCK,
  tensorStream,
} from '../../src/lab/streams';

const ranges = Object.entries(STREAM_RANGES);
const inRange = (id: number, r: { first: number; end: number }) => id >= r.first && id < r.end;

describe('Philox stream ranges', () => {
  it('are non-empty, pairwise disjoint and fit a u32 counter word', () => {
    for (const [, r] of ranges) {
      expect(r.first).toBeLessThan(r.end);
      expect(r.end).toBeLessThanOrEqual(2 ** 32);
    }
    for (let i = 0; i < ranges.length; i++)
      for (let j = i + 1; j < ranges.length; j++) {
        const [a, ra] = ranges[i];
        const [b, rb] = ranges[j];
        expect(ra.end <= rb.first || rb.end <= ra.first, `${a} and ${b} overlap`).toBe(true);
      }
  });

  it('hold every named id: world streams distinct and in range, stage offsets inside one block', () => {
    const world = Object.values(STREAM);
    expect(new Set(world).size).toBe(world.length);
    for (const id of world) expect(inRange(id, STREAM_RANGES.world)).toBe(true);
    const offsets = Object.values(STAGE_OFFSET);
    expect(new Set(offsets).size).toBe(offsets.length);
    for (const o of offsets) expect(o >= 0 && o < STAGE_BLOCK).toBe(true);
  });

  it('keep the ids runs were made with', () => {
    expect([modelStream(0), modelStream(5)]).toEqual([500, 505]);
    expect([stageStream(0, STAGE_OFFSET.batch), stageStream(2, STAGE_OFFSET.fakeNoise)]).toEqual([1000, 1038]);
    expect([samplerStream(0, 0), samplerStream(1, 1000)]).toEqual([100_000, 103_048]);
  });

  it('constructors land in their own range at both ends', () => {
    const lastModel = STREAM_RANGES.model.end - STREAM_RANGES.model.first - 1;
    expect(inRange(modelStream(0), STREAM_RANGES.model)).toBe(true);
    expect(inRange(modelStream(lastModel), STREAM_RANGES.model)).toBe(true);
    const lastStage = Math.floor((STREAM_RANGES.stage.end - STREAM_RANGES.stage.first) / STAGE_BLOCK) - 1;
    expect(inRange(stageStream(0, 0), STREAM_RANGES.stage)).toBe(true);
    expect(inRange(stageStream(lastStage, STAGE_BLOCK - 1), STREAM_RANGES.stage)).toBe(true);
    const lastSampler = Math.floor((STREAM_RANGES.sampler.end - STREAM_RANGES.sampler.first) / SAMPLER_BLOCK) - 1;
    expect(inRange(samplerStream(0, 0), STREAM_RANGES.sampler)).toBe(true);
    expect(inRange(samplerStream(lastSampler, SAMPLER_BLOCK - 1), STREAM_RANGES.sampler)).toBe(true);
    expect(inRange(tensorStream(0, 0), STREAM_RANGES.tensor)).toBe(true);
    expect(inRange(tensorStream(lastModel, TENSOR_BLOCK - 1), STREAM_RANGES.tensor)).toBe(true);
  });

  it('constructors refuse arguments that would leave their range', () => {
    expect(() => modelStream(500)).toThrow(/model index/);
    expect(() => modelStream(-1)).toThrow(/model index/);
    expect(() => modelStream(1.5)).toThrow(/model index/);
    expect(() => stageStream(0, STAGE_BLOCK)).toThrow(/stage stream offset/);
    expect(() => stageStream(-1, 0)).toThrow(/stage index/);
    expect(() => stageStream(6187, 0)).toThrow(/stage index/);
    expect(() => samplerStream(0, SAMPLER_BLOCK)).toThrow(/sampler step/);
    expect(() => samplerStream(1024, 0)).toThrow(/sampler id/);
    expect(() => samplerStream(0, -1)).toThrow(/sampler step/);
    expect(() => tensorStream(0, TENSOR_BLOCK)).toThrow(/tensor index/);
    expect(() => tensorStream(500, 0)).toThrow(/model index/);
  });
});
