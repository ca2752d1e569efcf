// Known phenomena found in a run's own rows: each detector fires on synthetic rows that show it, with the steps and
// the numbers in its sentence, and stays silent on noise, on flat series and on series that move the other way.
import { describe, expect, it } from 'vitest';
import { parseConfig, type Stage } from '../../src/lab/config';
import type { MetricName, MetricRow } from '../../src/lab/metrics';
import { detectPhenomena, ends, explainedElsewhere, noise, windowSize } from '../../src/lab/phenomena';
import { findPreset } from '../../src/lab/presets';

const stagesOf = (name: string) => parseConfig(findPreset(name)!.config).stages;
const fmt = (v: number) => String(Number(v.toPrecision(3)));

/** A deterministic noise in [-1, 1] (a fixed LCG), so a test fails the same way every time. */
function noiseGen(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

/** Rows of one stage: `steps` steps, each metric a function of the step (t in [0, 1]) plus noise of size `amp`. */
function rows(
  stage: string,
  steps: number,
  metrics: Partial<Record<MetricName, (t: number) => number>>,
  { amp = 0, every = 1, seed = 1 }: { amp?: number; every?: number; seed?: number } = {},
): MetricRow[] {
  const rnd = noiseGen(seed);
  const out: MetricRow[] = [];
  for (let s = every; s <= steps; s += every) {
    const row: MetricRow = { stage, step: s };
    for (const [name, f] of Object.entries(metrics) as [MetricName, (t: number) => number][])
      row[name] = f(s / steps) + amp * rnd();
    out.push(row);
  }
  return out;
}

const kinds = (rs: MetricRow[], stages: readonly Stage[]) => detectPhenomena(rs, stages, fmt).map((p) => p.kind);

describe('window means and noise', () => {
  it('takes a twentieth of the points at each end, at least one and at most 30', () => {
    expect(windowSize(3)).toBe(1);
    expect(windowSize(100)).toBe(5);
    expect(windowSize(4000)).toBe(30);
  });

  it('measures the noise around a trend, not the trend', () => {
    const line = Array.from({ length: 200 }, (_, i) => i * 0.5);
    expect(noise(line)).toBeCloseTo(0, 12);
    const rnd = noiseGen(3);
    const noisy = line.map((y) => y + rnd());
    // Uniform noise in [-1, 1] has a standard deviation of 1 / sqrt 3 = 0.58.
    expect(noise(noisy)).toBeGreaterThan(0.4);
    expect(noise(noisy)).toBeLessThan(0.8);
    // The means of the first and last 10 points: 0 to 4.5, 95 to 99.5.
    const e = ends(noisy);
    expect(e.start).toBeCloseTo(2.25, 0);
    expect(e.end).toBeCloseTo(97.25, 0);
  });
});

describe('both log-probs falling while the margin grows', () => {
  const [dpo] = stagesOf('dpo-bandit');
  const displaced = {
    'logps/chosen': (t: number) => -2 - 2 * t,
    'logps/rejected': (t: number) => -2.3 - 8 * t,
    'rewards/margins': (t: number) => 3 * t,
  };

  it('is found in a stage where both fall and the margin rises, with its numbers and its lesson', () => {
    const found = detectPhenomena(rows('dpo', 400, displaced, { amp: 0.3 }), [dpo], fmt);
    expect(found.map((p) => p.kind)).toEqual(['both-logps-fall']);
    const [p] = found;
    expect(p.chart).toBe('Log-probabilities');
    expect(p.preset).toBe('dpo-sparse-coverage');
    expect(p.stage).toBe('dpo');
    expect(p.to).toBe(400);
    // It shows from about where the chosen log-prob has clearly left its start.
    expect(p.from).toBeGreaterThan(10);
    expect(p.from).toBeLessThan(120);
    expect(p.sentence).toMatch(/^logps\/chosen fell from -2\.\d+ to -3\.9\d* and logps\/rejected from -2\.\d+ to -10/);
    expect(p.sentence).toMatch(/while rewards\/margins rose to (2\.9\d*|3): DPO only pushes the two apart/);
  });

  it('stays silent when the chosen log-prob rises, when all are flat, and on noise alone', () => {
    const rising = { ...displaced, 'logps/chosen': (t: number) => -2 + 0.5 * t };
    expect(kinds(rows('dpo', 400, rising, { amp: 0.3 }), [dpo])).toEqual([]);
    const flat = { 'logps/chosen': () => -2, 'logps/rejected': () => -2.3, 'rewards/margins': () => 0 };
    expect(kinds(rows('dpo', 400, flat), [dpo])).toEqual([]);
    for (const seed of [1, 2, 3, 4, 5]) expect(kinds(rows('dpo', 400, flat, { amp: 1, seed }), [dpo])).toEqual([]);
  });

  it('stays silent when the margin does not grow', () => {
    const noMargin = { ...displaced, 'rewards/margins': () => 0.2 };
    expect(kinds(rows('dpo', 400, noMargin, { amp: 0.3 }), [dpo])).toEqual([]);
  });

  it('needs a fall of a tenth of a nat: a tiny drift on a smooth series is not the phenomenon', () => {
    const tiny = { ...displaced, 'logps/chosen': (t: number) => -2 - 0.05 * t };
    expect(kinds(rows('dpo', 400, tiny), [dpo])).toEqual([]);
  });
});

describe('KL to the reference running away', () => {
  const [dpo] = stagesOf('dpo-bandit');
  const period = { every: 10 };

  it('is found when the KL is large and still rising at the end, naming beta', () => {
    const found = detectPhenomena(
      rows('dpo', 400, { 'kl/reference': (t) => 2 * t }, { ...period, amp: 0.05 }),
      [dpo],
      fmt,
    );
    expect(found.map((p) => p.kind)).toEqual(['kl-runaway']);
    expect(found[0].chart).toBe('KL');
    expect(found[0].preset).toBe('dpo-large-beta');
    // It shows from where it passed 1 nat for good: 2 t >= 1 from step 200.
    expect([found[0].from, found[0].to]).toEqual([200, 400]);
    expect(found[0].sentence).toMatch(
      /^kl\/reference passed 1 nat at step 200 and reached (1\.9\d*|2) nats, still rising/,
    );
    expect(found[0].sentence).toContain('with beta = 0.5 the KL penalty is too weak');
  });

  it('stays silent once the KL levels off, however large', () => {
    const levelled = (t: number) => 3.5 * (1 - Math.exp(-10 * t));
    expect(kinds(rows('dpo', 600, { 'kl/reference': levelled }, { ...period, amp: 0.02 }), [dpo])).toEqual([]);
  });

  it('stays silent on a small KL that creeps up, on a falling one and on noise', () => {
    expect(kinds(rows('dpo', 400, { 'kl/reference': (t) => 0.05 * t }, period), [dpo])).toEqual([]);
    expect(kinds(rows('dpo', 400, { 'kl/reference': (t) => 3 - 2 * t }, period), [dpo])).toEqual([]);
    for (const seed of [1, 2, 3])
      expect(kinds(rows('dpo', 400, { 'kl/reference': () => 1.5 }, { ...period, amp: 0.5, seed }), [dpo])).toEqual([]);
  });
});

describe('entropy collapsing', () => {
  const [dpo] = stagesOf('dpo-bandit');
  const period = { every: 10 };

  it('is found when the entropy ends at half its start or less, in choices a student can picture', () => {
    const collapse = (t: number) => 2.7 * Math.exp(-3 * t);
    const found = detectPhenomena(rows('dpo', 600, { entropy: collapse }, { ...period, amp: 0.02 }), [dpo], fmt);
    expect(found.map((p) => p.kind)).toEqual(['entropy-collapse']);
    expect(found[0].chart).toBe('Entropy');
    expect(found[0].preset).toBe('distill-reverse-kl');
    expect(found[0].sentence).toMatch(/^The policy's entropy fell from 2\.\d+ to 0\.1\d* nats, 5% of its start/);
    expect(found[0].sentence).toMatch(/about 1\.1 equally likely choices instead of 1\d/);
  });

  it('stays silent on a fall of a third, on a rising entropy, and on noise', () => {
    expect(kinds(rows('dpo', 600, { entropy: (t) => 2 - 0.7 * t }, period), [dpo])).toEqual([]);
    expect(kinds(rows('dpo', 600, { entropy: (t) => 1 + t }, period), [dpo])).toEqual([]);
    for (const seed of [1, 2, 3])
      expect(kinds(rows('dpo', 600, { entropy: () => 1 }, { ...period, amp: 0.9, seed }), [dpo])).toEqual([]);
  });
});

describe('modes dropping', () => {
  const [teacher, dmd] = stagesOf('diffusion-dmd-collapse');
  const spanT = teacher.steps;
  const every = { every: 100 };

  it("is found when the student ends a mode or more below the teacher's, on the run's step axis", () => {
    const rs = [
      ...rows('teacher', spanT, { 'diversity/modes_covered': (t) => Math.round(8 * t) }, every),
      ...rows(
        'dmd',
        600,
        { 'diversity/modes_covered': (t) => (t < 0.4 ? 8 : 5), 'teacher/modes_covered': () => 8 },
        every,
      ),
    ];
    const found = detectPhenomena(rs, [teacher, dmd], fmt);
    expect(found.map((p) => p.kind)).toEqual(['modes-dropped']);
    const [p] = found;
    expect(p.stage).toBe('dmd');
    expect(p.chart).toBe('Modes covered');
    expect(p.preset).toBe('diffusion-dmd-collapse');
    // It shows after the last point where the student still had the teacher's modes (dmd step 200).
    expect([p.from, p.to]).toEqual([spanT + 200, spanT + 600]);
    expect(p.sentence).toMatch(/^The student covers 5 modes at the end against the teacher's 8:/);
    const one = rows('dmd', 600, { 'diversity/modes_covered': () => 1, 'teacher/modes_covered': () => 8 }, every);
    expect(detectPhenomena(one, [teacher, dmd], fmt)[0].sentence).toMatch(/^The student covers 1 mode at the end/);
  });

  it("names Diffusion-DPO's frozen reference", () => {
    const [, ddpo] = stagesOf('diffusion-dpo');
    const rs = rows(
      'ddpo',
      400,
      { 'diversity/modes_covered': (t) => 8 - 4 * t, 'teacher/modes_covered': () => 8 },
      every,
    );
    const [p] = detectPhenomena(rs, [teacher, ddpo], fmt);
    expect(p.sentence).toMatch(/^The policy covers 4 modes at the end against the reference's 8:/);
  });

  it('stays silent when the student keeps the modes, or is off by less than one', () => {
    const same = rows('dmd', 600, { 'diversity/modes_covered': () => 8, 'teacher/modes_covered': () => 8 }, every);
    expect(kinds(same, [teacher, dmd])).toEqual([]);
    const flicker = rows(
      'dmd',
      600,
      { 'diversity/modes_covered': (t) => ((t * 10) % 2 < 1 ? 8 : 7), 'teacher/modes_covered': () => 8 },
      { every: 50 },
    );
    expect(kinds(flicker, [teacher, dmd])).toEqual([]);
    // The teacher's own stage: its modes rise from none, which is learning, not a drop.
    expect(kinds(rows('teacher', spanT, { 'diversity/modes_covered': (t) => 8 * t }, every), [teacher])).toEqual([]);
  });
});

describe('which phenomena a run points out', () => {
  const p = (preset: string) => ({ preset }) as Parameters<typeof explainedElsewhere>[0][number];

  it('drops those its own preset explains (its quick variant too) and keeps all on a custom run', () => {
    const found = [p('dpo-sparse-coverage'), p('diffusion-dmd-collapse')];
    expect(explainedElsewhere(found, 'dpo-sparse-coverage')).toEqual([found[1]]);
    expect(explainedElsewhere(found, 'diffusion-dmd-collapse-quick')).toEqual([found[0]]);
    expect(explainedElsewhere(found, '')).toEqual(found);
    expect(explainedElsewhere(found, 'dpo-bandit')).toEqual(found);
  });

  it('reads nothing from rows of a stage the config does not have, or from too few points', () => {
    const [dpo] = stagesOf('dpo-bandit');
    expect(kinds(rows('other', 400, { entropy: (t) => 2 - 2 * t }, { every: 10 }), [dpo])).toEqual([]);
    expect(kinds(rows('dpo', 30, { entropy: (t) => 2 - 2 * t }, { every: 10 }), [dpo])).toEqual([]);
  });
});
