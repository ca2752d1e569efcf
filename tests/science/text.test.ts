// Science: a character-level model trained briefly on the built-in corpus must predict its held-out part far better
// than chance and better than the best bigram model of the text, and sample text made of the corpus's characters;
// a small transformer does so too, attending to its whole window; at byte level, bits per character count
// characters, not bytes. The preset's world at test size, on the CPU twins.
import { describe, expect, it } from 'vitest';
import { parseConfig, type ExperimentInput } from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import type { MetricRow } from '../../src/lab/metrics';
import { findPreset } from '../../src/lab/presets';
import type { TextSnapshot } from '../../src/lab/stage';
import { makeText } from '../../src/lab/worlds/text';
import { cpu } from '../helpers/backends';

async function train(input: ExperimentInput): Promise<{ rows: MetricRow[]; snapshot: TextSnapshot }> {
  const exp = Experiment.create(cpu(), parseConfig(input));
  try {
    const rows = await exp.runToEnd(undefined, 100);
    return { rows, snapshot: (await exp.snapshot()) as TextSnapshot };
  } finally {
    exp.dispose();
  }
}

/** Conditional entropy H(next | previous) of a token sequence, in nats: the training NLL of its best bigram model. */
function bigramEntropy(ids: Int32Array, V: number): number {
  const counts = new Float64Array(V * V);
  const rows = new Float64Array(V);
  for (let i = 1; i < ids.length; i++) {
    counts[ids[i - 1] * V + ids[i]]++;
    rows[ids[i - 1]]++;
  }
  let h = 0;
  for (let a = 0; a < V; a++)
    for (let b = 0; b < V; b++) {
      const c = counts[a * V + b];
      if (c > 0) h -= c * Math.log(c / rows[a]);
    }
  return h / (ids.length - 1);
}

describe('text-sft-charlevel at test size', () => {
  it('held-out NLL falls far below log V and below the bigram entropy; samples use the corpus characters', async () => {
    const preset = findPreset('text-sft-charlevel')!.config;
    const input = {
      ...preset,
      models: { lm: { kind: 'token-mlp', context: 4, embed: 12, width: 64, depth: 1 } },
      stages: [{ kind: 'sft', name: 'sft', model: 'lm', steps: 120, batch: 16, optimizer: { lr: 0.01 } }],
      metrics: { every: 40 },
    } as ExperimentInput;
    const data = makeText(parseConfig(input).world as never);
    const logV = Math.log(data.V);
    // The best bigram model of the training text, scored on that same text: optimistic for a bigram model.
    const bigram = bigramEntropy(data.train, data.V);
    expect(bigram).toBeLessThan(0.6 * logV);

    const { rows, snapshot } = await train(input);
    const evals = rows.filter((r) => r['nll/model'] !== undefined);
    expect(evals.map((r) => r.step)).toEqual([40, 80, 120]);
    const last = evals.at(-1)!;
    const nll = last['nll/model']!;
    expect(nll).toBeLessThan(bigram - 0.15);
    expect(nll).toBeLessThan(0.5 * logV);
    // Character level: one token per character, so bits per character is the NLL in bits.
    expect(last.bits_per_char).toBeCloseTo(nll / Math.LN2, 5);
    expect(last.loss).toBeLessThan(evals[0].loss!);

    const chars = new Set(data.vocab.chars);
    expect(snapshot.samples).toHaveLength(3);
    for (const s of snapshot.samples) {
      expect([...s]).toHaveLength(120);
      for (const c of s) expect(chars.has(c)).toBe(true);
    }
    // A model at this NLL writes the corpus's most common word.
    expect(snapshot.samples.join(' ')).toMatch(/the/);
    // The strip: one probability per character, and the model finds its own characters far likelier than 1 / V.
    const probs = snapshot.probs.flatMap((p) => Array.from(p));
    expect(snapshot.probs.map((p) => p.length)).toEqual([120, 120, 120]);
    for (const p of probs) expect(p).toBeGreaterThan(0);
    expect(probs.reduce((a, b) => a + b) / probs.length).toBeGreaterThan(5 / data.V);
  }, 120_000);

  it('at byte level, bits per character divide the held-out NLL by the characters, not the bytes', async () => {
    const own = 'Ein Käfer läuft über die Straße, und die Sonne scheint. '.repeat(12);
    const input = {
      seed: 2,
      world: { kind: 'text', corpus: 'custom', text: own, level: 'byte', window: 16, samples: 2, sampleLength: 24 },
      models: { lm: { kind: 'token-mlp', context: 3, embed: 8, width: 32, depth: 1 } },
      stages: [{ kind: 'sft', model: 'lm', steps: 60, batch: 8, optimizer: { lr: 0.01 } }],
      metrics: { every: 30 },
    } as ExperimentInput;
    const data = makeText(parseConfig(input).world as never);
    expect(data.V).toBe(256);
    expect(data.heldChars).toBeLessThan(data.H * data.T);
    const { rows, snapshot } = await train(input);
    const last = rows.at(-1)!;
    const nll = last['nll/model']!;
    expect(last.bits_per_char).toBeCloseTo((nll * data.H * data.T) / data.heldChars / Math.LN2, 4);
    expect(nll).toBeLessThan(0.5 * Math.log(256));
    // Each sample is 24 bytes decoded: at most 24 characters, cut characters shown as U+FFFD, a probability each.
    snapshot.samples.forEach((s, i) => {
      expect([...s].length).toBeLessThanOrEqual(24);
      expect(snapshot.probs[i].length).toBe([...s].length);
    });
  }, 120_000);
});

describe('text-sft-transformer at test size', () => {
  it('a one-block transformer beats the bigram entropy on held-out text and samples past its window', async () => {
    const preset = findPreset('text-sft-transformer')!.config as ExperimentInput & { world: object };
    const input = {
      ...preset,
      world: { ...preset.world, evalWindows: 16 },
      models: { lm: { kind: 'transformer', layers: 1, heads: 4, width: 32, context: 32 } },
      stages: [{ kind: 'sft', name: 'sft', model: 'lm', steps: 300, batch: 16, optimizer: { lr: 0.01 } }],
      metrics: { every: 100 },
    } as ExperimentInput;
    const data = makeText(parseConfig(input).world as never);
    const bigram = bigramEntropy(data.train, data.V);

    const { rows, snapshot } = await train(input);
    const evals = rows.filter((r) => r['nll/model'] !== undefined);
    expect(evals.map((r) => r.step)).toEqual([100, 200, 300]);
    const last = evals.at(-1)!;
    const nll = last['nll/model']!;
    // Attending to the whole window, it uses more than the previous character.
    expect(nll).toBeLessThan(bigram - 0.15);
    expect(nll).toBeLessThan(evals[0]['nll/model']!);
    expect(last.bits_per_char).toBeCloseTo(nll / Math.LN2, 5);

    // 120 characters from a window of 32: past it, each is drawn after the last 31.
    const chars = new Set(data.vocab.chars);
    for (const s of snapshot.samples) {
      expect([...s]).toHaveLength(120);
      for (const c of s) expect(chars.has(c)).toBe(true);
    }
    expect(snapshot.samples.join(' ')).toMatch(/the/);
  }, 120_000);
});

describe('text-dpo-pairs at test size', () => {
  it('DPO on the built-in pairs: loss log 2 at the start, margins grow, the rejected endings lose probability', async () => {
    const preset = findPreset('text-dpo-pairs')!.config as { world: object };
    const input = {
      ...preset,
      models: { lm: { kind: 'token-mlp', context: 4, embed: 12, width: 64, depth: 1 } },
      stages: [
        { kind: 'sft', name: 'sft', model: 'lm', steps: 60, batch: 16, optimizer: { lr: 0.01 } },
        { kind: 'preference', name: 'dpo', model: 'lm', steps: 40, batch: 16, beta: 0.1, optimizer: { lr: 0.001 } },
      ],
      metrics: { every: 20 },
    } as ExperimentInput;
    const { rows, snapshot } = await train(input);
    const dpo = rows.filter((r) => r.stage === 'dpo');
    expect(dpo).toHaveLength(40);
    // The policy is its reference at the first step: every margin is 0 and the sigmoid loss is log 2.
    expect(dpo[0].loss).toBeCloseTo(Math.LN2, 5);
    expect(dpo[0]['rewards/margins']).toBeCloseTo(0, 5);
    const tail = dpo.slice(-10);
    const mean = (k: 'rewards/margins' | 'rewards/accuracies' | 'logps/chosen' | 'logps/rejected' | 'loss') =>
      tail.reduce((a, r) => a + r[k]!, 0) / tail.length;
    expect(mean('rewards/margins')).toBeGreaterThan(1);
    expect(mean('rewards/accuracies')).toBeGreaterThan(0.9);
    expect(mean('loss')).toBeLessThan(0.35);
    // The batches differ, so compare the mean log-prob change of each side: the rejected side falls further.
    const start = dpo.slice(0, 5);
    const drop = (k: 'logps/chosen' | 'logps/rejected') =>
      start.reduce((a, r) => a + r[k]!, 0) / start.length - mean(k);
    expect(drop('logps/rejected')).toBeGreaterThan(drop('logps/chosen') + 5);
    // The language model is still evaluated on the held-out tales, and still writes.
    expect(dpo.at(-1)!['nll/model']).toBeGreaterThan(0);
    expect(snapshot.stage).toBe('dpo');
    expect(snapshot.samples).toHaveLength(3);
  }, 180_000);
});
