// The memory estimate counts the parameters the models allocate: the size functions agree with real arenas.

import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/backend';
import { estimateFloats, parseConfig, type ExperimentInput } from '../../src/lab/config';
import { Denoiser, denoiserParamCount } from '../../src/lab/models/denoiser';
import { TokenMlp, tokenMlpParamCount } from '../../src/lab/models/token-mlp';

const be = new CpuBackend('tests');
const allocated = (entries: readonly { size: number }[]) => entries.reduce((n, e) => n + e.size, 0);

describe('model sizes', () => {
  it.each([
    [0, 17],
    [1, 17],
    [2, 1],
    [4, 9],
  ])('a token-MLP of depth %i with %i outputs allocates tokenMlpParamCount floats', (depth, OUT) => {
    const arch = {
      kind: 'token-mlp',
      context: 3,
      embed: 5,
      width: 7,
      depth,
      activation: 'gelu',
      initScale: 1,
    } as const;
    const model = new TokenMlp(be, 'm', arch, 18, OUT, 0, 0);
    expect(allocated(model.arena.entries)).toBe(tokenMlpParamCount(arch, 18, OUT));
    model.arena.release();
  });

  it.each([1, 2, 6])('a denoiser of depth %i allocates denoiserParamCount floats', (depth) => {
    const arch = { width: 12, depth, embed: 6, activation: 'silu' } as const;
    const model = new Denoiser(be, 'd', arch, 0, 0);
    expect(allocated(model.arena.entries)).toBe(denoiserParamCount(arch));
    model.arena.release();
  });

  it('adds 5 floats per parameter of each named model (params, grads, two Adam moments, a frozen copy)', () => {
    const small = { kind: 'token-mlp', context: 1, embed: 4, width: 8, depth: 0, activation: 'relu' } as const;
    const floats = (models: ExperimentInput['models']) =>
      estimateFloats(
        parseConfig({ world: { kind: 'sequences', vocab: 16 }, models, stages: [{ kind: 'sft', model: 'policy' }] }),
      );
    const policy = { kind: 'token-mlp' } as const;
    // The small model is narrower than the policy: only its parameters change the estimate.
    expect(floats({ policy, small }) - floats({ policy })).toBe(5 * tokenMlpParamCount(small, 17, 16));
  });
});
