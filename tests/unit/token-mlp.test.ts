// The token-MLP forward/backward pair (embeddings -> MLP -> logits) against finite differences on the CPU backend:
// every parameter's gradient, and accumulation over two passes into gradients zeroed once.

import { describe, expect, it } from 'vitest';
import type { ActivationKind } from '../../src/engine/backend';
import { CpuBackend } from '../../src/engine/cpu/backend';
import { TokenMlp, tokenMlpBackward, tokenMlpForward, zeroWork } from '../../src/lab/models/token-mlp';

const V = 5;
const N = 7;
const C = 2;

function setup(activation: ActivationKind, depth: number) {
  const be = new CpuBackend('tests');
  const cfg = { kind: 'token-mlp', context: C, embed: 3, width: 6, depth, activation, initScale: 1 } as const;
  const model = new TokenMlp(be, 'm', cfg, V + 1, V, 3, 77);
  const ids = be.tensor([N, C], { dtype: 'i32', data: [5, 5, 5, 0, 0, 3, 3, 1, 1, 4, 4, 2, 2, 2] });
  const targets = be.tensor([N], { dtype: 'i32', data: [0, 3, 1, 4, 2, 2, 0] });
  const mask = be.tensor([N], { data: [1, 1, 1, 0, 1, 1, 1] });
  const loss = be.tensor([1]);
  const work = model.work(N, 'w', true);
  const lossAt = (flat: Float32Array) => {
    be.write(model.arena.params, flat);
    tokenMlpForward(be, model.shape, model.params, ids, work);
    be.crossEntropyForward(loss, work.out, targets, mask, { R: N, V });
    return (loss as unknown as { data: Float32Array }).data[0];
  };
  const gradAt = (flat: Float32Array, passes: number) => {
    be.write(model.arena.params, flat);
    be.fill(model.arena.grads, 0);
    for (let i = 0; i < passes; i++) {
      tokenMlpForward(be, model.shape, model.params, ids, work);
      zeroWork(be, work);
      be.crossEntropyBackward(work.grad!.dout, work.out, targets, mask, { R: N, V });
      tokenMlpBackward(be, model.shape, model.grads, model.params, ids, work);
    }
    return Float32Array.from((model.arena.grads as unknown as { data: Float32Array }).data);
  };
  return { model, lossAt, gradAt };
}

describe.each([
  ['tanh', 2],
  ['gelu', 1],
  ['silu', 0],
] as [ActivationKind, number][])('token-mlp (%s, depth %i)', (activation, depth) => {
  it('backward matches central finite differences for every parameter', async () => {
    const { model, lossAt, gradAt } = setup(activation, depth);
    const p0 = Float32Array.from(await model.arena.checkpoint());
    const g = gradAt(p0, 1);
    const h = 1e-2;
    let checked = 0;
    for (const e of model.arena.entries) {
      for (let i = e.offset; i < e.offset + e.size; i++) {
        const p = p0.slice();
        p[i] += h;
        const up = lossAt(p);
        p[i] -= 2 * h;
        const down = lossAt(p);
        const fd = (up - down) / (2 * h);
        expect(Math.abs(fd - g[i]), `${e.name}[${i - e.offset}]`).toBeLessThan(2e-3 + 0.03 * Math.abs(g[i]));
        checked++;
      }
    }
    expect(checked).toBe(model.arena.entries.reduce((a, e) => a + e.size, 0));
    // The rows of BOS (id 5) and of every used id get gradient; the gradient is not trivially zero.
    expect(Math.max(...g.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it('accumulates over passes into gradients zeroed once', async () => {
    const { model, gradAt } = setup(activation, depth);
    const p0 = Float32Array.from(await model.arena.checkpoint());
    const one = gradAt(p0, 1);
    const two = gradAt(p0, 2);
    for (let i = 0; i < one.length; i++)
      expect(Math.abs(two[i] - 2 * one[i])).toBeLessThan(1e-6 + 1e-5 * Math.abs(one[i]));
  });
});
