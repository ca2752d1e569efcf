// The sizes a saved run's weights must have, from the config alone: expectedWeights names every model a run trains
// with its parameter count, and a run built from the config returns exactly those (on any backend alignment).
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend';
import { expectedWeights, parseConfig, type ExperimentConfig, type ExperimentInput } from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import { PRESETS } from '../../src/lab/presets';
import { cpu } from '../helpers/backends';

/** Configs beyond the presets: a stage kind twice, models no stage uses, every points2d stage kind in one run. */
const EXTRA: [string, ExperimentInput][] = [
  [
    'points2d with every stage kind',
    {
      world: { kind: 'points2d', shape: 'moons', width: 16, depth: 2, embed: 4, samplerSteps: 16, samples: 256 },
      stages: [
        { kind: 'diffusion', steps: 10, batch: 32 },
        { kind: 'dmd', name: 'first', steps: 10, batch: 32 },
        { kind: 'dmd', name: 'second', steps: 10, batch: 32 },
        { kind: 'progressive', steps: 10, rounds: 2, batch: 32 },
        { kind: 'diffusion_dpo', steps: 10, batch: 16, pairs: 32 },
      ],
    },
  ],
  [
    'sequences with an unused model and a reward model',
    {
      world: { kind: 'sequences', vocab: 11, length: 6, samples: 64, heldout: 16 },
      models: {
        teacher: { kind: 'token-mlp', context: 3, embed: 5, width: 7, depth: 2 },
        spare: { kind: 'token-mlp', context: 1, embed: 3, width: 4, depth: 0 },
        rm: { kind: 'token-mlp', context: 2, embed: 4, width: 6, depth: 1 },
      },
      stages: [
        { kind: 'sft', steps: 10, batch: 4 },
        { kind: 'reward_model', policy: 'teacher', steps: 10, batch: 4, pairs: 8 },
      ],
    },
  ],
  ['bandit', { world: { kind: 'bandit', prompts: 5, responses: 7 }, stages: [{ kind: 'preference', steps: 10 }] }],
];

const CASES: [string, ExperimentInput][] = [
  ...PRESETS.map((p) => [p.name, p.config] as [string, ExperimentInput]),
  ...EXTRA,
];

async function weightsOf(be: Backend, config: ExperimentConfig): Promise<Record<string, Float32Array>> {
  const exp = Experiment.create(be, config);
  try {
    return await exp.weights();
  } finally {
    exp.dispose();
  }
}

const lengths = (w: Record<string, Float32Array>) => new Map(Object.entries(w).map(([k, x]) => [k, x.length]));

/** The CPU twin with a GPU's alignment: each tensor of a parameter arena starts at a multiple of 64 floats. */
function alignedCpu(): Backend {
  const be = cpu();
  Object.defineProperty(be, 'alignElements', { value: 64 });
  return be;
}

describe('expectedWeights', () => {
  it.each(CASES)('names every model %s trains with its parameter count', async (_name, input) => {
    const config = parseConfig(structuredClone(input));
    const want = expectedWeights(config);
    expect(lengths(await weightsOf(cpu(), config))).toEqual(want);
    for (const n of want.values()) expect(n).toBeGreaterThan(0);
  });

  it.each(CASES)('%s: the weights do not depend on the alignment of the backend', async (_name, input) => {
    const config = parseConfig(structuredClone(input));
    const plain = await weightsOf(cpu(), config);
    const aligned = await weightsOf(alignedCpu(), config);
    expect(lengths(aligned)).toEqual(expectedWeights(config));
    expect(aligned).toEqual(plain);
  });

  it('counts a bandit policy and a token-MLP by hand', () => {
    const bandit = parseConfig({
      world: { kind: 'bandit', prompts: 5, responses: 7 },
      stages: [{ kind: 'preference' }],
    });
    expect(expectedWeights(bandit)).toEqual(new Map([['policy', 35]]));
    // Vocabulary 11: 12 ids (with BOS) x embed 5, then [15 -> 7 -> 7 -> 11] with biases.
    const seq = parseConfig(EXTRA[1][1]);
    expect(expectedWeights(seq).get('teacher')).toBe(12 * 5 + 16 * 7 + 8 * 7 + 8 * 11);
    // The reward model scores one value per position: [8 -> 6 -> 1].
    expect(expectedWeights(seq).get('rm')).toBe(12 * 4 + 9 * 6 + 7 * 1);
  });
});
