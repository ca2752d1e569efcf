// Configs an attacker or a typo can write: names every object inherits, and lists and records far too long.

import { describe, expect, it } from 'vitest';
import { ConfigError, MAX_MODELS, parseConfig } from '../../src/lab/config';

function problems(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

const sequences = { kind: 'sequences' } as const;
const lm = { kind: 'token-mlp' } as const;

describe('config names', () => {
  it.each(['constructor', 'prototype', '__proto__'])('refuses a model named %s up front', (name) => {
    const input = JSON.parse(
      JSON.stringify({ world: sequences, models: { teacher: lm }, stages: [{ kind: 'sft', model: 'teacher' }] }),
    ) as { models: Record<string, unknown> };
    Object.defineProperty(input.models, name, { value: lm, enumerable: true });
    expect(problems(input)).toEqual([
      `models.${name}: "${name}" cannot name a model (every object has it built in); pick another name`,
    ]);
  });

  it('looks up the models a stage names as own keys only', () => {
    expect(
      problems({ world: sequences, models: { teacher: lm }, stages: [{ kind: 'sft', model: 'constructor' }] }),
    ).toEqual(['stages.0.model: no model named "constructor" in models (have: teacher)']);
    expect(
      problems({
        world: sequences,
        models: { teacher: lm, student: lm },
        stages: [{ kind: 'distill', model: 'student', teacher: 'constructor' }],
      }),
    ).toEqual(['stages.0.teacher: no model named "constructor" in models (have: teacher, student)']);
  });
});

describe('config messages stay short', () => {
  const bandit = { kind: 'bandit' } as const;
  const cases: [string, unknown][] = [
    ['130,001 stages', { world: bandit, stages: Array<number>(130_001).fill(0) }],
    [
      '42,000 points',
      {
        world: { kind: 'points2d', shape: 'points', points: Array(42_000).fill([9, 9]) },
        stages: [{ kind: 'diffusion' }],
      },
    ],
    [
      'a point list of junk',
      { world: { kind: 'points2d', shape: 'points', points: Array(64).fill('x') }, stages: [{ kind: 'diffusion' }] },
    ],
    [
      '20,000 models',
      {
        world: sequences,
        models: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`m${i}`, 0])),
        stages: [{ kind: 'sft' }],
      },
    ],
    ['a long model name', { world: sequences, models: { ['A'.repeat(100_000)]: lm }, stages: [{ kind: 'sft' }] }],
    ['a long string for a number', { world: bandit, seed: 'x'.repeat(200_000), stages: [{ kind: 'preference' }] }],
    ['a long policy name', { world: sequences, stages: [{ kind: 'preference', model: 'Z'.repeat(200_000) }] }],
    [
      'eight bad stages',
      {
        world: bandit,
        stages: Array.from({ length: 8 }, () => ({
          kind: 'preference',
          steps: -1,
          batch: 0,
          beta: -1,
          gamma: 99,
          lossType: 'x'.repeat(50_000),
        })),
      },
    ],
  ];

  it.each(cases)('%s: a few problems, the rest counted, each one short', (_, input) => {
    const p = problems(input);
    expect(p.length).toBeGreaterThan(0);
    expect(p.length).toBeLessThanOrEqual(5);
    for (const line of p) expect(line.length).toBeLessThanOrEqual(300);
    expect(new ConfigError(p).message.length).toBeLessThan(2000);
  });

  it('names the length of a list before its elements', () => {
    expect(problems({ world: bandit, stages: Array<number>(130_001).fill(0) })).toEqual([
      'stages: at most 8 stages (got 130001)',
    ]);
    expect(
      problems({
        world: { kind: 'points2d', shape: 'points', points: Array(65).fill([0, 0]) },
        stages: [{ kind: 'diffusion' }],
      }),
    ).toEqual(['world.points: at most 64 points (got 65)']);
    expect(
      problems({
        world: sequences,
        models: Object.fromEntries(Array.from({ length: MAX_MODELS + 1 }, (_, i) => [`m${i}`, lm])),
        stages: [{ kind: 'sft', model: 'm0' }],
      }),
    ).toEqual([`models: at most ${MAX_MODELS} models (got ${MAX_MODELS + 1})`]);
  });

  it('lists the first problems and says how many more there are', () => {
    const stages = Array.from({ length: 8 }, () => ({ kind: 'preference', steps: 0 }));
    const p = problems({ world: bandit, stages });
    expect(p).toEqual([
      'stages.0.steps: must be at least 1 (got 0)',
      'stages.1.steps: must be at least 1 (got 0)',
      'stages.2.steps: must be at least 1 (got 0)',
      'stages.3.steps: must be at least 1 (got 0)',
      'and 4 more',
    ]);
  });
});
