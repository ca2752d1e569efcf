// WebGPU and the CPU twins agree over whole transformer training steps (forward, cross-entropy, backward into one
// zeroed gradient buffer, AdamW), recorded once and replayed: the losses of each step and the parameters after them.

import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import {
  Transformer,
  transformerBackward,
  transformerForward,
  zeroTransformerWork,
  type TransformerArch,
} from '../../src/lab/models/transformer';
import { cpu, randn, webgpu } from '../helpers/backends';
import { expectClose, largest } from '../helpers/numeric';

const V = 11;
const [B, T] = [4, 7];
const STEPS = 4;

/** Losses of each step and the parameters after the last (unpadded). */
async function train(be: Backend, arch: TransformerArch): Promise<{ losses: number[]; params: Float32Array }> {
  const model = new Transformer(be, 'm', arch, V + 1, V, 5, 2);
  const ids = be.tensor([B, T], {
    dtype: 'i32',
    data: randn(B * T, 3).map((x) => Math.abs(Math.floor(x * 4)) % (V + 1)),
  });
  const targets = be.tensor([B, T], {
    dtype: 'i32',
    data: randn(B * T, 4).map((x) => Math.abs(Math.floor(x * 4)) % V),
  });
  const mask = be.tensor([B, T], { data: Array.from({ length: B * T }, (_, i) => (i % 5 === 4 ? 0 : 1)) });
  const loss = be.tensor([1]);
  const clock = be.tensor([1], { dtype: 'u32' });
  const work = model.work(B, T, 'train', true);
  const hyper = { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
  const step = be.record('step', () => {
    be.tick(clock);
    transformerForward(be, model.shape, model.params, ids, work);
    be.crossEntropyForward(loss, work.out, targets, mask, { R: B * T, V });
    model.arena.zeroGrad();
    zeroTransformerWork(be, work);
    be.crossEntropyBackward(work.grad!.dout, work.out, targets, mask, { R: B * T, V });
    transformerBackward(be, model.shape, model.grads, model.params, ids, work);
    model.arena.step(clock, hyper);
  });
  const losses: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    be.run(step);
    losses.push(((await be.read(loss)) as Float32Array)[0]);
  }
  const params = await model.arena.packed();
  model.release();
  return { losses, params };
}

describe.each([
  ['untied', false, 2, 16],
  ['tied', true, 4, 32],
])('transformer training steps, WebGPU vs CPU (%s head)', (_, tiedHead, heads, width) => {
  it(`agree on the loss of each of ${STEPS} steps and on every parameter after them`, async () => {
    const arch: TransformerArch = { kind: 'transformer', layers: 2, heads, width, context: 8, tiedHead };
    const c = await train(cpu(), arch);
    const g = await train(await webgpu(), arch);
    expectClose(g.losses, c.losses, 1e-4, 1e-5, 'losses');
    // The loss falls: the steps train, so the agreement is not of a model standing still.
    expect(c.losses.at(-1)!).toBeLessThan(c.losses[0]);
    expectClose(g.params, c.params, 1e-3, 1e-4 * largest(c.params), 'parameters');
  });
});
