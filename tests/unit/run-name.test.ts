// Run names, file names and an export's header: two variants of one preset get different names, a preset unchanged
// keeps its own, a config opened from a link is named after the preset it is closest to, and a setting that does not
// apply to the config is never named.
import { describe, expect, it } from 'vitest';
import {
  changeList,
  changes,
  describeConfig,
  exportComment,
  nearestPreset,
  runFileBase,
  runName,
} from '../../src/lab/run-name';
import { parseConfig } from '../../src/lab/config';
import { findPreset, PRESETS } from '../../src/lab/presets';

const preset = findPreset('dpo-bandit')!;
const variant = (edit: (c: ReturnType<typeof parseConfig>) => void) => {
  const c = parseConfig(structuredClone(preset.config));
  edit(c);
  return c;
};

describe('run names', () => {
  it('is the preset name for the preset unchanged', () => {
    expect(runName(parseConfig(structuredClone(preset.config)), preset, PRESETS)).toBe('dpo-bandit');
  });

  it('lists what differs from the preset, so two variants are told apart', () => {
    const a = variant((c) => (c.stages[0] = { ...c.stages[0], beta: 2 } as (typeof c.stages)[0]));
    const b = variant((c) => (c.world = { ...c.world, flipRate: 0.2 } as typeof c.world));
    expect(runName(a, preset, PRESETS)).toBe('dpo-bandit · beta 2');
    expect(runName(b, preset, PRESETS)).toBe('dpo-bandit · flipRate 0.2');
    expect(runFileBase(runName(a, preset, PRESETS), 400)).toBe('dpo-bandit-beta-2-step400');
    expect(runFileBase(runName(a, preset, PRESETS), 400)).not.toBe(runFileBase(runName(b, preset, PRESETS), 400));
  });

  it('says how many more changes there are past three', () => {
    const c = variant((c) => {
      c.seed = 9;
      c.world = { ...c.world, prompts: 5, responses: 7, flipRate: 0.1 } as typeof c.world;
    });
    expect(changes(c, parseConfig(structuredClone(preset.config)))).toHaveLength(4);
    expect(runName(c, preset, PRESETS)).toBe('dpo-bandit · prompts 5 · responses 7 · flipRate 0.1 · +1 more');
  });

  it('names a config from a link after the nearest preset of the same world and stages', () => {
    const ipo = parseConfig(structuredClone(findPreset('ipo-bandit')!.config));
    expect(nearestPreset(ipo, PRESETS)?.name).toBe('ipo-bandit');
    const c = variant((c) => (c.stages[0] = { ...c.stages[0], beta: 20, steps: 50 } as (typeof c.stages)[0]));
    expect(runName(c, null, PRESETS)).toBe('dpo-large-beta · steps 50');
  });

  it('falls back to the title, then to "custom run", when no preset is alike', () => {
    const c = parseConfig({
      title: 'my run',
      world: { kind: 'bandit' },
      stages: [{ kind: 'preference' }, { kind: 'preference' }],
    });
    expect(runName(c, null, PRESETS)).toBe('my run');
    expect(runName({ ...c, title: '' }, null, PRESETS)).toBe('custom run');
    expect(runFileBase('  ', 3)).toBe('preflab-run-step3');
  });
});

describe('settings that do not apply', () => {
  it('are not named: gamma changed under the sigmoid loss is no difference, under simpo it is', () => {
    const sigmoid = variant((c) => (c.stages[0] = { ...c.stages[0], gamma: 3 } as (typeof c.stages)[0]));
    expect(runName(sigmoid, preset, PRESETS)).toBe('dpo-bandit');
    const simpo = variant(
      (c) => (c.stages[0] = { ...c.stages[0], lossType: 'simpo', gamma: 3 } as (typeof c.stages)[0]),
    );
    expect(runName(simpo, preset, PRESETS)).toBe('dpo-bandit · lossType simpo · gamma 3');
    const ipo = variant(
      (c) => (c.stages[0] = { ...c.stages[0], lossType: 'ipo', labelSmoothing: 0.2 } as (typeof c.stages)[0]),
    );
    expect(runName(ipo, preset, PRESETS)).toBe('dpo-bandit · lossType ipo');
  });
});

describe("an export's header comment", () => {
  it('names the run and each setting changed from its preset with both values', () => {
    const c = variant((c) => (c.stages[0] = { ...c.stages[0], lossType: 'ipo', beta: 0.1 } as (typeof c.stages)[0]));
    expect(changeList(c, parseConfig(structuredClone(preset.config)))).toEqual([
      { key: 'lossType', from: 'sigmoid', to: 'ipo' },
      { key: 'beta', from: '0.5', to: '0.1' },
    ]);
    expect(exportComment(c, preset, PRESETS)).toEqual([
      '# PrefLab run: dpo-bandit · lossType ipo · beta 0.1',
      '# changed from preset dpo-bandit: lossType sigmoid -> ipo, beta 0.5 -> 0.1',
    ]);
  });

  it('says a preset unchanged, or a custom experiment, in one line after the name', () => {
    expect(exportComment(parseConfig(structuredClone(preset.config)), preset, PRESETS)).toEqual([
      '# PrefLab run: dpo-bandit',
      '# preset dpo-bandit unchanged',
    ]);
    const c = parseConfig({ world: { kind: 'bandit' }, stages: [{ kind: 'preference' }, { kind: 'preference' }] });
    expect(exportComment(c, null, PRESETS)).toEqual([
      '# PrefLab run: custom run',
      '# a custom experiment on the bandit world',
    ]);
  });
});

describe('what a shared config is, in words', () => {
  it('is the nearest preset and what differs from it', () => {
    const c = variant((c) => (c.stages[0] = { ...c.stages[0], beta: 2, steps: 600 } as (typeof c.stages)[0]));
    const origin = describeConfig(c, PRESETS);
    expect(origin.preset?.name).toBe('dpo-bandit');
    expect(origin.text).toBe('dpo-bandit with steps 600 and beta 2');
  });

  it('says a preset unchanged is that preset', () => {
    const origin = describeConfig(parseConfig(structuredClone(preset.config)), PRESETS);
    expect(origin).toMatchObject({ changes: [], text: 'dpo-bandit unchanged' });
  });

  it('counts the changes past five', () => {
    const c = variant((c) => {
      c.seed = 99;
      c.world = { ...c.world, prompts: 5, responses: 7, flipRate: 0.1, pairs: 100 } as typeof c.world;
      c.stages[0] = { ...c.stages[0], beta: 2 } as (typeof c.stages)[0];
    });
    expect(describeConfig(c, PRESETS).text).toMatch(/^dpo-bandit with .+, .+, .+, .+, .+ and 1 more setting$/);
  });

  it('is a custom experiment on its world when no preset is near', () => {
    const c = parseConfig({ world: { kind: 'bandit' }, stages: [{ kind: 'preference' }, { kind: 'preference' }] });
    expect(describeConfig(c, PRESETS)).toMatchObject({
      preset: null,
      text: 'a custom experiment on the bandit world',
    });
  });
});
