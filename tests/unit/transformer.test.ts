// The transformer's forward/backward pair against central finite differences on the CPU backend: a few entries of
// every parameter tensor (tied and untied head), accumulation over two passes into gradients zeroed once, causality,
// GPT-2 initialization and the size functions the memory estimate reads.

import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/backend';
import {
  Transformer,
  transformerBackward,
  transformerForward,
  transformerParamCount,
  transformerWorkFloats,
  zeroTransformerWork,
  type TransformerArch,
  type TransformerWork,
} from '../../src/lab/models/transformer';
import { randn } from '../helpers/backends';

const V = 5;
const I = V + 1;
const B = 2;
const T = 5;
const data = (t: { id: number }) => (t as unknown as { data: Float32Array }).data;

function setup(tiedHead: boolean, layers = 2) {
  const be = new CpuBackend('tests');
  const arch: TransformerArch = { kind: 'transformer', layers, heads: 2, width: 8, context: 6, tiedHead };
  const model = new Transformer(be, 'm', arch, I, V, 3, 1);
  const ids = be.tensor([B, T], { dtype: 'i32', data: [5, 0, 3, 3, 1, 5, 4, 2, 2, 0] });
  const targets = be.tensor([B, T], { dtype: 'i32', data: [0, 3, 3, 1, 4, 4, 2, 2, 0, 1] });
  const mask = be.tensor([B, T], { data: [1, 1, 1, 0, 1, 1, 1, 1, 1, 1] });
  const loss = be.tensor([1]);
  const work = model.work(B, T, 'w', true);
  const forward = (flat: Float32Array) => {
    be.write(model.arena.params, flat);
    transformerForward(be, model.shape, model.params, ids, work);
  };
  const lossAt = (flat: Float32Array) => {
    forward(flat);
    be.crossEntropyForward(loss, work.out, targets, mask, { R: B * T, V });
    return data(loss)[0];
  };
  const gradAt = (flat: Float32Array, passes: number) => {
    be.write(model.arena.params, flat);
    model.arena.zeroGrad();
    for (let i = 0; i < passes; i++) {
      transformerForward(be, model.shape, model.params, ids, work);
      zeroTransformerWork(be, work);
      be.crossEntropyBackward(work.grad!.dout, work.out, targets, mask, { R: B * T, V });
      transformerBackward(be, model.shape, model.grads, model.params, ids, work);
    }
    return Float64Array.from(data(model.arena.grads));
  };
  return { be, model, work, forward, lossAt, gradAt, ids };
}

/** Parameters far from GPT-2's small initialization, so every gradient is well above float32 noise. */
function spread(model: Transformer, p0: Float32Array): Float32Array {
  const p = p0.slice();
  const noise = randn(p.length, 11, 0.4);
  for (const e of model.arena.entries) {
    const gain = /ln\d?\.g$|lnf\.g$/.test(e.name) ? 1 : 0;
    for (let i = e.offset; i < e.offset + e.size; i++) p[i] = gain + noise[i];
  }
  return p;
}

describe.each([
  ['untied', false],
  ['tied', true],
])('transformer (%s head)', (_, tied) => {
  it('backward matches central finite differences on a few entries of every parameter tensor', async () => {
    const { model, lossAt, gradAt } = setup(tied);
    const p0 = spread(model, Float32Array.from(await model.arena.checkpoint()));
    const g = gradAt(p0, 1);
    const h = 1e-2;
    for (const e of model.arena.entries) {
      // The largest gradient of the tensor, and entries spread over it.
      let top = e.offset;
      for (let i = e.offset; i < e.offset + e.size; i++) if (Math.abs(g[i]) > Math.abs(g[top])) top = i;
      const picks = new Set([top, e.offset, e.offset + e.size - 1, e.offset + Math.floor(e.size / 3)]);
      expect(Math.abs(g[top]), `${e.name} has a gradient`).toBeGreaterThan(1e-3);
      for (const i of picks) {
        const p = p0.slice();
        p[i] += h;
        const up = lossAt(p);
        p[i] -= 2 * h;
        const down = lossAt(p);
        const fd = (up - down) / (2 * h);
        expect(Math.abs(fd - g[i]), `${e.name}[${i - e.offset}]: fd ${fd} vs ${g[i]}`).toBeLessThan(
          2e-3 + 0.03 * Math.abs(g[i]),
        );
      }
    }
  });

  it('accumulates over passes into gradients zeroed once', async () => {
    const { model, gradAt } = setup(tied);
    const p0 = spread(model, Float32Array.from(await model.arena.checkpoint()));
    const one = gradAt(p0, 1);
    const two = gradAt(p0, 2);
    for (let i = 0; i < one.length; i++)
      expect(Math.abs(two[i] - 2 * one[i])).toBeLessThan(1e-6 + 1e-5 * Math.abs(one[i]));
  });
});

describe('transformer', () => {
  it('is causal: the logits at a position do not depend on later tokens', async () => {
    const { be, model, work, forward, ids } = setup(false);
    const p0 = spread(model, Float32Array.from(await model.arena.checkpoint()));
    forward(p0);
    const before = Float32Array.from(data(work.out));
    be.write(ids, [5, 0, 3, 1, 2, 5, 4, 2, 2, 0]); // position 3 and 4 of sequence 0 changed
    forward(p0);
    const after = data(work.out);
    for (let i = 0; i < B * T * V; i++) {
      const [b, t] = [Math.floor(i / (T * V)), Math.floor(i / V) % T];
      if (b === 0 && t >= 3) continue;
      expect(after[i]).toBe(before[i]);
    }
    expect(after.slice(3 * V, 4 * V)).not.toEqual(before.slice(3 * V, 4 * V));
  });

  it('starts from GPT-2 initialization: N(0, 0.02^2), residual projections scaled by 1/sqrt(2L)', async () => {
    const layers = 4;
    const be = new CpuBackend('tests');
    const arch: TransformerArch = { kind: 'transformer', layers, heads: 2, width: 32, context: 16, tiedHead: false };
    const model = new Transformer(be, 'm', arch, 17, 16, 0, 0);
    const p = await model.arena.checkpoint();
    const std = (name: string) => {
      const x = model.arena.slice(p, name);
      return Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
    };
    expect(std('h0.fc.w')).toBeCloseTo(0.02, 3);
    expect(std('h2.qkv.w')).toBeCloseTo(0.02, 3);
    expect(std('h1.fc_proj.w') / 0.02).toBeCloseTo(1 / Math.sqrt(2 * layers), 1);
    expect(std('h3.proj.w') / 0.02).toBeCloseTo(1 / Math.sqrt(2 * layers), 1);
    expect([...model.arena.slice(p, 'h0.ln1.g')].every((v) => v === 1)).toBe(true);
    expect([...model.arena.slice(p, 'h0.qkv.b')].every((v) => v === 0)).toBe(true);
    // Each weight matrix has its own stream: the same seed gives the same draws, another tensor other draws.
    const again = await new Transformer(be, 'm', arch, 17, 16, 0, 0).arena.checkpoint();
    expect(again).toEqual(p);
    expect(model.arena.slice(p, 'h0.fc.w').slice(0, 8)).not.toEqual(model.arena.slice(p, 'h1.fc.w').slice(0, 8));
  });

  it.each([
    [false, 16],
    [true, 16],
    [false, 1],
  ])('allocates transformerParamCount floats (tied %s, %i outputs)', (tiedHead, out) => {
    const be = new CpuBackend('tests');
    const arch: TransformerArch = { kind: 'transformer', layers: 3, heads: 4, width: 24, context: 10, tiedHead };
    const model = new Transformer(be, 'm', arch, 17, out, 0, 0);
    const allocated = model.arena.entries.reduce((a, e) => a + e.size, 0);
    expect(allocated).toBe(transformerParamCount(arch, 17, out));
  });

  it.each([true, false])('a pass (training %s) holds transformerWorkFloats floats', (train) => {
    const be = new CpuBackend('tests');
    const arch: TransformerArch = { kind: 'transformer', layers: 3, heads: 4, width: 24, context: 10, tiedHead: false };
    const model = new Transformer(be, 'm', arch, 17, 16, 0, 0);
    const w: TransformerWork = model.work(3, 7, 'w', train);
    const g = w.grad;
    const tensors = new Set([w.pos, w.x, w.posEmb, w.lnf, w.lnfMean, w.lnfRstd, w.out]);
    if (g) for (const t of [g.dx, g.dlnf, g.dout]) tensors.add(t);
    for (const a of [...w.blocks, ...w.stats, ...(g?.blocks ?? [])]) for (const t of Object.values(a)) tensors.add(t);
    expect([...tensors].reduce((a, t) => a + t.size, 0)).toBe(transformerWorkFloats(arch, 3, 7, 16, train));
  });

  it('gives the same logits from a pass that does not train (one set of block buffers) as from one that does', async () => {
    const { be, model, work, forward, ids } = setup(false, 3);
    const p0 = spread(model, Float32Array.from(await model.arena.checkpoint()));
    forward(p0);
    const eval_ = model.work(B, T, 'eval', false);
    transformerForward(be, model.shape, model.params, ids, eval_);
    expect(data(eval_.out)).toEqual(data(work.out));
  });

  it('a prefix of a pass that does not train gives the full pass its logits at the positions it covers', async () => {
    const { be, model, work, forward, ids } = setup(true, 2);
    const p0 = spread(model, Float32Array.from(await model.arena.checkpoint()));
    forward(p0);
    const full = Float32Array.from(data(work.out)); // [B, T, V]
    const evalWork = model.work(B, T, 'eval', false);
    for (const P of [1, 3, T]) {
      const pos = be.tensor([B, P], { dtype: 'i32', data: Array.from({ length: B * P }, (_, i) => i % P) });
      const prefixIds = be.tensor([B, P], { dtype: 'i32' });
      be.window(prefixIds, ids, { B, T, C: 1, t0: 1, P, pad: 0 }); // the first P ids of each sequence
      const w = model.prefix(evalWork, P, pos);
      transformerForward(be, model.shape, model.params, prefixIds, w);
      const got = data(w.out);
      for (let b = 0; b < B; b++)
        expect(got.slice(b * P * V, (b + 1) * P * V)).toEqual(full.slice(b * T * V, (b * T + P) * V));
    }
    expect(() => model.prefix(work, 2, ids)).toThrow(/training pass/);
  });

  it('refuses more positions than its context, and a width its heads do not divide', () => {
    const be = new CpuBackend('tests');
    const arch: TransformerArch = { kind: 'transformer', layers: 1, heads: 3, width: 12, context: 4, tiedHead: true };
    const model = new Transformer(be, 'm', arch, 9, 8, 0, 0);
    expect(() => model.work(2, 5, 'w', false)).toThrow(/5 positions exceed the context of 4/);
    expect(() => new Transformer(be, 'm', { ...arch, width: 10 }, 9, 8, 0, 0)).toThrow(/not a multiple of heads/);
  });
});
