// Every bundle a run can export imports back: random valid configs grown to the memory budget's edge are built on
// the CPU backend, their real weights and final snapshot written as a bundle file, and the file read back must give
// the same config, the same weights bit for bit and the same final state. A fixed number of cases, so the test's
// length does not depend on the machine.
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  finalSnapshot,
  parseBundle,
  plainSnapshot,
  serializeBundle,
} from '../../src/app/export';
import { Philox } from '../../src/engine/rng';
import {
  estimateFloats,
  MEMORY_BUDGET_FLOATS,
  parseConfig,
  totalSteps,
  type ExperimentConfig,
} from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import { cpu } from '../helpers/backends';
import { atBudgetEdge, randomConfig } from '../helpers/configs';

const sameBits = (a: Float32Array, b: Float32Array): boolean => {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((u, i) => u === y[i]);
};

/**
 * Sizes that set how much a run samples and generates (2D clouds drawn through every sampler step, data sets and
 * pairs drawn at the start): the CPU twin would take minutes per case at their maximum, so they keep the preset's
 * value and the budget goes to the models first.
 */
const WORLDS = ['bandit', 'sequences', 'points2d'];

const GROWTH = {
  first: ['width', 'depth', 'embed', 'prompts', 'responses', 'vocab', 'context'],
  keep: ['evalSamples', 'samplerSteps', 'timesteps', 'hybrid', 'pairs', 'samples', 'heldout'],
};

/** Fields that size a model's layers and nothing a snapshot shows. */
const LAYER_SIZES = ['width', 'depth', 'embed'];

type Plain = Record<string, Record<string, unknown> | undefined>;

/**
 * The config with its layers as small as in `base`: its snapshot has the same shape (the samples, tables and
 * held-out rows a view shows do not depend on layer sizes) and takes seconds, not minutes, on the CPU twin.
 */
function withLayersOf(config: ExperimentConfig, base: Record<string, unknown>): ExperimentConfig {
  const c = structuredClone(config) as unknown as Record<string, unknown> & { models?: Plain; world: Plain[string] };
  const from = base as { world: Plain[string]; models?: Plain };
  const restore = (obj: Record<string, unknown> | undefined, was: Record<string, unknown> | undefined) => {
    // A size the base left out takes the schema's default again.
    for (const k of LAYER_SIZES)
      if (obj && k in obj)
        if (was?.[k] === undefined) delete obj[k];
        else obj[k] = was[k];
  };
  restore(c.world, from.world);
  for (const [name, m] of Object.entries(c.models ?? {})) restore(m, from.models?.[name]);
  return parseConfig(c);
}

async function build<T>(config: ExperimentConfig, read: (exp: Experiment) => Promise<T>): Promise<T> {
  const exp = Experiment.create(cpu(), config);
  try {
    return await read(exp);
  } finally {
    exp.dispose();
  }
}

async function roundTrip(config: ExperimentConfig, base: Record<string, unknown>): Promise<void> {
  const weights = await build(config, (exp) => exp.weights());
  const final = await build(withLayersOf(config, base), async (exp) => plainSnapshot(await exp.snapshot()));
  const text = serializeBundle({
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    name: 'edge',
    savedAt: '2026-01-01T00:00:00.000Z',
    backend: 'CPU',
    config,
    done: 0,
    total: totalSteps(config),
    rows: [{ stage: config.stages[0].name, step: 0, loss: NaN }],
    final,
    weights,
  });
  const back = parseBundle(text);
  expect(back.config).toEqual(config);
  expect(Object.keys(back.weights ?? {}).sort()).toEqual(Object.keys(weights).sort());
  for (const [name, w] of Object.entries(weights)) expect(sameBits(back.weights![name], w), name).toBe(true);
  expect(back.rows[0].loss).toBeNaN();
  expect(plainSnapshot(finalSnapshot(back))).toEqual(final);
}

describe('run bundles at the memory budget', () => {
  it('round-trip for a random valid config of each world grown to the budget edge', async () => {
    const rng = new Philox(2026, 3);
    for (let c = 0; c < WORLDS.length; c++) {
      const base = randomConfig(rng, WORLDS[c]);
      const config = atBudgetEdge(base, rng, GROWTH);
      // At the edge: every size the run grew stops where the next value would not fit.
      expect(estimateFloats(config)).toBeGreaterThan(0.5 * MEMORY_BUDGET_FLOATS);
      expect(estimateFloats(config)).toBeLessThanOrEqual(MEMORY_BUDGET_FLOATS);
      await roundTrip(config, base);
    }
  });
});
