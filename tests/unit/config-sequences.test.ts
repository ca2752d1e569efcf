// Config validation of the sequences world, named models and the sft / distill / reward_model stages.

import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/lab/config';
import { PRESETS } from '../../src/lab/presets';
import { decodeConfig, encodeConfig } from '../../src/lab/share';

const base = {
  world: { kind: 'sequences' },
  models: { teacher: { kind: 'token-mlp' }, student: { kind: 'token-mlp', context: 1 } },
  stages: [{ kind: 'sft' }, { kind: 'distill' }],
};

function problems(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('sequences config', () => {
  it('fills every default', () => {
    const cfg = parseConfig(base);
    expect(cfg.world).toMatchObject({ kind: 'sequences', vocab: 16, length: 12, order: 2, successors: 3, stop: 0 });
    expect(cfg.world.kind === 'sequences' && cfg.world.reward).toEqual({
      target: 1,
      count: 1,
      likelihood: 0,
      length: 0,
    });
    expect(cfg.models?.teacher).toMatchObject({
      context: 2,
      embed: 16,
      width: 64,
      depth: 1,
      activation: 'gelu',
      initScale: 1,
    });
    expect(cfg.stages[0]).toMatchObject({
      kind: 'sft',
      name: 'sft',
      model: 'teacher',
      batch: 32,
      optimizer: { lr: 0.01 },
    });
    expect(cfg.stages[1]).toMatchObject({
      kind: 'distill',
      model: 'student',
      teacher: 'teacher',
      divergence: 'forward_kl',
      temperature: 1,
      alpha: 0,
      data: 'offline',
      source: 'oracle',
      scaleT2: false,
    });
  });

  it('keeps bandit configs as they were', () => {
    const cfg = parseConfig({ world: { kind: 'bandit' }, stages: [{ kind: 'preference' }] });
    expect(cfg).not.toHaveProperty('models');
    expect(cfg.stages[0]).not.toHaveProperty('model');
    expect(cfg.stages[0]).not.toHaveProperty('pairs');
    expect(cfg.stages[0]).not.toHaveProperty('data');
  });

  it('names the path and the range of bad sizes', () => {
    const p = problems({
      ...base,
      world: { kind: 'sequences', vocab: 65, length: 3 },
      models: { teacher: { kind: 'token-mlp', context: 9 } },
    });
    expect(p).toContain('world.vocab: must be at most 64 (got 65)');
    expect(p).toContain('world.length: must be at least 4 (got 3)');
    expect(p).toContain('models.teacher.context: must be at most 8 (got 9)');
    expect(problems({ ...base, stages: [{ kind: 'distill', divergence: 'tv' }] }).join()).toMatch(/divergence/);
    expect(problems({ ...base, models: { Teacher: { kind: 'token-mlp' } } }).join()).toMatch(/lowercase/);
  });

  it('refuses references to missing models and roles that clash', () => {
    expect(problems({ ...base, stages: [{ kind: 'distill', teacher: 'oracle' }] })).toEqual([
      'stages.0.teacher: no model named "oracle" in models (have: teacher, student)',
    ]);
    expect(problems({ ...base, stages: [{ kind: 'distill', model: 'teacher' }] })).toContain(
      'stages.0.teacher: the teacher must be another model than the student',
    );
    expect(problems({ ...base, stages: [{ kind: 'sft' }, { kind: 'reward_model', model: 'teacher' }] })).toContain(
      'stages.1.model: "teacher" is used as both a language model and a reward model',
    );
    expect(problems({ ...base, stages: [{ kind: 'preference' }] })).toEqual([
      'stages.0.model: name the policy model of a sequences preference stage',
    ]);
  });

  it('refuses stages that do not fit the world and hard labels on on-policy data', () => {
    expect(problems({ world: { kind: 'bandit' }, stages: [{ kind: 'sft' }] })).toEqual([
      'stages.0.kind: a bandit world runs preference stages only (got sft)',
    ]);
    expect(problems({ ...base, stages: [{ kind: 'distill', data: 'on_policy', alpha: 0.5 }] })).toEqual([
      "stages.0.alpha: hard labels need offline data (on-policy samples are the student's own)",
    ]);
  });

  it('checks the reward target and the successors against the vocabulary', () => {
    expect(problems({ ...base, world: { kind: 'sequences', vocab: 8, reward: { target: 9 } } })).toContain(
      'world.reward.target: must be below the vocabulary of 8 (got 9)',
    );
    expect(problems({ ...base, world: { kind: 'sequences', stop: 0.1, reward: { target: 0 } } })).toContain(
      'world.reward.target: token 0 is EOS when the stop probability is > 0',
    );
    expect(problems({ ...base, world: { kind: 'sequences', vocab: 8, successors: 8, stop: 0.1 } })).toContain(
      'world.successors: must be at most the 7 content tokens (got 8)',
    );
  });

  it('refuses a run over the memory budget', () => {
    const huge = {
      ...base,
      world: { kind: 'sequences', vocab: 64, length: 32, samples: 100000 },
      models: { teacher: { kind: 'token-mlp', width: 512, context: 8, embed: 128 }, student: { kind: 'token-mlp' } },
      stages: [{ kind: 'sft', batch: 4096 }],
    };
    expect(() => parseConfig(huge)).toThrow(/MiB budget/);
  });

  it('round-trips every sequences preset through a share link', () => {
    const seq = PRESETS.filter((p) => (p.config.world as { kind: string }).kind === 'sequences');
    expect(seq.map((p) => p.name)).toEqual([
      'distill-forward-kl',
      'distill-reverse-kl',
      'distill-on-policy',
      'dpo-verbosity',
      'teacher-student-dpo',
      'dpo-transformer',
      'distill-transformer',
    ]);
    for (const p of seq) {
      const cfg = parseConfig(p.config);
      expect(decodeConfig(encodeConfig(cfg))).toEqual(cfg);
      expect(p.watch).toMatch(/\$.+\$/);
    }
  });
});
