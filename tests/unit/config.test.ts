// The experiment config schema: defaults, clear errors, the memory budget, presets.

import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/lab/config';
import { PRESETS } from '../../src/lab/presets';

const minimal = { world: { kind: 'bandit' }, stages: [{ kind: 'preference' }] };

describe('config schema', () => {
  it('fills every default', () => {
    const cfg = parseConfig(minimal);
    expect(cfg.version).toBe(1);
    expect(cfg.seed).toBe(0);
    expect(cfg.world).toMatchObject({ prompts: 4, responses: 12, flipRate: 0 });
    expect(cfg.stages[0]).toMatchObject({ name: 'dpo', lossType: 'sigmoid', beta: 0.1, optimizer: { lr: 0.05 } });
    expect(cfg.metrics.every).toBe(10);
  });

  it('names the path, the problem and the allowed range', () => {
    const bad = {
      ...minimal,
      world: { kind: 'bandit', responses: 100000 },
      stages: [{ kind: 'preference', beta: -1 }],
    };
    try {
      parseConfig(bad);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems;
      expect(problems).toContain('world.responses: must be at most 4096 (got 100000)');
      expect(problems).toContain('stages.0.beta: must be at least 0.001 (got -1)');
    }
  });

  it('refuses unknown kinds, wrong types and an empty pipeline', () => {
    expect(() => parseConfig({ world: { kind: 'nope' }, stages: [{ kind: 'preference' }] })).toThrow(ConfigError);
    expect(() => parseConfig({ ...minimal, seed: 'x' })).toThrow(/seed/);
    expect(() => parseConfig({ ...minimal, stages: [] })).toThrow(/at least one stage/);
    expect(() => parseConfig({ ...minimal, stages: [{ kind: 'preference', lossType: 'magic' }] })).toThrow(/lossType/);
    expect(() => parseConfig(null)).toThrow(ConfigError);
  });

  it('refuses a run over the memory budget with a message saying so', () => {
    const huge = {
      world: { kind: 'bandit', prompts: 1024, responses: 4096, pairs: 1000000 },
      stages: [{ kind: 'preference', batch: 4096 }],
    };
    expect(() => parseConfig(huge)).toThrow(/MiB budget/);
  });

  it('accepts every preset', () => {
    expect(PRESETS.length).toBeGreaterThan(3);
    for (const p of PRESETS) expect(() => parseConfig(p.config)).not.toThrow();
    expect(new Set(PRESETS.map((p) => p.name)).size).toBe(PRESETS.length);
  });
});
