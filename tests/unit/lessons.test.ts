// Lessons as data: every lesson is complete and runs presets that exist; each reads the outcome its runs' numbers show
// (on made-up rows, one per choice where the data can tell), and the explanation quotes exactly its figures.

import { describe, expect, it } from 'vitest';
import { explain, findLesson, LESSONS, lessonForPreset, lessonRunConfig, type Lesson } from '../../src/lab/lessons';
import { endFigure, firstFigure, lastFigure, moved, startFigure } from '../../src/lab/lessons/lesson';
import type { MetricRow, MetricValues } from '../../src/lab/metrics';
import { findPreset } from '../../src/lab/presets';

const fmt = (v: number) => String(Number(v.toPrecision(3)));

/** A made-up bandit run of `steps` steps: step metrics every step, period metrics every 10, from functions of t in [0, 1]. */
function bandit(steps: number, step: (t: number, s: number) => MetricValues, period: (t: number) => MetricValues) {
  const rows: MetricRow[] = [];
  for (let s = 1; s <= steps; s++) {
    const t = s / steps;
    rows.push({ stage: 'dpo', step: s, ...step(t, s), ...(s % 10 === 0 ? period(t) : {}) });
  }
  return rows;
}

/** A small deterministic wiggle, so that the noise estimate is not zero. */
const wiggle = (s: number, size = 0.05) => size * Math.sin(s * 1.7);

const lesson = (id: string): Lesson => findLesson(id)!;
const outcome = (id: string, runs: MetricRow[][]) => lesson(id).read(runs, fmt).outcome;

describe('the lessons', () => {
  it('each is complete: its answer among its choices, its runs existing presets, numbered in order', () => {
    expect(LESSONS.map((l) => l.number)).toEqual(LESSONS.map((_, i) => i + 1));
    expect(new Set(LESSONS.map((l) => l.id)).size).toBe(LESSONS.length);
    for (const l of LESSONS) {
      expect(l.choices.map((c) => c.id)).toContain(l.answer);
      expect(new Set(l.choices.map((c) => c.id)).size).toBe(l.choices.length);
      expect(l.paper.arxiv).toMatch(/^\d{4}\.\d{4,5}$/);
      for (const r of [...l.runs.map((r) => r.preset), ...l.explains]) expect(findPreset(r), r).toBeDefined();
      expect(l.charts.length).toBeGreaterThan(0);
    }
  });

  it('a preset opens the lesson that explains it, its quick variant too', () => {
    expect(lessonForPreset('dpo-sparse-coverage')?.id).toBe('both-logps-fall');
    expect(lessonForPreset('dpo-large-beta')?.id).toBe('beta-leash');
    expect(lessonForPreset('dpo-large-beta-quick')?.id).toBe('beta-leash');
    expect(lessonForPreset('diffusion-dmd-collapse')).toBeUndefined();
  });
});

describe('a lesson run', () => {
  it("trains its preset, with the lesson's own step counts where it has them", () => {
    expect(lessonRunConfig({ label: 'a', preset: 'dpo-bandit' })).toEqual(findPreset('dpo-bandit')!.config);
    const short = lessonRunConfig({ label: 'b', preset: 'distill-reverse-kl', steps: [200, 150] });
    expect(short.stages.map((s) => [s.kind, s.steps])).toEqual([
      ['sft', 200],
      ['distill', 150],
    ]);
    expect(short.world).toEqual(findPreset('distill-reverse-kl')!.config.world);
    expect(() => lessonRunConfig({ label: 'c', preset: 'dpo-bandit', steps: [1, 2] })).toThrow(/has 1 stages/);
    expect(() => lessonRunConfig({ label: 'd', preset: 'nope' })).toThrow(/no preset "nope"/);
  });
});

describe('figures', () => {
  const rows = bandit(
    100,
    (t) => ({ 'rewards/margins': 10 * t }),
    (t) => ({ 'kl/optimal': 5 - 4 * t }),
  );

  it('are means over the end windows of a metric, with the steps they cover', () => {
    const start = startFigure(0, rows, 'rewards/margins', fmt);
    // 100 points: windows of 5, steps 1-5 and 96-100.
    expect([start.from, start.to, start.value]).toEqual([1, 5, 0.3]);
    const end = endFigure(0, rows, 'rewards/margins', fmt);
    expect([end.from, end.to]).toEqual([96, 100]);
    expect(end.value).toBeCloseTo(9.8, 12);
    expect(end.text).toBe('9.8');
    const first = firstFigure(0, rows, 'kl/optimal', fmt);
    expect([first.from, first.to, first.value]).toEqual([10, 10, 4.6]);
  });

  it('say which way a metric moved, in the words of their rounded values', () => {
    const a = startFigure(0, rows, 'rewards/margins', fmt);
    const b = endFigure(0, rows, 'rewards/margins', fmt);
    expect(moved(a, b)).toBe('rose from 0.3 to 9.8');
    expect(moved(b, a)).toBe('fell from 9.8 to 0.3');
    expect(moved(a, { ...a, value: 0.30001 })).toBe('stayed at 0.3');
  });

  it('name a metric the run never logged, and refuse to span two stages', () => {
    expect(() => endFigure(0, rows, 'entropy', fmt)).toThrow(/run 1 logged no entropy/);
    // 39 points of one stage and 1 of the next: the end window of 2 straddles them.
    const two: MetricRow[] = Array.from({ length: 40 }, (_, i) => ({
      stage: i < 39 ? 'sft' : 'dpo',
      step: i + 1,
      entropy: 1,
    }));
    expect(() => lastFigure(0, two, 'entropy', fmt)).not.toThrow();
    expect(() => endFigure(0, two, 'entropy', fmt)).toThrow(/a figure spans one stage/);
  });
});

describe('lesson 1 reads how close the policy came to pi_star', () => {
  const run = (end: number) =>
    bandit(
      200,
      (t, s) => ({ 'rewards/margins': 3 * t + wiggle(s), 'rewards/accuracies': 0.9 }),
      (t) => ({
        'kl/optimal': 7 + (end - 7) * t,
        'reward/true': 2 + 4 * t,
        'ranking/accuracy': 0.9,
        'ranking/idealized': 0.91,
      }),
    );

  it.each([
    [1, 'closer'],
    [6, 'no-closer'],
    [0.01, 'exact'],
  ])('kl/optimal ending at %f: %s', (end, want) => {
    expect(outcome('dpo-implicit-reward', [run(end)])).toBe(want);
  });
});

describe('lesson 2 reads which way logps/chosen went', () => {
  const run = (chosen: number) =>
    bandit(
      300,
      (t, s) => ({
        'logps/chosen': -3 + chosen * t + wiggle(s),
        'logps/rejected': -4 - 10 * t + wiggle(s),
        'rewards/margins': 2 * t + wiggle(s),
      }),
      (t) => ({ entropy: 2.7 - 2 * t, 'kl/reference': 3 * t }),
    );

  it.each([
    [-3, 'falls'],
    [1, 'rises'],
    [0, 'flat'],
  ])('logps/chosen moving by %f: %s', (chosen, want) => {
    expect(outcome('both-logps-fall', [run(chosen)])).toBe(want);
  });
});

describe('lesson 3 reads which beta moved further and what it bought', () => {
  const run = (kl: number, reward: number) =>
    bandit(
      100,
      (t, s) => ({ 'rewards/margins': 3 * t + wiggle(s) }),
      (t) => ({ 'kl/reference': kl * t, 'reward/true': 2 + (reward - 2) * t }),
    );

  it.each([
    [run(1.7, 6.3), run(0.05, 2.3), 'small-more-reward'],
    [run(1.7, 2), run(0.05, 2.3), 'small-no-reward'],
    [run(0.05, 6.3), run(1.7, 2.3), 'large-further'],
    [run(0.5, 6.3), run(0.48, 2.3), 'same'],
  ])('%#: %s', (small, large, want) => {
    expect(outcome('beta-leash', [small, large])).toBe(want);
  });
});

describe('lesson 4 reads which loss ended closer to pi_star', () => {
  const run = (kl: number) =>
    bandit(
      100,
      () => ({}),
      (t) => ({ 'kl/optimal': 10 + (kl - 10) * t, 'reward/true': 2, 'kl/reference': t }),
    );

  it.each([
    [5.6, 2.9, 'robust'],
    [2.9, 5.6, 'plain'],
    [5.6, 5.3, 'same'],
  ])('plain at %f, robust at %f: %s', (plain, robust, want) => {
    expect(outcome('noisy-labels', [run(plain), run(robust)])).toBe(want);
  });
});

describe('lesson 6 reads which divergence left the student more concentrated', () => {
  /** A teacher stage, then the distillation stage the lesson reads. */
  const run = (entropy: number, nll: number, reward: number): MetricRow[] => [
    { stage: 'sft', step: 25, entropy: 1, 'nll/model': 1.4 },
    ...[25, 50, 75].map((step) => ({
      stage: 'distill',
      step,
      entropy,
      'nll/model': nll,
      'nll/teacher': 1.4,
      'reward/true': reward,
    })),
  ];

  it.each([
    [run(2.37, 2.46, -59), run(2.15, 2.6, -56), 'seeks'],
    [run(2.15, 2.46, -59), run(2.37, 2.6, -56), 'covers'],
    [run(2.2, 2.46, -59), run(2.18, 2.6, -56), 'same'],
  ])('%#: %s', (forward, reverse, want) => {
    expect(outcome('forward-reverse-kl', [forward, reverse])).toBe(want);
  });

  it('quotes the distillation stage, not the teacher before it', () => {
    const reading = lesson('forward-reverse-kl').read([run(2.37, 2.46, -59), run(2.15, 2.6, -56)], fmt);
    expect(reading.figures.every((f) => f.stage === 'distill' && f.to === 75)).toBe(true);
    expect(reading.paragraphs.join(' ')).toContain('precision traded for coverage');
    const worse = lesson('forward-reverse-kl').read([run(2.37, 2.46, -50), run(2.15, 2.6, -56)], fmt);
    expect(worse.paragraphs.join(' ')).not.toContain('precision traded for coverage');
  });
});

describe('lesson 5 reads what DPO did to the length of the samples', () => {
  const run = (after: number): MetricRow[] => [
    ...[25, 150].map((step) => ({ stage: 'sft', step, 'samples/length': 5, 'reward/true': 3.5, 'nll/model': 1.6 })),
    ...[25, 150].map((step) => ({
      stage: 'dpo',
      step,
      'samples/length': after,
      'reward/true': 3 + 0.5 * after,
      'nll/model': 3,
      'kl/reference': 5,
      'rewards/margins': 0.7,
    })),
  ];

  it.each([
    [15, 'longer'],
    [5.5, 'same-length'],
    [3, 'shorter'],
  ])('from 5 tokens to %f: %s', (after, want) => {
    expect(outcome('verbosity', [run(after)])).toBe(want);
  });

  it('takes the length term out of the reward', () => {
    // 3.5 - 0.5 * 5 = 1 target token per sample before, 3 + 7.5 - 7.5 = 3 after; 0.2 and 0.2 per token.
    const text = lesson('verbosity')
      .read([run(15)], fmt)
      .paragraphs.join(' ');
    expect(text).toContain('counts target tokens, 1 per sample before and 3 after, or 0.2 and 0.2 per token');
    expect(text).toContain('after DPO, 15 (3 times as long)');
  });
});

describe('explain', () => {
  const l = lesson('dpo-implicit-reward');
  const rows = bandit(
    100,
    (t, s) => ({ 'rewards/margins': 3 * t + wiggle(s), 'rewards/accuracies': 0.9 }),
    (t) => ({ 'kl/optimal': 7 - 6 * t, 'reward/true': 2 + 4 * t, 'ranking/accuracy': 0.9, 'ranking/idealized': 0.91 }),
  );

  it('says whether the prediction was right, and quotes every figure', () => {
    const right = explain(l, [rows], 'closer', fmt);
    expect(right.correct).toBe(true);
    expect(right.verdict).toBe(`You predicted “${l.choices[0].text}”, and that is what the run shows.`);
    const wrong = explain(l, [rows], 'exact', fmt);
    expect(wrong.correct).toBe(false);
    expect(wrong.verdict).toContain('but the run shows “Much closer');
    const text = right.paragraphs.join('\n');
    for (const f of right.figures) expect(text).toContain(f.text);
    expect(text).toContain('fell from 6.4 to 1 nats between step 10 and step 100, 6.4 times closer');
  });

  it('refuses a prediction it does not offer, and runs it does not have', () => {
    expect(() => explain(l, [rows], 'maybe', fmt)).toThrow(/no choice "maybe"/);
    expect(() => explain(l, [rows, rows], 'closer', fmt)).toThrow(/needs 1 runs/);
  });
});
