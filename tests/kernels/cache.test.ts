// The WebGPU call cache and buffer pool: recorded programs survive eviction, double releases are harmless.

import { describe, expect, it } from 'vitest';
import { webgpu } from '../helpers/backends';

describe('recorded programs outlive the eager call cache', () => {
  it('replays correctly after thousands of distinct eager calls evicted older cache entries', async () => {
    const be = await webgpu();
    const y = be.tensor([8], { data: new Float32Array(8).fill(1) });
    const x = be.tensor([8], { data: new Float32Array(8).fill(2) });
    const program = be.record('axpby', () => be.axpby(y, x, 1, 1));
    const scratch = be.tensor([4]);
    // Every fill value is a new call site: enough of them to cycle the whole eager cache.
    for (let i = 0; i < 5000; i++) be.fill(scratch, i);
    // Let the deferred destruction of evicted uniforms happen before the replay.
    await be.sync();
    await new Promise((r) => setTimeout(r, 50));
    be.run(program, 3);
    expect([...(await be.read(y))]).toEqual(new Array(8).fill(7));
    const live = be.liveBuffers();
    for (let i = 0; i < 500; i++) be.fill(scratch, 10_000 + i);
    await be.sync();
    expect(be.liveBuffers()).toBeLessThanOrEqual(live);
  });

  it('releasing a tensor twice does not hand its buffer out twice', async () => {
    const be = await webgpu();
    const t = be.tensor([16]);
    be.release(t);
    be.release(t);
    const a = be.tensor([16], { data: new Float32Array(16).fill(1) });
    const b = be.tensor([16], { data: new Float32Array(16).fill(2) });
    expect([...(await be.read(a))]).toEqual(new Array(16).fill(1));
    expect([...(await be.read(b))]).toEqual(new Array(16).fill(2));
  });
});
