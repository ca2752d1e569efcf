// Science: each lesson, run at its own settings on the CPU backend, shows the phenomenon it teaches (the runs bear out
// the paper's answer), and its explanation quotes numbers computed from those runs.

import { describe, expect, it } from 'vitest';
import { parseConfig, type ExperimentInput } from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import { explain, findLesson, LESSONS, lessonRunConfig, type Lesson, type LessonRun } from '../../src/lab/lessons';
import type { MetricName, MetricRow } from '../../src/lab/metrics';
import { detectPhenomena } from '../../src/lab/phenomena';
import { findPreset } from '../../src/lab/presets';
import { cpu } from '../helpers/backends';

const fmt = (v: number) => String(Number(v.toPrecision(3)));

async function runConfig(config: ExperimentInput): Promise<MetricRow[]> {
  const exp = Experiment.create(cpu(), parseConfig(config));
  try {
    return await exp.runToEnd(undefined, 100);
  } finally {
    exp.dispose();
  }
}

/** Each lesson's runs, trained once for all the tests that read them. */
const trained = new Map<string, Promise<MetricRow[][]>>();
function runsOf(lesson: Lesson): Promise<MetricRow[][]> {
  let runs = trained.get(lesson.id);
  if (!runs)
    trained.set(lesson.id, (runs = Promise.all(lesson.runs.map((r: LessonRun) => runConfig(lessonRunConfig(r))))));
  return runs;
}
const last = (rows: MetricRow[], k: MetricName, stage?: string) =>
  rows.filter((r) => r[k] !== undefined && (!stage || r.stage === stage)).at(-1)![k]!;

describe.each(LESSONS.map((l) => [l.number, l] as const))('lesson %i', (_, lesson) => {
  it(
    `${lesson.title}: the runs bear out the answer, and the explanation quotes their numbers`,
    { timeout: 300_000 },
    async () => {
      const runs = await runsOf(lesson);
      const ex = explain(lesson, runs, lesson.answer, fmt);
      expect(ex.outcome).toBe(lesson.answer);
      expect(ex.correct).toBe(true);
      const text = ex.paragraphs.join('\n');
      expect(ex.figures.length).toBeGreaterThan(3);
      for (const f of ex.figures) {
        // Recomputed here from the run's rows: the mean of the metric over the figure's steps.
        const rows = runs[f.run].filter(
          (r) => r.stage === f.stage && r.step >= f.from && r.step <= f.to && r[f.metric] !== undefined,
        );
        expect(rows.length, f.label).toBeGreaterThan(0);
        const mean = rows.reduce((s, r) => s + (r[f.metric] as number), 0) / rows.length;
        expect(f.value).toBeCloseTo(mean, 10);
        expect(f.text).toBe(fmt(mean));
        expect(text, `the explanation quotes ${f.label}`).toContain(f.text);
      }
      const wrong = lesson.choices.find((c) => c.id !== lesson.answer)!;
      const missed = explain(lesson, runs, wrong.id, fmt);
      expect(missed.correct).toBe(false);
      expect(missed.verdict).toContain(wrong.text);
    },
  );
});

describe('the phenomena behind the lessons', () => {
  it('lesson 2: the detector marks both log-probs falling while the margin grows', async () => {
    const [rows] = await runsOf(findLesson('both-logps-fall')!);
    const stages = parseConfig(findPreset('dpo-sparse-coverage')!.config).stages;
    expect(detectPhenomena(rows, stages, fmt).map((p) => p.kind)).toContain('both-logps-fall');
  });

  it('lesson 3: the small beta pays several times the KL of the large one for its higher true reward', async () => {
    const [small, large] = await runsOf(findLesson('beta-leash')!);
    expect(last(small, 'kl/reference')).toBeGreaterThan(10 * last(large, 'kl/reference'));
    expect(last(small, 'reward/true')).toBeGreaterThan(last(large, 'reward/true') + 1);
  });

  it(
    'lesson 5: reverse KL gives up held-out likelihood for samples the oracle scores higher',
    { timeout: 300_000 },
    async () => {
      const [forward, reverse] = await runsOf(findLesson('forward-reverse-kl')!);
      expect(last(reverse, 'entropy', 'distill')).toBeLessThan(last(forward, 'entropy', 'distill') - 0.1);
      expect(last(reverse, 'nll/model', 'distill')).toBeGreaterThan(last(forward, 'nll/model', 'distill') + 0.05);
      expect(last(reverse, 'reward/true', 'distill')).toBeGreaterThan(last(forward, 'reward/true', 'distill'));
    },
  );
});
