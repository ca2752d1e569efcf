// A text world with a transformer model: the config checks it needs (context over the window, width over heads, the
// memory budget), and a run of SFT then DPO on the world's pairs giving the same metrics on WebGPU and the CPU twins.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { ConfigError, parseConfig, type ExperimentInput } from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import { isMetricName, type MetricRow } from '../../src/lab/metrics';
import type { TextSnapshot } from '../../src/lab/stage';
import { HARBOR_PAIRS } from '../../src/lab/worlds/text-corpus';
import { cpu, webgpu } from '../helpers/backends';

const tf = { kind: 'transformer', layers: 2, heads: 2, width: 16, context: 16 } as const;

const input = (model: object = tf, world: object = {}): ExperimentInput =>
  ({
    seed: 3,
    world: { kind: 'text', level: 'char', window: 16, evalWindows: 4, samples: 2, sampleLength: 24, ...world },
    models: { lm: model },
    stages: [{ kind: 'sft', name: 'sft', model: 'lm', steps: 6, batch: 4, optimizer: { lr: 0.01 } }],
    metrics: { every: 3 },
  }) as ExperimentInput;

const problems = (cfg: ExperimentInput): string[] => {
  try {
    parseConfig(cfg);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('text world config with a transformer', () => {
  it('accepts a transformer whose context covers the window', () => {
    expect(problems(input())).toEqual([]);
  });

  it('names a context shorter than the window, a width that the heads do not divide', () => {
    expect(problems(input({ ...tf, context: 15 }))).toEqual([
      "models.lm.context: must be at least the world's window of 16 (got 15)",
    ]);
    expect(problems(input({ ...tf, width: 18, heads: 4 }))).toEqual([
      'models.lm.width: must be a multiple of the 4 heads (got 18)',
    ]);
  });

  it('names a transformer whose activations over the windows do not fit the memory budget', () => {
    const big = { kind: 'transformer', layers: 8, heads: 8, width: 512, context: 256 };
    const cfg = input(big, { window: 256 });
    (cfg.stages[0] as { batch: number }).batch = 64;
    const p = problems(cfg);
    expect(p.some((m) => /^models\.lm: this transformer would need \d+ MiB/.test(m))).toBe(true);
  });
});

async function train(be: Backend, cfg: ExperimentInput): Promise<{ rows: MetricRow[]; snapshot: TextSnapshot }> {
  const exp = Experiment.create(be, parseConfig(cfg));
  try {
    const rows = await exp.runToEnd(undefined, 100);
    return { rows, snapshot: (await exp.snapshot()) as TextSnapshot };
  } finally {
    exp.dispose();
  }
}

describe('a text run with a transformer', () => {
  const both: ExperimentInput = {
    ...input(tf, { pairs: HARBOR_PAIRS, window: 48, sampleLength: 60 }),
    models: { lm: { ...tf, context: 48 } },
    stages: [
      { kind: 'sft', name: 'sft', model: 'lm', steps: 6, batch: 4, optimizer: { lr: 0.01 } },
      { kind: 'preference', name: 'dpo', model: 'lm', steps: 6, batch: 4, beta: 0.1, optimizer: { lr: 0.01 } },
    ],
  } as ExperimentInput;

  it('trains SFT then DPO with the same metrics at every step on WebGPU and the CPU twins', async () => {
    const g = await train(await webgpu(), both);
    const c = await train(cpu(), both);
    expect(g.rows.map((r) => [r.stage, r.step])).toEqual(c.rows.map((r) => [r.stage, r.step]));
    expect(c.rows).toHaveLength(12);
    c.rows.forEach((b, i) => {
      const a = g.rows[i];
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      for (const k of Object.keys(b)) {
        if (k === 'stage' || k === 'step') continue;
        if (!isMetricName(k)) throw new Error(`${k} is not in the metric registry`);
        const x = b[k] as number;
        expect(Number.isFinite(x), `${b.stage} ${b.step} ${k}`).toBe(true);
        expect(Math.abs((a[k] as number) - x), `${b.stage} ${b.step} ${k}: webgpu ${a[k]} cpu ${x}`).toBeLessThan(
          2e-3 + 2e-3 * Math.abs(x),
        );
      }
    });
    // SFT lowers the loss; the first DPO step has the policy equal to its reference: loss log 2.
    const sft = c.rows.filter((r) => r.stage === 'sft');
    expect(sft.at(-1)!.loss!).toBeLessThan(sft[0].loss!);
    expect(c.rows.find((r) => r.stage === 'dpo')!.loss).toBeCloseTo(Math.log(2), 4);
    expect(c.rows.at(-1)!['nll/model']).toBeDefined();
    // Samples run past the window: 60 characters each, drawn from the transformer on both backends.
    for (const s of [g.snapshot, c.snapshot]) {
      expect(s.model).toBe('lm');
      expect(s.samples.map((t) => [...t].length)).toEqual([60, 60]);
      expect(s.probs.map((p) => p.length)).toEqual([60, 60]);
    }
  }, 300_000);
});
