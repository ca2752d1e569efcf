// The sequences world generator: a normalized sparse oracle, BOS padding, absorbing EOS with masks, reproducible
// Philox samples that follow the oracle, and the hidden reward.

import { describe, expect, it } from 'vitest';
import { parseConfig, type SequencesWorld } from '../../src/lab/config';
import { lengths, makeSequences, maskOf, oracleNll, stateId, trueRewards } from '../../src/lab/worlds/sequences';

const world = (w: Record<string, unknown> = {}): SequencesWorld => {
  const cfg = parseConfig({
    world: { kind: 'sequences', ...w },
    models: { teacher: { kind: 'token-mlp' } },
    stages: [{ kind: 'sft' }],
  });
  if (cfg.world.kind !== 'sequences') throw new Error('not a sequences world');
  return cfg.world;
};

describe('sequences world', () => {
  it('has a normalized oracle with `successors` likely tokens per state and no EOS without a stop probability', () => {
    const w = world({ vocab: 10, order: 2, successors: 3, noise: 0.05 });
    const d = makeSequences(w, 3);
    expect(d.eos).toBe(-1);
    expect(d.bos).toBe(10);
    expect(d.oracleLogp.length).toBe(11 ** 2 * 10);
    for (let s = 0; s < 11 ** 2; s++) {
      const p = Array.from(d.oracleLogp.subarray(s * 10, s * 10 + 10), Math.exp);
      expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
      // The noise floor is 0.05 / 10 = 0.005; exactly three tokens carry the rest.
      expect(p.filter((x) => x > 0.005 + 1e-9).length).toBe(3);
    }
    expect(Array.from(d.trainMask).every((m) => m === 1)).toBe(true);
  });

  it('is a pure function of the seed', () => {
    const w = world({ stop: 0.2 });
    const a = makeSequences(w, 11);
    const b = makeSequences(w, 11);
    const c = makeSequences(w, 12);
    expect(a.train).toEqual(b.train);
    expect(a.oracleLogp).toEqual(b.oracleLogp);
    expect(a.train).not.toEqual(c.train);
    // Training and held-out samples come from different streams.
    expect(a.heldout).not.toEqual(a.train.subarray(0, a.heldout.length));
  });

  it('pads with BOS before the start', () => {
    const d = { T: 4, order: 2, bos: 9, radix: 10 };
    const tokens = [3, 5, 7, 1];
    expect(stateId(tokens, 0, 0, d)).toBe(99);
    expect(stateId(tokens, 0, 1, d)).toBe(93);
    expect(stateId(tokens, 0, 3, d)).toBe(57);
  });

  it('ends sequences with an absorbing EOS, masked after it, so lengths vary', () => {
    const w = world({ vocab: 12, length: 16, stop: 0.2, samples: 500 });
    const d = makeSequences(w, 5);
    expect(d.eos).toBe(0);
    const T = 16;
    const lens = lengths(d, d.train, d.trainMask, 500);
    for (let r = 0; r < 500; r++) {
      const row = Array.from(d.train.subarray(r * T, r * T + T));
      const end = row.indexOf(0);
      if (end >= 0) {
        expect(row.slice(end).every((x) => x === 0)).toBe(true);
        expect(Array.from(d.trainMask.subarray(r * T, r * T + T))).toEqual(row.map((_, t) => (t <= end ? 1 : 0)));
        expect(lens[r]).toBe(end);
      } else {
        expect(lens[r]).toBe(T);
      }
    }
    expect(new Set(lens).size).toBeGreaterThan(5);
    // Mean length of a geometric stop at 0.2 per token (cut at 16): about 4.
    const mean = lens.reduce((a, b) => a + b, 0) / 500;
    expect(mean).toBeGreaterThan(3);
    expect(mean).toBeLessThan(6);
    expect(maskOf(d.train, 500, T, 0)).toEqual(d.trainMask);
  });

  it('samples follow the oracle: the NLL of its own samples is its entropy rate, below a uniform model', () => {
    const w = world({ vocab: 8, order: 1, successors: 2, spread: 0, noise: 0.04, samples: 4000 });
    const d = makeSequences(w, 2);
    // Each state: two successors of 0.48 and a floor of 0.005: entropy = -2(0.48+0.005) ln(0.485)-6(0.005) ln(0.005).
    const p = 0.48 + 0.005;
    const h = -2 * p * Math.log(p) - 6 * 0.005 * Math.log(0.005);
    const nll = oracleNll(d, d.train, d.trainMask, 4000);
    expect(Math.abs(nll - h)).toBeLessThan(0.02);
    expect(nll).toBeLessThan(Math.log(8) - 1);
  });

  it('computes the hidden reward: target count, oracle log-likelihood and length', () => {
    const w = world({
      vocab: 10,
      length: 8,
      stop: 0.15,
      reward: { target: 4, count: 2, likelihood: 0.5, length: -0.25 },
    });
    const d = makeSequences(w, 9);
    const n = 50;
    const r = trueRewards(d, d.train, d.trainMask, n);
    for (let i = 0; i < n; i++) {
      let count = 0;
      let ll = 0;
      let len = 0;
      for (let t = 0; t < 8; t++) {
        if (d.trainMask[i * 8 + t] === 0) continue;
        const tok = d.train[i * 8 + t];
        if (tok === 4) count++;
        if (tok !== 0) len++;
        ll += d.oracleLogp[stateId(d.train, i, t, d) * 10 + tok];
      }
      expect(Math.abs(r[i] - (2 * count + 0.5 * ll - 0.25 * len))).toBeLessThan(1e-4);
    }
  });
});
