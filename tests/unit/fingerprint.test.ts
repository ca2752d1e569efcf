// Links that check their own results: which steps and metrics a fingerprint takes, its versioned codec and its
// refusals, and the check of a run against it (bit for bit on the same device, within tolerance across devices).

import { describe, expect, it } from 'vitest';
import type { BackendInfo } from '../../src/engine/backend';
import { parseConfig } from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import {
  checkResults,
  decodeResults,
  deviceOf,
  distinctDigits,
  encodeLink,
  encodeResults,
  MAX_METRICS,
  pickFingerprint,
  REL_TOLERANCE,
  ResultsError,
  type Device,
  type Fingerprint,
} from '../../src/lab/fingerprint';
import { packJson, decodeConfig, encodeConfig, splitLink } from '../../src/lab/share';
import type { MetricRow } from '../../src/lab/metrics';
import { cpu } from '../helpers/backends';

const GPU: Device = { backend: 'webgpu', adapter: 'google · swiftshader (matmul register)' };
const OTHER: Device = { backend: 'webgpu', adapter: 'apple · metal-3 (matmul tiled)' };

const banditConfig = (seed: number, steps = 40) =>
  parseConfig({
    seed,
    world: { kind: 'bandit', prompts: 3, responses: 8, rewardScale: 4, pairs: 512 },
    stages: [{ kind: 'preference', steps, batch: 32, beta: 0.5, optimizer: { lr: 0.05 } }],
    metrics: { every: 10 },
  });

async function runRows(seed: number, steps = 40): Promise<MetricRow[]> {
  const exp = Experiment.create(cpu(), banditConfig(seed, steps));
  try {
    return await exp.runToEnd(undefined, 7);
  } finally {
    exp.dispose();
  }
}

/** A copy of a fingerprint with one value of one point replaced. */
function edited(fp: Fingerprint, point: number, value: (x: number) => number): Fingerprint {
  const copy = structuredClone(fp);
  const [name, x] = Object.entries(copy.points[point].values)[0];
  (copy.points[point].values as Record<string, number>)[name] = value(x);
  return copy;
}

describe('picking a fingerprint', () => {
  it('takes 4 logged steps spread over the run, the last among them, with up to 4 metrics each', async () => {
    const rows = await runRows(7);
    const fp = pickFingerprint(rows, GPU)!;
    expect(fp.device).toEqual(GPU);
    // The metric periods' rows (every 10 steps) carry the per-period metrics too: the fingerprint takes those.
    expect(fp.points.map((p) => [p.stage, p.step])).toEqual([
      ['dpo', 10],
      ['dpo', 20],
      ['dpo', 30],
      ['dpo', 40],
    ]);
    for (const p of fp.points) {
      const names = Object.keys(p.values);
      expect(names).toHaveLength(MAX_METRICS);
      // Continuous metrics, per step and per period in turn; shares (accuracies) only when nothing else is left.
      expect(names).toEqual(['loss', 'kl/reference', 'rewards/chosen', 'entropy']);
      const row = rows.find((r) => r.step === p.step)!;
      for (const n of names) expect(p.values[n as keyof typeof p.values]).toBe(Math.fround(row[n as 'loss']!));
    }
    // Deterministic: the same rows give the same fingerprint.
    expect(pickFingerprint(rows, GPU)).toEqual(fp);
  });

  it('takes every step when the run logged fewer, and nothing when it logged none', () => {
    const rows: MetricRow[] = [
      { stage: 'sft', step: 5, loss: 1.5 },
      { stage: 'sft', step: 10, loss: 1.25, entropy: 2 },
    ];
    const fp = pickFingerprint(rows, GPU)!;
    expect(fp.points).toEqual([{ stage: 'sft', step: 10, values: { loss: 1.25, entropy: 2 } }]);
    expect(pickFingerprint([], GPU)).toBeNull();
    expect(pickFingerprint([{ stage: 'sft', step: 1, loss: NaN }], GPU)).toBeNull();
  });
});

describe('the results codec', () => {
  it('round-trips float32 values exactly in a short, versioned part of the link', async () => {
    const fp = pickFingerprint(await runRows(7), GPU)!;
    const part = encodeResults(fp);
    expect(part).toMatch(/^r1\.[A-Za-z0-9_-]+$/);
    expect(part.length).toBeLessThan(400);
    expect(decodeResults(part)).toEqual(fp);

    const config = banditConfig(7);
    const link = encodeLink(encodeConfig(config), fp);
    expect(splitLink(link)).toEqual({ config: encodeConfig(config), results: part });
    expect(decodeConfig(link)).toEqual(config);
    expect(encodeLink(encodeConfig(config), null)).toBe(encodeConfig(config));
  });

  it.each([
    ['r1.', /holds no results/],
    ['r2.AAAA', /newer version of PrefLab \(results format r2\)/],
    ['r0.AAAA', /retired results format r0/],
    ['x1.AAAA', /not in any results format/],
    ['r1.AAAA$', /characters/],
    ['r1.' + packJson('[1,2]'), /not in the form PrefLab writes/],
    [
      'r1.' +
        packJson(
          JSON.stringify({
            v: 1,
            backend: 'cpu',
            adapter: 'x',
            points: [{ stage: 'dpo', step: 1, values: { 'made/up': 1 } }],
          }),
        ),
      /a metric this PrefLab does not log: made\/up/,
    ],
  ])('refuses damaged results %#', (part, message) => {
    expect(() => decodeResults(part)).toThrow(ResultsError);
    expect(() => decodeResults(part)).toThrow(message);
  });

  it('catches a changed character in the results, and the config still opens', async () => {
    const fp = pickFingerprint(await runRows(7), GPU)!;
    const config = banditConfig(7);
    const link = encodeLink(encodeConfig(config), fp);
    const at = link.length - 5;
    const damaged = link.slice(0, at) + (link[at] === 'A' ? 'B' : 'A') + link.slice(at + 1);
    expect(() => decodeResults(splitLink(damaged).results!)).toThrow(/a character was changed, lost or added/);
    expect(decodeConfig(damaged)).toEqual(config);
  });
});

describe('checking a run against a link', () => {
  it('a rerun on the same device reproduces bit for bit; another seed drifts at the first logged step', async () => {
    const fp = pickFingerprint(await runRows(7), GPU)!;
    expect(checkResults(fp, await runRows(7), GPU)).toEqual({ state: 'reproduced', worst: 0, exact: true });
    const other = checkResults(fp, await runRows(8), GPU);
    expect(other).toMatchObject({ state: 'drifted', stage: 'dpo', step: 10, metric: 'loss', exact: true });
  });

  it('waits for the steps not logged yet, and drifts at the first mismatch in run order', async () => {
    const rows = await runRows(7);
    const fp = pickFingerprint(rows, GPU)!;
    expect(checkResults(fp, [], GPU)).toEqual({ state: 'pending', checked: 0, total: 4, exact: true });
    expect(checkResults(fp, rows.slice(0, 25), GPU)).toEqual({ state: 'pending', checked: 2, total: 4, exact: true });
    // One float32 step (one ulp) off at the third logged step: on the same device that is a drift.
    const ulp = edited(fp, 2, (x) => Math.fround(x * (1 + 2 ** -23)));
    expect(checkResults(ulp, rows.slice(0, 25), GPU).state).toBe('pending');
    expect(checkResults(ulp, rows, GPU)).toMatchObject({ state: 'drifted', step: 30, metric: 'loss', exact: true });
  });

  it('across devices, holds values within the stated tolerance and reports the worst difference', async () => {
    const rows = await runRows(7);
    const fp = pickFingerprint(rows, OTHER)!;
    const near = edited(fp, 1, (x) => x * (1 + REL_TOLERANCE / 2));
    const r = checkResults(near, rows, GPU);
    expect(r.state).toBe('reproduced');
    if (r.state === 'reproduced') {
      expect(r.exact).toBe(false);
      expect(r.worst).toBeGreaterThan(REL_TOLERANCE / 4);
      expect(r.worst).toBeLessThanOrEqual(REL_TOLERANCE);
    }
    const far = edited(fp, 1, (x) => x * (1 + 3 * REL_TOLERANCE));
    expect(checkResults(far, rows, GPU)).toMatchObject({ state: 'drifted', step: 20, metric: 'loss', exact: false });
    // Near zero the floor holds: 1e-4 absolute passes, 1e-3 does not.
    const zero: Fingerprint = { device: OTHER, points: [{ stage: 'dpo', step: 1, values: { 'rewards/margins': 0 } }] };
    const at = (x: number): MetricRow[] => [{ stage: 'dpo', step: 1, 'rewards/margins': x }];
    expect(checkResults(zero, at(0.5e-4), GPU).state).toBe('reproduced');
    expect(checkResults(zero, at(1e-3), GPU).state).toBe('drifted');
  });

  it('a metric the run did not log, or logged as NaN, is a drift; so is a step the ended run never logged', () => {
    const fp: Fingerprint = { device: GPU, points: [{ stage: 'dpo', step: 10, values: { loss: 0.5 } }] };
    const early: MetricRow[] = [{ stage: 'dpo', step: 5, loss: 0.5 }];
    expect(checkResults(fp, early, GPU).state).toBe('pending');
    expect(checkResults(fp, early, GPU, true)).toEqual({
      state: 'drifted',
      stage: 'dpo',
      step: 10,
      metric: 'loss',
      actual: null,
      expected: 0.5,
      exact: true,
    });
    expect(checkResults(fp, [{ stage: 'dpo', step: 10 }], GPU)).toMatchObject({ state: 'drifted', actual: null });
    expect(checkResults(fp, [{ stage: 'dpo', step: 10, loss: NaN }], OTHER)).toMatchObject({
      state: 'drifted',
      actual: null,
      exact: false,
    });
  });

  it('names devices by backend, adapter and matmul kernel, and shows a drift with enough digits', () => {
    const info: BackendInfo = {
      kind: 'webgpu',
      vendor: 'google',
      architecture: 'swiftshader',
      description: '',
      limits: {},
      features: [],
      matmul: { variant: 'register', gflops: {}, source: 'autotune' },
    };
    expect(deviceOf(info)).toEqual({ backend: 'webgpu', adapter: 'google · swiftshader (matmul register)' });
    expect(deviceOf({ ...info, kind: 'cpu', description: 'CPU twins' })).toEqual({
      backend: 'cpu',
      adapter: 'CPU twins',
    });
    expect(distinctDigits(1.61, Math.fround(1.43))).toEqual(['1.61', '1.43']);
    const x = Math.fround(1.2345678);
    const next = Math.fround(x * (1 + 2 ** -23));
    const [a, e] = distinctDigits(next, x);
    expect(a).not.toBe(e);
  });
});
