// What a lesson is (a question, a prediction to commit to, the runs that answer it, an explanation from their own
// numbers) and the pure helpers its explanation reads the runs with: figures, each the mean of a metric over named
// steps of one run, so that a reader (or a test) can recompute every number from the run's exported rows.
import type { ExperimentInput } from '../config';
import type { ChartName, MetricName, MetricRow } from '../metrics';
import { ends, windowSize } from '../phenomena';
import { findPreset } from '../presets';

/** A paper the lesson follows. */
export interface Paper {
  authors: string;
  title: string;
  year: number;
  /** arXiv identifier, e.g. 2305.18290. */
  arxiv: string;
}

/** One answer the student can commit to. */
export interface Choice {
  id: string;
  text: string;
}

/** A run the lesson trains: a built-in preset, named by what sets it apart from the lesson's other runs. */
export interface LessonRun {
  label: string;
  preset: string;
  /** Steps of each stage, where the lesson trains fewer than the preset does (to fit a class). */
  steps?: readonly number[];
}

/** The config a lesson's run trains: its preset, with the lesson's step counts if it has its own. */
export function lessonRunConfig(run: LessonRun): ExperimentInput {
  const preset = findPreset(run.preset);
  if (!preset) throw new Error(`no preset "${run.preset}"`);
  const config = structuredClone(preset.config);
  const steps = run.steps;
  if (!steps) return config;
  if (steps.length !== config.stages.length) throw new Error(`${run.preset} has ${config.stages.length} stages`);
  return { ...config, stages: config.stages.map((s, i) => ({ ...s, steps: steps[i] })) };
}

/** A number the explanation quotes: the mean of one metric over steps [from, to] of one stage of one run. */
export interface Figure {
  /** Index of the run in the lesson's runs. */
  run: number;
  stage: string;
  metric: MetricName;
  from: number;
  to: number;
  value: number;
  /** The value as the explanation writes it. */
  text: string;
  /** What it is, in a few words ("kl/optimal at the end"). */
  label: string;
}

/** What the runs showed, read by the lesson: which choice it bears out, the figures and the paragraphs that use them. */
export interface Reading {
  /** The id of the choice the runs bear out. */
  outcome: string;
  figures: Figure[];
  /** Markdown with $math$; every figure's text appears in them. */
  paragraphs: string[];
}

export interface Explanation extends Reading {
  prediction: string;
  correct: boolean;
  /** One sentence: what was predicted, what happened, right or not. */
  verdict: string;
}

export type Format = (v: number) => string;

export interface Lesson {
  /** Stable id: the key of the student's progress. */
  id: string;
  number: number;
  title: string;
  paper: Paper;
  /** The setting and the formulas needed, before the question (Markdown with $math$). */
  intro: string;
  question: string;
  choices: readonly Choice[];
  /** The choice the paper predicts at the lesson's settings (the science tests check that the runs bear it out). */
  answer: string;
  runs: readonly LessonRun[];
  /** The charts worth looking at, in order. */
  charts: readonly ChartName[];
  /** Presets whose phenomenon this lesson explains: their "open the lesson" links come here. */
  explains: readonly string[];
  /** Reads the finished runs' rows (one list per run, in the order of `runs`). Pure. */
  read(runs: readonly (readonly MetricRow[])[], fmt: Format): Reading;
}

/** The rows of a run that logged a metric, in order. */
function logged(rows: readonly MetricRow[], metric: MetricName): MetricRow[] {
  return rows.filter((r) => typeof r[metric] === 'number' && Number.isFinite(r[metric]));
}

/** A figure over the given rows (all of one stage). */
function figureOf(run: number, rows: readonly MetricRow[], metric: MetricName, label: string, fmt: Format): Figure {
  if (!rows.length) throw new Error(`run ${run + 1} logged no ${metric}`);
  // One stage: its steps alone say which rows the figure covers.
  if (rows.some((r) => r.stage !== rows[0].stage)) throw new Error(`${metric}: a figure spans one stage`);
  const value = rows.reduce((s, r) => s + (r[metric] as number), 0) / rows.length;
  return {
    run,
    stage: rows[0].stage,
    metric,
    from: rows[0].step,
    to: rows[rows.length - 1].step,
    value,
    text: fmt(value),
    label,
  };
}

/** The mean of a metric over the first window of its logged points (the window of the phenomenon detectors). */
export function startFigure(run: number, rows: readonly MetricRow[], metric: MetricName, fmt: Format): Figure {
  const got = logged(rows, metric);
  const w = windowSize(got.length);
  return figureOf(run, got.slice(0, w), metric, w > 1 ? `${metric}, first ${w} points` : `${metric} at the start`, fmt);
}

/** The mean of a metric over the last window of its logged points. */
export function endFigure(run: number, rows: readonly MetricRow[], metric: MetricName, fmt: Format): Figure {
  const got = logged(rows, metric);
  const w = windowSize(got.length);
  return figureOf(run, got.slice(-w), metric, w > 1 ? `${metric}, last ${w} points` : `${metric} at the end`, fmt);
}

/** The last logged value of a metric. */
export function lastFigure(run: number, rows: readonly MetricRow[], metric: MetricName, fmt: Format): Figure {
  const got = logged(rows, metric);
  return figureOf(run, got.slice(-1), metric, `${metric} at the end`, fmt);
}

/** The first logged value of a metric. */
export function firstFigure(run: number, rows: readonly MetricRow[], metric: MetricName, fmt: Format): Figure {
  const got = logged(rows, metric);
  return figureOf(run, got.slice(0, 1), metric, `${metric} at the start`, fmt);
}

/**
 * Whether a metric ended above (+1) or below (-1) where it started, beyond three standard errors of its noise and by
 * at least `min`; 0 when the change is within them. Means of the end windows, as the phenomenon detectors read them.
 */
export function trend(rows: readonly MetricRow[], metric: MetricName, min = 0): -1 | 0 | 1 {
  const ys = logged(rows, metric).map((r) => r[metric] as number);
  const e = ends(ys);
  const d = e.end - e.start;
  if (ys.length < 3 || Math.abs(d) <= Math.max(3 * e.se, min)) return 0;
  return d > 0 ? 1 : -1;
}

/** "rose from a to b", "fell from a to b", or "stayed at a" when the two read the same. */
export function moved(a: Figure, b: Figure): string {
  if (a.text === b.text) return `stayed at ${a.text}`;
  return `${b.value > a.value ? 'rose' : 'fell'} from ${a.text} to ${b.text}`;
}

/** Compare the student's prediction with what the runs showed. */
export function explain(
  lesson: Lesson,
  runs: readonly (readonly MetricRow[])[],
  prediction: string,
  fmt: Format,
): Explanation {
  if (runs.length !== lesson.runs.length) throw new Error(`lesson ${lesson.id} needs ${lesson.runs.length} runs`);
  const reading = lesson.read(runs, fmt);
  const said = lesson.choices.find((c) => c.id === prediction);
  const seen = lesson.choices.find((c) => c.id === reading.outcome);
  if (!said) throw new Error(`lesson ${lesson.id} has no choice "${prediction}"`);
  if (!seen) throw new Error(`lesson ${lesson.id} read an outcome "${reading.outcome}" it does not offer`);
  const correct = said.id === seen.id;
  const verdict = correct
    ? `You predicted “${said.text}”, and that is what the run shows.`
    : `You predicted “${said.text}”, but the run shows “${seen.text}”.`;
  return { ...reading, prediction, correct, verdict };
}
