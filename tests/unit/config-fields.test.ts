// The settings of a config read from its schema: which apply to the world and loss at hand, the options in words,
// and the form that shows only those (and keeps a field with a problem in sight); problems marked on their field.
import { describe, expect, it } from 'vitest';
import { formSections } from '../../src/app/form';
import { fieldsOf, mootPaths } from '../../src/lab/config-fields';
import { ConfigError, ExperimentSchema, parseConfig, type ExperimentConfig } from '../../src/lab/config';
import { findPreset } from '../../src/lab/presets';

const preset = (name: string) => parseConfig(structuredClone(findPreset(name)!.config));
const withStage = (c: ExperimentConfig, i: number, edit: Record<string, unknown>): ExperimentConfig => ({
  ...c,
  stages: c.stages.map((s, k) => (k === i ? ({ ...s, ...edit } as typeof s) : s)),
});
const formIds = (c: ExperimentConfig, keep?: Set<string>) =>
  formSections(ExperimentSchema, c as unknown as Record<string, unknown>, keep).flatMap((s) =>
    s.fields.map((f) => f.id),
  );

describe('which settings apply', () => {
  it('offers label smoothing to the losses that read it and gamma to SimPO only', () => {
    const dpo = preset('dpo-bandit');
    const ids = (lossType: string) => formIds(withStage(dpo, 0, { lossType }));
    expect(ids('sigmoid')).toContain('stages.0.labelSmoothing');
    expect(ids('sigmoid')).not.toContain('stages.0.gamma');
    expect(ids('robust')).toContain('stages.0.labelSmoothing');
    expect(ids('ipo')).not.toContain('stages.0.labelSmoothing');
    expect(ids('hinge')).not.toContain('stages.0.labelSmoothing');
    expect(ids('simpo')).toEqual(expect.arrayContaining(['stages.0.gamma', 'stages.0.labelSmoothing']));
    expect(ids('sigmoid')).toContain('stages.0.beta');
  });

  it("keeps the sequences world's data settings off a bandit's preference stage", () => {
    const bandit = formIds(preset('dpo-bandit'));
    expect(bandit).not.toContain('stages.0.data');
    expect(bandit).not.toContain('stages.0.pairs');
    const seq = preset('teacher-student-dpo');
    const i = seq.stages.findIndex((s) => s.kind === 'preference');
    expect(formIds(seq)).toContain(`stages.${i}.data`);
    expect(formIds(withStage(seq, i, { data: 'offline' }))).toContain(`stages.${i}.pairs`);
    expect(formIds(withStage(seq, i, { data: 'online' }))).not.toContain(`stages.${i}.pairs`);
  });

  it("shows the JSD beta for the JSD only, and the offline data's settings with offline data", () => {
    const kd = preset('distill-forward-kl');
    const i = kd.stages.findIndex((s) => s.kind === 'distill');
    expect(formIds(kd)).not.toContain(`stages.${i}.beta`);
    expect(formIds(withStage(kd, i, { divergence: 'jsd' }))).toContain(`stages.${i}.beta`);
    expect(formIds(kd)).toEqual(expect.arrayContaining([`stages.${i}.alpha`, `stages.${i}.source`]));
    const online = formIds(withStage(kd, i, { data: 'on_policy' }));
    expect(online).not.toContain(`stages.${i}.alpha`);
    expect(online).not.toContain(`stages.${i}.source`);
  });

  it('has no spread for the checkerboard, which is uniform in its squares', () => {
    const ring = preset('diffusion-ring8');
    expect(formIds(ring)).toContain('world.spread');
    expect(formIds({ ...ring, world: { ...ring.world, shape: 'checkerboard' } } as ExperimentConfig)).not.toContain(
      'world.spread',
    );
  });

  it('lists the moot settings of a config by path, and the form keeps one that has a problem', () => {
    const c = withStage(preset('dpo-bandit'), 0, { lossType: 'ipo' });
    expect(mootPaths(c)).toEqual(
      new Set(['stages.0.labelSmoothing', 'stages.0.gamma', 'stages.0.data', 'stages.0.pairs']),
    );
    expect(formIds(c, new Set(['stages.0.gamma']))).toContain('stages.0.gamma');
  });

  it('names each option of a choice in words', () => {
    const fields = fieldsOf(ExperimentSchema, preset('dpo-bandit'), [], preset('dpo-bandit'));
    const loss = fields.find((f) => f.id === 'stages.0.lossType')!;
    expect(loss.options?.map((o) => o.label)).toEqual([
      'sigmoid — DPO',
      'robust — rDPO, robust to flipped labels',
      'hinge — SLiC hinge',
      'ipo — IPO',
      'sppo_hard — SPPO',
      'nca_pair — NCA',
      'apo_zero — APO-zero',
      'simpo — SimPO, reference-free',
    ]);
  });
});

describe('problems marked on their field', () => {
  const problemsOf = (input: unknown): ConfigError => {
    try {
      parseConfig(input);
    } catch (e) {
      if (e instanceof ConfigError) return e;
      throw e;
    }
    throw new Error('the config was accepted');
  };

  it("gives each field's problem by its path, from the schema and from the world's checks", () => {
    const dpo = preset('dpo-bandit');
    const e = problemsOf(withStage(dpo, 0, { beta: 1000, batch: 0.5 }));
    expect(e.fields.get('stages.0.beta')).toBe('must be at most 100 (got 1000)');
    expect(e.fields.get('stages.0.batch')).toBe('must be a whole number (got 0.5)');
    expect(problemsOf(withStage(dpo, 0, { beta: NaN })).fields.get('stages.0.beta')).toBe('must be a number');
    const kd = preset('distill-forward-kl');
    const i = kd.stages.findIndex((s) => s.kind === 'distill');
    const world = problemsOf(withStage(kd, i, { data: 'on_policy', alpha: 0.5 }));
    expect(world.fields.get(`stages.${i}.alpha`)).toMatch(/hard labels need offline data/);
  });
});
