// The charts' pure logic: stage spans and rules on the step axis, where their labels go, each chart's note, and
// how keys move the read-out, and which rows of a long run they are drawn from.
import { describe, expect, it } from 'vitest';
import { labelWidth, placeStageLabels, thinLogTicks, valueRange } from '../../src/app/chart-layout';
import { renderMarkdown } from '../../src/app/markdown';
import { CHART_NOTES, chartNote } from '../../src/lab/chart-notes';
import { parseConfig } from '../../src/lab/config';
import { findPreset, PRESETS } from '../../src/lab/presets';
import { METRICS } from '../../src/lab/metrics';
import type { MetricRow } from '../../src/lab/metrics';
import {
  chartRows,
  loggedSteps,
  smoothSeries,
  stageMarks,
  stageSpans,
  stepAfterKey,
  stepDomain,
  type Series,
} from '../../src/app/series';

const series = (xs: number[]): Series => ({
  key: 'k',
  metric: 'loss',
  model: 'policy',
  run: 0,
  owner: 'policy',
  unit: 'nats',
  label: 'loss · policy',
  hue: 0,
  xs,
  ys: xs.map(() => 1),
  pieces: [],
});

describe('stage boundaries', () => {
  const stages = stageSpans([
    { name: 'sft', steps: 400 },
    { name: 'distill', steps: 300 },
  ]);

  it('places each stage after the ones before it', () => {
    expect(stages).toEqual([
      { name: 'sft', start: 0, end: 400 },
      { name: 'distill', start: 400, end: 700 },
    ]);
  });

  it('starts the axis where the stage of the first point starts, and marks every stage start on it', () => {
    expect(stepDomain([series([25, 50, 425])], stages)).toEqual([0, 425]);
    expect(stageMarks(stages, [0, 425]).map((s) => s.name)).toEqual(['sft', 'distill']);
    // A metric only the second stage logs: its axis starts at that stage, with its rule.
    expect(stepDomain([series([401, 402, 500])], stages)).toEqual([400, 500]);
    expect(stageMarks(stages, [400, 500]).map((s) => s.name)).toEqual(['distill']);
    // A stage that has not started yet is not marked.
    expect(stageMarks(stages, [0, 300]).map((s) => s.name)).toEqual(['sft']);
  });

  it('marks nothing on a single-stage run and gives an empty chart a unit axis', () => {
    const one = stageSpans([{ name: 'dpo', steps: 400 }]);
    expect(stageMarks(one, stepDomain([series([10, 20])], one))).toEqual([]);
    expect(stepDomain([series([10, 20])], one)).toEqual([10, 20]);
    expect(stepDomain([], one)).toEqual([0, 1]);
    expect(stepDomain([series([7])], one)).toEqual([7, 8]);
  });
});

describe('stage labels', () => {
  it('sits right of its rule, or left of it where the plot ends', () => {
    const [a, b] = placeStageLabels(
      [
        { x: 60, text: 'teacher' },
        { x: 400, text: 'dmd' },
      ],
      406,
    );
    expect(a).toEqual({ x: 63, anchor: 'start', row: 0 });
    expect(b).toEqual({ x: 397, anchor: 'end', row: 0 });
  });

  it('moves a label that would overlap the previous one to the second row, then back to the first', () => {
    const placed = placeStageLabels(
      [
        { x: 60, text: 'teacher' },
        { x: 80, text: 'dmd' },
        { x: 200, text: 'dpo' },
      ],
      406,
    );
    expect(placed.map((p) => p.row)).toEqual([0, 1, 0]);
    expect(labelWidth('teacher')).toBeGreaterThan(20);
  });

  it('shares the second row once both are full', () => {
    const placed = placeStageLabels(
      [0, 5, 10, 15].map((x) => ({ x: 60 + x, text: 'stage' })),
      406,
    );
    expect(placed.map((p) => p.row)).toEqual([0, 1, 0, 1]);
  });
});

describe('chart notes', () => {
  it('gives every chart of the registry one sentence whose math KaTeX sets without an error', () => {
    const charts = [...new Set(METRICS.map((m) => m.chart))];
    expect(Object.keys(CHART_NOTES).sort()).toEqual([...charts].sort());
    for (const chart of charts) {
      const note = chartNote(chart);
      expect(note, chart).toMatch(/^\S.*[.]$/);
      expect(note.split('. ').length, `${chart}: one sentence`).toBe(1);
      const html = renderMarkdown(note);
      expect(html, chart).not.toContain('katex-error');
      if (note.includes('$')) expect(html, chart).toContain('class="katex"');
    }
    expect(chartNote('constructor')).toBe('');
  });

  it("gives the loss of each of the run's stages, for every preset", () => {
    const [sft, distill] = parseConfig(findPreset('distill-reverse-kl')!.config).stages;
    expect(chartNote('Loss', [sft, distill])).toBe(
      'What each stage minimizes, batch mean per step: $-\\log p_\\theta(y_t \\mid y_{<t})$ in SFT; ' +
        '$\\mathrm{KL}(p_S \\| p_T)$ per token in distillation.',
    );
    for (const p of PRESETS) {
      const note = chartNote('Loss', parseConfig(p.config).stages);
      expect(note.split('. ').length, p.name).toBe(1);
      expect(renderMarkdown(note), p.name).not.toContain('katex-error');
    }
  });
});

describe('the read-out by keys', () => {
  const steps = loggedSteps([series([10, 20, 30]), series([1, 2, 20])]);

  it('stops on every step some series logged', () => {
    expect(steps).toEqual([1, 2, 10, 20, 30]);
  });

  it('moves one logged step with the arrows and to the ends with Home and End', () => {
    expect(stepAfterKey(steps, 10, 'ArrowRight')).toBe(20);
    expect(stepAfterKey(steps, 10, 'ArrowLeft')).toBe(2);
    // From a pointer's step between two logged ones.
    expect(stepAfterKey(steps, 15, 'ArrowRight')).toBe(20);
    expect(stepAfterKey(steps, 15, 'ArrowLeft')).toBe(10);
    expect(stepAfterKey(steps, 30, 'ArrowRight')).toBe(30);
    expect(stepAfterKey(steps, 1, 'ArrowLeft')).toBe(1);
    expect(stepAfterKey(steps, 20, 'Home')).toBe(1);
    expect(stepAfterKey(steps, 2, 'End')).toBe(30);
  });

  it('starts from the latest step and ignores other keys', () => {
    expect(stepAfterKey(steps, null, 'ArrowLeft')).toBe(20);
    expect(stepAfterKey(steps, null, 'ArrowRight')).toBe(30);
    expect(stepAfterKey(steps, 10, 'a')).toBeNull();
    expect(stepAfterKey([], null, 'Home')).toBeNull();
  });
});

describe('smoothing', () => {
  it('restarts the EMA at each stage, so a stage is not averaged with the one before', () => {
    const [a, b] = stageSpans([
      { name: 'sft', steps: 2 },
      { name: 'dpo', steps: 2 },
    ]);
    const s: Series = {
      ...series([1, 2, 3, 4]),
      ys: [10, 10, 0, 0],
      pieces: [
        { from: 0, to: 2, span: a },
        { from: 2, to: 4, span: b },
      ],
    };
    expect(smoothSeries(s, 0.9).map((v) => Number(v.toFixed(9)))).toEqual([10, 10, 0, 0]);
  });
});

describe('the value axis', () => {
  it('spans the finite values only', () => {
    expect(valueRange([{ ys: [2, NaN, -1] }, { ys: [Infinity, 5] }])).toEqual({ lo: -1, hi: 5 });
    expect(valueRange([])).toEqual({ lo: Infinity, hi: -Infinity });
  });

  it('keeps 1, 2 and 5 of each decade of a log axis, or the powers of ten', () => {
    const decade = (p: number) => [1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => d * 10 ** p);
    expect(thinLogTicks([1, 2, 3])).toEqual([1, 2, 3]);
    expect(thinLogTicks([...decade(0), 10])).toEqual([1, 2, 5, 10]);
    expect(thinLogTicks([...decade(-1), ...decade(0), ...decade(1), 100])).toEqual([0.1, 1, 10, 100]);
  });
});

describe('the rows a long run is drawn from', () => {
  /** One row per step with the per-step loss; every `every` steps the period's metrics too, as stages log them. */
  const run = (stages: [string, number][], every: number): MetricRow[] =>
    stages.flatMap(([stage, steps]) =>
      Array.from({ length: steps }, (_, i) => {
        const step = i + 1;
        const row: MetricRow = { stage, step, loss: step };
        if (step % every === 0) row['rewards/margins'] = step;
        return row;
      }),
    );

  it('keeps every row of a run that fits', () => {
    const rows = run([['dpo', 900]], 10);
    expect(chartRows(rows, 10, 1000)).toBe(rows);
  });

  it('keeps at most the cap, at a stride that is a multiple of the metric period, with the latest row', () => {
    const rows = run([['dpo', 30_000]], 10);
    const kept = chartRows(rows, 10, 1000);
    expect(kept.length).toBeLessThanOrEqual(1000);
    expect(kept.length).toBeGreaterThan(400);
    expect(kept[0]).toBe(rows[0]);
    expect(kept.at(-1)).toBe(rows.at(-1));
    const inner = kept.slice(1, -1).map((r) => r.step);
    const stride = inner[1] - inner[0];
    expect(stride % 10).toBe(0);
    expect(inner.every((s) => s % stride === 0)).toBe(true);
    // Every kept step of the stride also has the period's metrics: no chart loses its line.
    expect(kept.slice(1, -1).every((r) => r['rewards/margins'] !== undefined)).toBe(true);
  });

  it("keeps each stage's first and last row, even a stage shorter than the stride", () => {
    const rows = run(
      [
        ['teacher', 20_000],
        ['student', 50],
        ['dpo', 20_000],
      ],
      10,
    );
    const kept = chartRows(rows, 10, 1000);
    expect(kept.length).toBeLessThanOrEqual(1000);
    const student = kept.filter((r) => r.stage === 'student').map((r) => r.step);
    expect(student[0]).toBe(1);
    expect(student.at(-1)).toBe(50);
    for (const stage of ['teacher', 'dpo']) {
      const steps = kept.filter((r) => r.stage === stage).map((r) => r.step);
      expect([steps[0], steps.at(-1)]).toEqual([1, 20_000]);
    }
  });
});
