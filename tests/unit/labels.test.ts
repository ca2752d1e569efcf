// The user's own bandit labels: agreement with the hidden reward and the flip rate it implies, the TRL JSONL codec,
// the pairs a person is asked to judge, the mix with the formula's pairs, the config checks, the share link, and a
// run trained on the labels moving the policy toward them.
import { describe, expect, it } from 'vitest';
import { MAX_USER_LABELS, pairCounts, parseConfig, type ExperimentInput } from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import {
  agreement,
  missingTriples,
  tableAgreement,
  trainingTriples,
  type Label,
  type Triple,
} from '../../src/lab/labels/label-set';
import { labelsToJsonl, parseLabelsJsonl } from '../../src/lab/labels/jsonl';
import { compareStrategies, labelsNeeded } from '../../src/lab/labels/active-sim';
import { implicitReward, judgeTables, PairDrawer } from '../../src/lab/labels/pair-draw';
import { decodeConfig, encodeConfig } from '../../src/lab/share';
import type { BanditSnapshot } from '../../src/lab/stage';
import { banditTables, makeBandit } from '../../src/lab/worlds/bandit';
import { cpu } from '../helpers/backends';

const label = (prompt: number, chosen: number, rejected: number, tie = false): Label => ({
  prompt,
  chosen,
  rejected,
  tie,
  source: 'reference',
  time: 1,
});

describe('agreement with the hidden reward', () => {
  // One prompt, rewards 0, 1, 3 for responses 0, 1, 2.
  const reward = [0, 1, 3];
  it('counts the labels whose chosen response has the higher reward', () => {
    const a = agreement(
      [
        [0, 2, 0],
        [0, 1, 0],
        [0, 0, 2],
        [0, 2, 1],
      ],
      reward,
      3,
    );
    expect(a.count).toBe(4);
    expect(a.share).toBe(0.75);
  });

  it('implies the flip rate that brings a Bradley-Terry labeller to the same agreement', () => {
    const pairs: Triple[] = [
      [0, 2, 0],
      [0, 0, 2],
    ];
    const a = agreement(pairs, reward, 3);
    const q = 1 / (1 + Math.exp(-3));
    expect(a.expected).toBeCloseTo(q, 12);
    // Agreement 1/2 on these pairs: (1 - e) q + e (1 - q) = 1/2 gives e = 1/2.
    expect(a.flipRate).toBeCloseTo(0.5, 12);
    // The formula's own labeller with flip rate e agrees (1 - e) q + e (1 - q) on average: e comes back.
    const e = 0.2;
    const share = (1 - e) * q + e * (1 - q);
    const implied = (q - share) / (2 * q - 1);
    expect(implied).toBeCloseTo(e, 12);
    // Labels that always follow the reward are at least as good as the formula: no flips.
    expect(agreement([[0, 2, 0]], reward, 3).flipRate).toBe(0);
  });

  it('says nothing for no labels or pairs of equal reward', () => {
    expect(agreement([], reward, 3)).toEqual({ count: 0, share: null, expected: null, flipRate: null });
    expect(agreement([[0, 1, 0]], [2, 2], 2).flipRate).toBeNull();
  });

  it('leaves ties out of training and measures a table against the labels', () => {
    const t = trainingTriples([label(0, 2, 0), label(0, 1, 2, true), label(0, 1, 0)]);
    expect(t).toEqual([
      [0, 2, 0],
      [0, 1, 0],
    ]);
    expect(tableAgreement(t, [0.2, 0.3, 0.5], 3)).toBe(1);
    expect(tableAgreement(t, [0.5, 0.3, 0.2], 3)).toBe(0);
    expect(tableAgreement([], [1], 1)).toBeNull();
  });

  it('finds the labels a run carries that this browser lacks, counting repeats', () => {
    const have: Triple[] = [
      [0, 1, 2],
      [1, 3, 0],
    ];
    expect(missingTriples(have, [[0, 1, 2]])).toEqual([]);
    expect(
      missingTriples(have, [
        [0, 1, 2],
        [0, 1, 2],
        [2, 0, 1],
      ]),
    ).toEqual([
      [0, 1, 2],
      [2, 0, 1],
    ]);
  });
});

describe('labels as JSONL in TRL preference format', () => {
  const world = { prompts: 4, responses: 12 };
  it('writes one record per label with a winner and reads them back', () => {
    const labels = [label(2, 7, 3), label(1, 0, 5, true), label(3, 11, 0)];
    const text = labelsToJsonl(labels);
    expect(text).toBe(
      '{"prompt":"prompt 2","chosen":"response 7","rejected":"response 3"}\n' +
        '{"prompt":"prompt 3","chosen":"response 11","rejected":"response 0"}\n',
    );
    const back = parseLabelsJsonl(text, world, 100);
    expect(back.errors).toEqual([]);
    expect(trainingTriples(back.labels)).toEqual(trainingTriples(labels));
    expect(back.labels.every((l) => l.source === 'import')).toBe(true);
  });

  it('reads the conversational form too', () => {
    const line = JSON.stringify({
      prompt: [{ role: 'user', content: 'prompt 1' }],
      chosen: [{ role: 'assistant', content: 'response 4' }],
      rejected: [{ role: 'assistant', content: 'response 9' }],
    });
    expect(trainingTriples(parseLabelsJsonl(line, world, 0).labels)).toEqual([[1, 4, 9]]);
  });

  it('names each bad line by number and keeps every good one', () => {
    const text = [
      '{"prompt":"prompt 0","chosen":"response 1","rejected":"response 2"}',
      'not json',
      '{"prompt":"prompt 9","chosen":"response 1","rejected":"response 2"}',
      '',
      '{"prompt":"prompt 1","chosen":"the long one","rejected":"response 2"}',
      '{"prompt":"prompt 1","chosen":"response 3","rejected":"response 3"}',
      '{"prompt":"prompt 1","chosen":"response 30","rejected":"response 3"}',
      '[1, 2, 3]',
      '{"prompt":"prompt 3","rejected":"response 2"}',
      '{"prompt":"prompt 3","chosen":"response 5","rejected":"response 2"}',
    ].join('\r\n');
    const read = parseLabelsJsonl(text, world, 0);
    expect(trainingTriples(read.labels)).toEqual([
      [0, 1, 2],
      [3, 5, 2],
    ]);
    expect(read.errors).toEqual([
      'line 2: not a JSON object',
      'line 3: prompt 9 is not one of the 4 prompts of this bandit',
      'line 5: "chosen" should read "response N" (got "the long one")',
      'line 6: "chosen" and "rejected" are the same response (3)',
      'line 7: response 30 is not one of the 12 responses of this bandit',
      'line 8: not a JSON object',
      'line 9: "chosen" is missing or not text',
    ]);
  });
});

describe('pairs to judge', () => {
  it('draws two different responses of one prompt from the given policy, with hints of their reward', () => {
    const P = 3;
    const K = 5;
    // Prompt rows that put all mass on responses 1 and 3: every pair is {1, 3}.
    const probs = new Float64Array(P * K);
    for (let x = 0; x < P; x++) probs[x * K + 1] = probs[x * K + 3] = 0.5;
    const reward = Float64Array.from({ length: P * K }, (_, i) => i);
    const drawer = new PairDrawer(11);
    const prompts = new Set<number>();
    for (let n = 0; n < 200; n++) {
      const p = drawer.draw({ P, K, probs, reward, rewardScale: 1 }, 'policy', 'exact');
      prompts.add(p.prompt);
      expect([p.left, p.right].sort()).toEqual([1, 3]);
      expect(p.leftHint).toBe(reward[p.prompt * K + p.left]);
      expect(p.rightHint).toBe(reward[p.prompt * K + p.right]);
    }
    expect(prompts.size).toBe(P);
    const hidden = drawer.draw({ P, K, probs, reward, rewardScale: 1 }, 'reference', 'none');
    expect(hidden.leftHint).toBeNull();
    const noisy = drawer.draw({ P, K, probs, reward, rewardScale: 1 }, 'reference', 'noisy');
    expect(noisy.leftHint).not.toBe(reward[noisy.prompt * K + noisy.left]);
  });

  it('falls back to uniform where a row has one response or no usable mass', () => {
    const K = 4;
    const drawer = new PairDrawer(3);
    for (const row of [
      [0, 0, 1, 0],
      [NaN, NaN, NaN, NaN],
    ]) {
      for (let n = 0; n < 50; n++) {
        const p = drawer.draw({ P: 1, K, probs: row, reward: [0, 0, 0, 0], rewardScale: 1 }, 'policy', 'exact');
        expect(p.left).not.toBe(p.right);
        expect(p.right).toBeGreaterThanOrEqual(0);
        expect(p.right).toBeLessThan(K);
      }
    }
  });
});

const bandit = (world: Record<string, unknown>, steps = 200): ExperimentInput => ({
  seed: 5,
  world: { kind: 'bandit', prompts: 3, responses: 6, rewardScale: 3, pairs: 300, ...world },
  stages: [{ kind: 'preference', steps, batch: 32, beta: 0.5, optimizer: { lr: 0.05 } }],
  metrics: { every: 50 },
});

describe('the mix of the user labels and the formula pairs', () => {
  it('repeats each label equally often and fills the share left with formula pairs', () => {
    const labels: Triple[] = Array.from({ length: 30 }, (_, i) => [i % 3, 0, 1 + (i % 5)]);
    expect(pairCounts({ pairs: 300, labels: [] })).toEqual({ formula: 300, user: 0 });
    expect(pairCounts({ pairs: 300, labels, userShare: 0 })).toEqual({ formula: 300, user: 0 });
    expect(pairCounts({ pairs: 300, labels })).toEqual({ formula: 0, user: 300 });
    expect(pairCounts({ pairs: 300, labels, userShare: 0.25 })).toEqual({ formula: 270, user: 90 });
    const w = parseConfig(bandit({ labels, userShare: 0.25 })).world;
    if (w.kind !== 'bandit') throw new Error('a bandit');
    const d = makeBandit(w, 5);
    expect(d.prompt.length).toBe(360);
    const copies = new Map<string, number>();
    for (let n = 270; n < 360; n++) {
      const key = `${d.prompt[n]},${d.chosen[n]},${d.rejected[n]}`;
      copies.set(key, (copies.get(key) ?? 0) + 1);
    }
    // 30 labels of 15 distinct triples, each given twice: 6 copies of each.
    expect([...copies.values()].every((c) => c === 6)).toBe(true);
    // The formula's pairs are the same pairs it draws without labels, less the ones the mix leaves out.
    const plain = parseConfig(bandit({})).world;
    if (plain.kind !== 'bandit') throw new Error('a bandit');
    const alone = makeBandit(plain, 5);
    expect(Array.from(d.chosen.subarray(0, 270))).toEqual(Array.from(alone.chosen.subarray(0, 270)));
    // The tables a person judges from are the run's own.
    const tables = banditTables(w, 5);
    expect(Array.from(tables.reward)).toEqual(Array.from(d.reward));
  });
});

describe('the user labels in the config', () => {
  it('names a label that does not fit the world', () => {
    const bad = () =>
      parseConfig(
        bandit({
          labels: [
            [0, 1, 2],
            [3, 1, 2],
            [1, 6, 2],
            [1, 2, 2],
          ],
        }),
      );
    expect(bad).toThrow(/world\.labels\.1: prompt 3 is not one of the 3 prompts/);
    expect(bad).toThrow(/world\.labels\.2: response 6 is not one of the 6 responses/);
    expect(bad).toThrow(/world\.labels\.3: a label compares two different responses/);
    expect(() => parseConfig(bandit({ labels: [[0, 1, 2]], userShare: 1.5 }))).toThrow(/userShare/);
  });

  it('travels in the share link, at the most labels a run carries', () => {
    const world = { prompts: 1024, responses: 4096, pairs: 1024 };
    let s = 1;
    const next = (n: number) => ((s = (s * 16807) % 2147483647), s % n);
    const labels: Triple[] = Array.from({ length: MAX_USER_LABELS }, () => {
      const c = next(4096);
      return [next(1024), c, (c + 1 + next(4095)) % 4096];
    });
    const cfg = parseConfig(bandit({ ...world, labels }));
    const link = encodeConfig(cfg);
    expect(link.length).toBeLessThan(32 * 1024);
    expect(decodeConfig(link)).toEqual(cfg);
  });
});

describe('a run trained on the user labels', () => {
  it('moves the policy toward the labelled side (cpu)', async () => {
    // A rule of one's own: the lower response id is better, whatever the hidden reward.
    const labels: Triple[] = [];
    for (let x = 0; x < 3; x++) for (let a = 0; a < 6; a++) for (let b = a + 1; b < 6; b++) labels.push([x, a, b]);
    const exp = Experiment.create(cpu(), parseConfig(bandit({ labels })));
    const start = (await exp.snapshot()) as BanditSnapshot;
    const rows = await exp.runToEnd(undefined, 50);
    const end = (await exp.snapshot()) as BanditSnapshot;
    const last = rows[rows.length - 1];
    expect(last['rewards/margins']).toBeGreaterThan(0);
    expect(last['rewards/accuracies']).toBeGreaterThan(0.9);
    expect(last['ranking/accuracy']).toBeGreaterThan(0.9);
    for (let x = 0; x < 3; x++) {
      expect(end.policy[x * 6]).toBeGreaterThan(start.policy[x * 6]);
      expect(end.policy[x * 6 + 5]).toBeLessThan(start.policy[x * 6 + 5]);
    }
    expect(tableAgreement(labels, end.policy, 6)!).toBeGreaterThan(tableAgreement(labels, start.reference, 6)! + 0.2);
  });

  it('pulls the policy away from the hidden reward as the share of contrary labels grows (cpu)', async () => {
    // Labels that always pick the lower hidden reward, mixed with the formula's at shares of 0, 1/4 and 1.
    const w = parseConfig(bandit({})).world;
    if (w.kind !== 'bandit') throw new Error('a bandit');
    const { reward } = banditTables(w, 5);
    const labels: Triple[] = [];
    for (let x = 0; x < 3; x++)
      for (let a = 0; a < 6; a++)
        for (let b = a + 1; b < 6; b++) labels.push(reward[x * 6 + a] < reward[x * 6 + b] ? [x, a, b] : [x, b, a]);
    const klToOptimum = async (userShare: number) => {
      const exp = Experiment.create(cpu(), parseConfig(bandit({ labels, userShare })));
      const rows = await exp.runToEnd(undefined, 50);
      return rows[rows.length - 1]['kl/optimal']!;
    };
    const none = await klToOptimum(0);
    const quarter = await klToOptimum(0.25);
    const all = await klToOptimum(1);
    expect(quarter).toBeGreaterThan(none);
    expect(all).toBeGreaterThan(quarter);
  });
});

describe('which pair to ask next', () => {
  const w = parseConfig(bandit({})).world;
  if (w.kind !== 'bandit') throw new Error('a bandit');
  const t = judgeTables(w, 5);

  it('asks actively the reference pair whose implicit rewards are closest', () => {
    // An implicit reward that is sure of everything but responses 2 and 4 of every prompt.
    const implicit = Float64Array.from({ length: t.P * t.K }, (_, i) => 10 * (i % t.K));
    for (let x = 0; x < t.P; x++) implicit[x * t.K + 4] = implicit[x * t.K + 2] + 0.01;
    const drawer = new PairDrawer(9);
    let both = 0;
    for (let n = 0; n < 50; n++) {
      const p = drawer.draw({ ...t, probs: t.reference, implicit }, 'active', 'exact');
      const gap = Math.abs(implicit[p.prompt * t.K + p.left] - implicit[p.prompt * t.K + p.right]);
      // The closest of its candidates: never a gap of 20 or more when a gap of 10 or less is among them.
      expect(gap).toBeLessThanOrEqual(10);
      if ([p.left, p.right].sort().join() === '2,4') both++;
    }
    expect(both).toBeGreaterThan(10);
    // The implicit reward of a policy is its log-ratio to the reference.
    expect(Array.from(implicitReward([0.5, 0.25], [0.25, 0.5]))).toEqual([Math.log(2), -Math.log(2)]);
  });

  it('needs fewer labels actively than at random for the same accuracy, for a labeller who follows the reward', () => {
    const c = compareStrategies(t, { labels: 60, repeats: 6, seed: 1 });
    expect(c.random.length).toBe(60);
    for (const curve of [c.random, c.active]) {
      expect(curve[0]).toBeGreaterThanOrEqual(0.5);
      expect(curve[59]).toBeGreaterThan(curve[0]);
      expect(Math.max(...curve)).toBeLessThanOrEqual(1);
    }
    const at80 = c.needed.find((n) => n.target === 0.8)!;
    expect(at80.active).not.toBeNull();
    expect(at80.active!).toBeLessThan(at80.random ?? Infinity);
    expect(labelsNeeded([0.5, 0.7, 0.9], 0.7)).toBe(2);
    expect(labelsNeeded([0.5], 0.7)).toBeNull();
    expect(compareStrategies(t, { labels: 60, repeats: 6, seed: 1 }).active).toEqual(c.active);
  });

  it('refuses a bandit too large to refit after every label', () => {
    const big = { P: 16, K: 128, reward: new Float64Array(16 * 128), reference: new Float64Array(16 * 128) };
    expect(() => compareStrategies(big, { labels: 2, repeats: 1, seed: 1 })).toThrow(/at most 1024 responses/);
  });
});
