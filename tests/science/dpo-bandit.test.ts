// Science: short DPO-family runs on the bandit world must show the phenomena the presets teach, on both backends.

import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { parseConfig, type ExperimentInput } from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import type { MetricName, MetricRow } from '../../src/lab/metrics';
import { findPreset } from '../../src/lab/presets';
import { cpu, webgpu } from '../helpers/backends';

async function run(be: Backend, input: ExperimentInput): Promise<MetricRow[]> {
  const exp = Experiment.create(be, parseConfig(input));
  try {
    return await exp.runToEnd(undefined, 100);
  } finally {
    exp.dispose();
  }
}

const preset = (name: string): ExperimentInput => structuredClone(findPreset(name)!.config);
const periodRows = (rows: MetricRow[]) => rows.filter((r) => r['kl/optimal'] !== undefined);
const num = (r: MetricRow, k: MetricName) => r[k] as number;

const BACKENDS: [string, () => Promise<Backend>][] = [
  ['cpu', async () => cpu()],
  ['webgpu', webgpu],
];

describe.each(BACKENDS)('DPO on the bandit (%s)', (_, backend) => {
  // Each preset runs once per backend: two tests read the default preset's run.
  const runs = new Map<string, Promise<MetricRow[]>>();
  const ran = (name: string) => {
    if (!runs.has(name))
      runs.set(
        name,
        backend().then((be) => run(be, preset(name))),
      );
    return runs.get(name)!;
  };

  it('learns the preferences and approaches the closed-form optimum', async () => {
    const rows = await ran('dpo-bandit');
    const periods = periodRows(rows);
    const first = periods[0];
    const last = periods[periods.length - 1];
    expect(rows.length).toBe(400);
    // rewards/accuracies is a per-batch share: judge it over the last 50 steps.
    const accuracy = rows.slice(-50).reduce((s, r) => s + num(r, 'rewards/accuracies'), 0) / 50;
    expect(accuracy).toBeGreaterThan(0.9);
    expect(num(last, 'rewards/margins')).toBeGreaterThan(num(first, 'rewards/margins'));
    expect(num(last, 'kl/optimal')).toBeLessThan(num(first, 'kl/optimal') / 5);
  });

  it('stays near the reference when beta is large', async () => {
    const small = periodRows(await ran('dpo-bandit')).at(-1)!;
    const large = periodRows(await ran('dpo-large-beta')).at(-1)!;
    expect(num(large, 'kl/reference')).toBeLessThan(0.1);
    expect(num(large, 'kl/reference')).toBeLessThan(num(small, 'kl/reference') / 10);
  });

  it('with sparse offline coverage, chosen log-probs fall while margins grow', async () => {
    const rows = await ran('dpo-sparse-coverage');
    const first = rows[0];
    const last = rows.at(-1)!;
    expect(num(last, 'rewards/margins')).toBeGreaterThan(num(first, 'rewards/margins') + 1);
    expect(num(last, 'logps/chosen')).toBeLessThan(num(first, 'logps/chosen') - 0.5);
  });

  it('robust DPO beats plain DPO under 30% label noise', async () => {
    const plain = periodRows(await ran('dpo-label-noise')).at(-1)!;
    const robust = periodRows(await ran('rdpo-label-noise')).at(-1)!;
    expect(num(robust, 'kl/optimal')).toBeLessThan(num(plain, 'kl/optimal'));
  });
});

describe('reproducibility', () => {
  it('gives bit-identical metrics however the steps are batched (webgpu)', async () => {
    const be = await webgpu();
    const cfg = parseConfig({ ...preset('dpo-bandit'), stages: [{ kind: 'preference', steps: 60 }] });
    const a = Experiment.create(be, cfg);
    const rowsA = await a.runToEnd(undefined, 60);
    a.dispose();
    const b = Experiment.create(be, cfg);
    const rowsB: MetricRow[] = [];
    while (!b.finished) rowsB.push(...(await b.advance(7)));
    b.dispose();
    expect(rowsB).toEqual(rowsA);
  });

  it('agrees between the WebGPU and CPU backends', async () => {
    const cfg = parseConfig({ ...preset('dpo-bandit'), stages: [{ kind: 'preference', steps: 100 }] });
    const g = periodRows(await run(await webgpu(), cfg)).at(-1)!;
    const c = periodRows(await run(cpu(), cfg)).at(-1)!;
    for (const k of ['loss', 'rewards/margins', 'kl/reference', 'kl/optimal', 'entropy'] as const) {
      expect(Math.abs(num(g, k) - num(c, k))).toBeLessThan(1e-3 + 1e-3 * Math.abs(num(c, k)));
    }
  });
});
