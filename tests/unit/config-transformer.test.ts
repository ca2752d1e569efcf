// Config validation of the transformer model kind: defaults, bounds, the fields that must fit together and the world,
// the memory estimate of its parameters and passes, and the refusal of an oversized model by name.

import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  estimateFloats,
  expectedWeights,
  MEMORY_BUDGET_FLOATS,
  parseConfig,
  type ExperimentInput,
} from '../../src/lab/config';
import { transformerParamCount, transformerWorkFloats } from '../../src/lab/models/transformer';
import { decodeConfig, encodeConfig } from '../../src/lab/share';

const world = { kind: 'sequences', vocab: 16, length: 12 } as const;
const small = { kind: 'transformer', layers: 2, heads: 2, width: 32, context: 12 } as const;

const run = (models: ExperimentInput['models'], stages: ExperimentInput['stages'] = [{ kind: 'sft', model: 'lm' }]) =>
  ({ world, models, stages }) as ExperimentInput;

function problems(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('transformer config', () => {
  it('fills its defaults and survives a share link', () => {
    const cfg = parseConfig(run({ lm: { kind: 'transformer' } }));
    expect(cfg.models?.lm).toEqual({
      kind: 'transformer',
      layers: 2,
      heads: 2,
      width: 32,
      context: 32,
      tiedHead: false,
    });
    expect(decodeConfig(encodeConfig(cfg))).toEqual(cfg);
  });

  it.each([
    ['layers', 0, /layers: must be at least 1/],
    ['layers', 9, /layers: must be at most 8/],
    ['heads', 9, /heads: must be at most 8/],
    ['width', 513, /width: must be at most 512/],
    ['context', 257, /context: must be at most 256/],
    ['width', 31.5, /width: must be a whole number/],
  ])('bounds %s (%s)', (field, value, message) => {
    expect(problems(run({ lm: { ...small, [field]: value } })).join('\n')).toMatch(message);
  });

  it('needs a width the heads divide, a head size the attention kernels tile, and the whole sequence in context', () => {
    expect(problems(run({ lm: { ...small, heads: 3 } }))).toEqual([
      'models.lm.width: must be a multiple of the 3 heads (got 32)',
    ]);
    expect(problems(run({ lm: { ...small, heads: 1, width: 256, context: 12 } }))).toEqual([
      'models.lm.heads: the head size width / heads must be at most 128 (got 256): use more heads',
    ]);
    expect(problems(run({ lm: { ...small, context: 11 } }))).toEqual([
      "models.lm.context: must be at least the world's max length of 12 (got 11)",
    ]);
  });

  it('refuses a tied head on a reward model, which has no logits', () => {
    const stages = [{ kind: 'reward_model', model: 'rm', policy: 'lm' }] as ExperimentInput['stages'];
    const msg = problems(run({ lm: small, rm: { ...small, tiedHead: true } }, stages));
    expect(msg).toEqual([
      'models.rm.tiedHead: "rm" is a reward model (one score per position): it has no logits to tie to the token embedding',
    ]);
    expect(problems(run({ lm: { ...small, tiedHead: true }, rm: small }, stages))).toEqual([]);
  });

  it("counts the weights from the model's own size function (tied: no head matrix; a scorer: one output)", () => {
    const stages = [
      { kind: 'sft', model: 'lm' },
      { kind: 'reward_model', model: 'rm', policy: 'lm' },
    ] as ExperimentInput['stages'];
    const tied = { ...small, tiedHead: true };
    const weights = expectedWeights(parseConfig(run({ lm: tied, rm: small }, stages)));
    expect(weights.get('lm')).toBe(transformerParamCount({ ...tied }, 17, 16));
    expect(weights.get('rm')).toBe(transformerParamCount({ ...small, tiedHead: false }, 17, 1));
    expect(weights.get('lm')! + 32 * 16).toBe(transformerParamCount({ ...small, tiedHead: false }, 17, 16));
  });

  it('estimates parameters, gradients, 2 moments, a copy and the passes of its batch over the sequence', () => {
    const floats = (batch: number) =>
      estimateFloats(parseConfig(run({ lm: small }, [{ kind: 'sft', model: 'lm', batch }])));
    // One more sequence in the training batch adds one sequence of a training pass over the 12 positions.
    const perSequence = transformerWorkFloats({ ...small, tiedHead: false }, 1, 12, 16, true);
    expect(floats(9) - floats(8)).toBeGreaterThanOrEqual(perSequence);
    const params = transformerParamCount({ ...small, tiedHead: false }, 17, 16);
    expect(floats(8)).toBeGreaterThan(
      5 * params + transformerWorkFloats({ ...small, tiedHead: false }, 8, 12, 16, true),
    );
  });

  it('refuses an oversized transformer before anything is allocated, naming the model and the size it needs', () => {
    const big = { kind: 'transformer', layers: 8, heads: 8, width: 512, context: 256 } as const;
    const cfg = {
      world: { ...world, length: 32 },
      models: { big },
      stages: [{ kind: 'sft', model: 'big', batch: 256 }],
    } as ExperimentInput;
    const msg = problems(cfg);
    expect(msg).toHaveLength(1);
    expect(msg[0]).toMatch(
      /^models\.big: this transformer would need \d+ MiB \(25,[\d,]+ parameters with gradients, Adam moments and a copy, activations over 32 positions\), over the 256 MiB budget of a browser tab: lower its width or layers, or the batch, pairs or held-out samples$/,
    );
    const need = Number(/need (\d+) MiB/.exec(msg[0])![1]);
    expect(need * 2 ** 20).toBeGreaterThan(4 * MEMORY_BUDGET_FLOATS);
    // The same model with a small batch and few held-out samples fits.
    const fits = {
      ...cfg,
      world: { ...world, length: 32, heldout: 16, samples: 64 },
      models: { big: { ...big, layers: 2, width: 256 } },
      stages: [{ kind: 'sft', model: 'big', batch: 4 }],
    } as ExperimentInput;
    expect(problems(fits)).toEqual([]);
    expect(estimateFloats(parseConfig(fits))).toBeLessThanOrEqual(MEMORY_BUDGET_FLOATS);
  });
});
