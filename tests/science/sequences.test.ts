// Science: short runs on the sequences world must show what the presets teach (distillation divergences, the
// teacher -> student pipeline, length gaming under DPO), on both backends, and the backends must agree.

import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { parseConfig, type ExperimentInput } from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import { isMetricName, type MetricName, type MetricRow } from '../../src/lab/metrics';
import { cpu, webgpu } from '../helpers/backends';

async function run(be: Backend, input: ExperimentInput): Promise<MetricRow[]> {
  const exp = Experiment.create(be, parseConfig(input));
  try {
    return await exp.runToEnd(undefined, 100);
  } finally {
    exp.dispose();
  }
}

const num = (r: MetricRow, k: MetricName) => r[k] as number;
/** The rows of a stage that carry period metrics (evaluations), in order. */
const evals = (rows: MetricRow[], stage: string) =>
  rows.filter((r) => r.stage === stage && r['nll/oracle'] !== undefined);
const lastOf = (rows: MetricRow[], stage: string) => rows.filter((r) => r.stage === stage).at(-1)!;

const BACKENDS: [string, () => Promise<Backend>][] = [
  ['cpu', async () => cpu()],
  ['webgpu', webgpu],
];

/** An order-2 language with three likely successors per state: a context-1 student cannot represent it. */
const multimodal = {
  kind: 'sequences',
  vocab: 12,
  length: 8,
  order: 2,
  successors: 3,
  spread: 0.5,
  heldout: 64,
} as const;

const teacher = { kind: 'token-mlp', context: 2, embed: 8, width: 32, depth: 1 } as const;
const sft = { kind: 'sft', steps: 200, batch: 16, optimizer: { lr: 0.03 } } as const;

describe.each(BACKENDS)('distillation on sequences (%s)', (_, backend) => {
  it('forward KL keeps more teacher modes (higher entropy, lower NLL) than reverse KL in a small student', async () => {
    // One run: a teacher, then two identical low-capacity students, one per divergence.
    const small = { kind: 'token-mlp', context: 1, embed: 8, width: 16, depth: 0 } as const;
    const distill = { kind: 'distill', teacher: 'teacher', steps: 150, batch: 16, optimizer: { lr: 0.03 } } as const;
    const rows = await run(await backend(), {
      seed: 1,
      world: multimodal,
      models: { teacher, fwd: small, rev: small },
      stages: [
        sft,
        { ...distill, name: 'fkl', model: 'fwd', divergence: 'forward_kl' },
        { ...distill, name: 'rkl', model: 'rev', divergence: 'reverse_kl' },
      ],
      metrics: { every: 50 },
    });
    const t = lastOf(rows, 'sft');
    const f = lastOf(rows, 'fkl');
    const r = lastOf(rows, 'rkl');
    // The teacher learned the language (uniform would be ln 12 = 2.48 nats per token).
    expect(num(t, 'nll/model')).toBeLessThan(Math.log(12) - 0.7);
    // Mode-covering vs mode-seeking: the forward-KL student spreads over the teacher's modes.
    expect(num(f, 'entropy')).toBeGreaterThan(num(r, 'entropy') + 0.1);
    expect(num(f, 'nll/model')).toBeLessThan(num(r, 'nll/model') - 0.05);
    // Neither student can match the order-2 teacher with one token of context.
    expect(num(f, 'nll/model')).toBeGreaterThan(num(f, 'nll/teacher') + 0.3);
  });

  it('teacher -> student: the student NLL on held-out oracle samples approaches the teacher NLL', async () => {
    const rows = await run(await backend(), {
      seed: 1,
      world: { ...multimodal, vocab: 8, successors: 2 },
      models: { teacher, student: { kind: 'token-mlp', context: 2, embed: 8, width: 16, depth: 1 } },
      stages: [sft, { kind: 'distill', steps: 200, batch: 16, optimizer: { lr: 0.03 } }],
      metrics: { every: 25 },
    });
    const d = evals(rows, 'distill');
    const gap = (r: MetricRow) => num(r, 'nll/model') - num(r, 'nll/teacher');
    expect(num(d[0], 'nll/teacher')).toBeLessThan(Math.log(8) - 0.8);
    expect(gap(d.at(-1)!)).toBeLessThan(0.1);
    expect(gap(d.at(-1)!)).toBeLessThan(0.3 * gap(d[0]));
    expect(num(d.at(-1)!, 'kd/agreement')).toBeGreaterThan(0.9);
  });
});

describe.each(BACKENDS)('DPO on sequences (%s)', (_, backend) => {
  it('games a length term of the hidden reward: samples get longer', async () => {
    const rows = await run(await backend(), {
      seed: 1,
      world: { ...multimodal, stop: 0.25, reward: { target: 3, count: 1, length: 0.5 } },
      models: { policy: teacher },
      stages: [
        { ...sft, model: 'policy', steps: 150 },
        { kind: 'preference', model: 'policy', steps: 100, batch: 16, beta: 0.1, pairs: 256, optimizer: { lr: 0.005 } },
      ],
      metrics: { every: 50 },
    });
    const before = lastOf(rows, 'sft');
    const after = lastOf(rows, 'dpo');
    expect(num(after, 'rewards/margins')).toBeGreaterThan(0);
    expect(num(after, 'samples/length')).toBeGreaterThan(num(before, 'samples/length') + 1.5);
    expect(num(after, 'reward/true')).toBeGreaterThan(num(before, 'reward/true'));
    expect(num(after, 'kl/reference')).toBeGreaterThan(0.5);
  });
});

describe('sequences: reproducibility', () => {
  /** Every stage kind, with sampling inside the step (on-policy distillation, online DPO) and EOS. */
  const everything: ExperimentInput = {
    seed: 7,
    world: {
      ...multimodal,
      vocab: 10,
      stop: 0.15,
      heldout: 32,
      samples: 256,
      reward: { target: 2, count: 1, likelihood: 0.2 },
    },
    models: {
      teacher,
      student: { kind: 'token-mlp', context: 1, embed: 8, width: 16, depth: 1, activation: 'tanh' },
      rm: { ...teacher, context: 2, width: 16 },
    },
    stages: [
      { ...sft, steps: 40 },
      { kind: 'distill', steps: 30, batch: 8, data: 'on_policy', divergence: 'jsd', beta: 0.3, temperature: 2 },
      { kind: 'reward_model', steps: 20, batch: 8, pairs: 64 },
      { kind: 'preference', model: 'student', data: 'online', lossType: 'ipo', steps: 20, batch: 8, beta: 0.5 },
    ],
    metrics: { every: 10 },
  };

  // The backends' logits differ by float rounding (~1e-6), so a categorical draw flips only when its uniform lands
  // that close to a CDF boundary: short runs agree to ~1e-6; over ~1e5 draws a flip becomes likely and the runs
  // then part like two seeds (equal in distribution, not in value).
  it('WebGPU and CPU agree on every final metric of every stage (within 2e-3 + 2e-3 |x|)', async () => {
    const g = await run(await webgpu(), everything);
    const c = await run(cpu(), everything);
    expect(g.length).toBe(c.length);
    for (const stage of ['sft', 'distill', 'rm', 'dpo']) {
      const a = lastOf(g, stage);
      const b = lastOf(c, stage);
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      for (const k of Object.keys(b)) {
        if (k === 'stage' || k === 'step') continue;
        if (!isMetricName(k)) throw new Error(`${stage} logged ${k}, which is not in the metric registry`);
        const x = num(b, k);
        expect(Number.isFinite(x), `${stage} ${k}`).toBe(true);
        expect(Math.abs(num(a, k) - x), `${stage} ${k}: webgpu ${num(a, k)} cpu ${x}`).toBeLessThan(
          2e-3 + 2e-3 * Math.abs(x),
        );
      }
    }
  });

  it('gives bit-identical metrics however the steps are batched (webgpu)', async () => {
    const be = await webgpu();
    const cfg = parseConfig({
      ...everything,
      stages: [
        { ...sft, steps: 12 },
        { kind: 'preference', model: 'teacher', data: 'online', steps: 12, batch: 4 },
      ],
    });
    const a = Experiment.create(be, cfg);
    const rowsA = await a.runToEnd(undefined, 100);
    a.dispose();
    const b = Experiment.create(be, cfg);
    const rowsB: MetricRow[] = [];
    while (!b.finished) rowsB.push(...(await b.advance(7)));
    b.dispose();
    expect(rowsB).toEqual(rowsA);
  });
});
