// From metric rows to chart series: metrics grouped by the registry's `chart` field, one series per metric, model
// and run, x on the run's step axis, in pieces of one stage each. Pure: unit-tested.
import { chartNote } from '../lab/chart-notes';
import type { Stage } from '../lab/config';
import { metricModel, metricUnit } from '../lab/metric-models';
import { METRICS, type MetricDef, type MetricName, type MetricRow } from '../lab/metrics';
import { ema } from '../lab/trends';

export interface SeriesRun {
  /** Shown in the legend when several runs are compared. */
  label: string;
  rows: readonly MetricRow[];
  stages: readonly Stage[];
}

export interface StageSpan {
  name: string;
  start: number;
  end: number;
}

/** The points of a series one stage logged: indices [from, to) of its xs, within the stage's span of steps. */
export interface Piece {
  from: number;
  to: number;
  span: StageSpan;
}

export interface Series {
  key: string;
  metric: MetricName;
  /** The model the metric measures in these stages (teacher, student, policy, hybrid, ...). */
  model: string;
  run: number;
  /** The model, and the run's label when runs are compared: what the legend writes after the metric. */
  owner: string;
  /** The unit of its values (a diffusion loss is an mse where a DPO loss is in nats). */
  unit: string;
  /** The metric and its owner, in one line. */
  label: string;
  /** Colour index within the chart: one per model (or per metric and model), shared by the runs compared. */
  hue: number;
  xs: number[];
  ys: number[];
  /** One piece per stage: lines break between stages, so a line never joins two objectives or models. */
  pieces: Piece[];
}

/** A stage rule on a chart: where a stage of one or more of the runs starts. */
export interface StageMark extends StageSpan {
  /** The runs (indices) whose stage starts here. */
  runs: number[];
  /** Another rule bears the same name (the runs' stages start at different steps): the rule names its runs. */
  ambiguous: boolean;
}

export interface ChartSpec {
  chart: string;
  /** The units of its series, one or several ("mse / nats" where a diffusion loss meets a DPO loss). */
  unit: string;
  /** What the chart shows, one line with its formula (Markdown with $math$). */
  note: string;
  metrics: MetricDef[];
  series: Series[];
  /** Points over all series: the chart's size for tests and read-outs. */
  points: number;
  /** The first run's stages on the step axis, from its config: where each starts and ends. */
  stages: StageSpan[];
  /** Each run's stages by run index, from its own config; empty for a run with no series on this chart. */
  runStages: StageSpan[][];
  /** Each run's label by run index (the legend's). */
  runLabels: string[];
}

/**
 * The most metric rows a run's charts are built from, about two per pixel of a chart's width. Charts, their
 * summaries and the phenomenon detectors are rebuilt from the rows on every metric batch: from all of a long run's
 * rows (the CPU backend logs thousands a second) that took the main thread seconds a batch, and the page stopped
 * answering clicks.
 */
export const CHART_ROWS = 1000;

/**
 * The rows a run's charts draw: all of them up to `cap`; past it, the rows at multiples of a step stride (the metric
 * period times a power of two, so every kept step also has the period's metrics), with each stage's first and last
 * row, the latest included. Exports keep every row.
 */
export function chartRows(rows: readonly MetricRow[], every: number, cap = CHART_ROWS): readonly MetricRow[] {
  if (rows.length <= cap) return rows;
  const n = rows.length;
  const edge = (i: number) =>
    i === 0 || i === n - 1 || rows[i - 1].stage !== rows[i].stage || rows[i + 1].stage !== rows[i].stage;
  const last = rows.reduce((m, r) => Math.max(m, r.step), 0);
  let stride = Math.max(1, every);
  // Indices kept; each doubling of the stride keeps a subset of the previous pass's.
  let kept = rows.flatMap((r, i) => (r.step % stride === 0 || edge(i) ? [i] : []));
  while (kept.length > cap && stride <= last) {
    stride *= 2;
    const s = stride;
    kept = kept.filter((i) => rows[i].step % s === 0 || edge(i));
  }
  return kept.map((i) => rows[i]);
}

/** Each stage's steps on the run's step axis: (start, end], stages one after another. */
export function stageSpans(stages: readonly { name: string; steps: number }[]): StageSpan[] {
  let at = 0;
  return stages.map((s) => ({ name: s.name, start: at, end: (at += s.steps) }));
}

/** The series of one run, by metric and model, in registry order and then in the order the stages logged them. */
function runSeries(run: SeriesRun, ri: number, compare: boolean): Series[] {
  const spans = stageSpans(run.stages);
  const stageIndex = new Map<string, number>();
  run.stages.forEach((s, i) => stageIndex.has(s.name) || stageIndex.set(s.name, i));
  const byKey = new Map<string, Series>();
  const models = new Map<string, string>();
  const modelOf = (si: number, metric: MetricName) => {
    const k = `${si}:${metric}`;
    let m = models.get(k);
    if (m === undefined) models.set(k, (m = metricModel(run.stages[si], metric)));
    return m;
  };
  for (const row of run.rows) {
    const si = stageIndex.get(row.stage) ?? 0;
    const span = spans[si];
    const x = (span?.start ?? 0) + row.step;
    for (const def of METRICS) {
      const y = row[def.name];
      if (typeof y !== 'number') continue;
      const model = run.stages[si] ? modelOf(si, def.name) : '';
      const key = `${ri}:${def.name}:${model}`;
      let s = byKey.get(key);
      if (!s) {
        const owner = [model, compare ? run.label : ''].filter(Boolean).join(' · ');
        const label = owner ? `${def.name} · ${owner}` : def.name;
        const unit = metricUnit(run.stages[si], def);
        s = { key, metric: def.name, model, run: ri, owner, label, unit, hue: 0, xs: [], ys: [], pieces: [] };
        byKey.set(key, s);
      }
      const last = s.pieces[s.pieces.length - 1];
      if (last?.span === span) last.to++;
      else s.pieces.push({ from: s.xs.length, to: s.xs.length + 1, span });
      s.xs.push(x);
      s.ys.push(y);
    }
  }
  const order = new Map(METRICS.map((m, i) => [m.name, i]));
  return [...byKey.values()].sort((a, b) => order.get(a.metric)! - order.get(b.metric)!);
}

/**
 * Whether two metrics of one run measure the same model in the same stage (the chosen and rejected rewards of the
 * policy): then colours tell the metrics apart. Otherwise they tell the models apart, and a model keeps its colour
 * when the metric that measures it changes name at a stage boundary (diversity/ of the teacher in its own stage,
 * teacher/ in the next).
 */
function metricsShareAModel(series: readonly Series[]): boolean {
  return series.some((a, i) =>
    series
      .slice(i + 1)
      .some(
        (b) =>
          a.run === b.run &&
          a.model === b.model &&
          a.metric !== b.metric &&
          a.pieces.some((p) => b.pieces.some((q) => q.span === p.span)),
      ),
  );
}

function assignHues(series: readonly Series[]): void {
  const byMetric = metricsShareAModel(series);
  const hues = new Map<string, number>();
  for (const s of series) {
    const k = byMetric ? `${s.metric}:${s.model}` : s.model;
    if (!hues.has(k)) hues.set(k, hues.size);
    s.hue = hues.get(k)!;
  }
}

/** Charts with data, in registry order; each has the series of its metrics in every run that logged them. */
export function buildCharts(runs: readonly SeriesRun[]): ChartSpec[] {
  const charts = new Map<string, ChartSpec>();
  const stages = runs.length ? stageSpans(runs[0].stages) : [];
  const defs = new Map(METRICS.map((m) => [m.name, m]));
  // The loss note names the loss of every stage of every run compared.
  const allStages = runs.flatMap((r) => r.stages);
  const runLabels = runs.map((r) => r.label);
  runs.forEach((run, ri) => {
    for (const s of runSeries(run, ri, runs.length > 1)) {
      const def = defs.get(s.metric)!;
      let c = charts.get(def.chart);
      if (!c) {
        c = {
          chart: def.chart,
          unit: '',
          note: chartNote(def.chart, allStages),
          metrics: [],
          series: [],
          points: 0,
          stages,
          runStages: runs.map(() => []),
          runLabels,
        };
        charts.set(def.chart, c);
      }
      if (!c.metrics.includes(def)) c.metrics.push(def);
      if (!c.runStages[ri].length) c.runStages[ri] = stageSpans(run.stages);
      c.series.push(s);
      c.points += s.xs.length;
    }
  });
  for (const c of charts.values()) {
    assignHues(c.series);
    c.unit = [...new Set(c.series.map((s) => s.unit))].join(' / ');
  }
  const order = [...new Set(METRICS.map((m) => m.chart))];
  return order.flatMap((name) => (charts.has(name) ? [charts.get(name)!] : []));
}

/** Index of the point of sorted `xs[from, to)` closest to x (-1 for none). */
export function nearest(xs: readonly number[], x: number, from = 0, to = xs.length): number {
  let lo = from;
  let hi = to - 1;
  if (hi < lo) return -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > from && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x)) return lo - 1;
  return lo;
}

/**
 * The point a read-out shows for a series at a step: the nearest one logged in the stage that step is in, or -1
 * where the series has no point in that stage (the teacher's nll/model is not read out in the student's stage).
 */
export function pointAt(s: Series, step: number): number {
  const piece = s.pieces.find((p) => p.span.start < step && step <= p.span.end);
  return piece ? nearest(s.xs, step, piece.from, piece.to) : -1;
}

/**
 * A chart's step axis: from the start of the stage its first point is in (so a rule marks where that stage
 * began) to its last point; a single point gets a unit-wide axis.
 */
export function stepDomain(series: readonly Series[], stages: readonly StageSpan[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    if (!s.xs.length) continue;
    lo = Math.min(lo, s.xs[0]);
    hi = Math.max(hi, s.xs[s.xs.length - 1]);
  }
  if (lo === Infinity) return [0, 1];
  const first = stages.find((st) => st.start < lo && lo <= st.end);
  if (first && stages.length > 1) lo = first.start;
  return [lo, hi > lo ? hi : lo + 1];
}

/** The stages whose start falls on the axis: each gets a rule and its name. A single stage has no boundary. */
export function stageMarks(stages: readonly StageSpan[], [lo, hi]: readonly [number, number]): StageSpan[] {
  if (stages.length < 2) return [];
  return stages.filter((st) => st.start >= lo && st.start < hi);
}

/**
 * The stage rules of a chart, each run's from its own config: one rule where runs start a stage at the same step,
 * and one per run where they start it at different steps.
 */
export function runStageMarks(
  runStages: readonly (readonly StageSpan[])[],
  domain: readonly [number, number],
): StageMark[] {
  const marks = new Map<string, StageMark>();
  runStages.forEach((spans, ri) => {
    for (const st of stageMarks(spans, domain)) {
      const key = `${st.start}:${st.name}`;
      const m = marks.get(key) ?? { ...st, runs: [], ambiguous: false };
      m.runs.push(ri);
      marks.set(key, m);
    }
  });
  const all = [...marks.values()].sort((a, b) => a.start - b.start);
  for (const m of all) m.ambiguous = all.some((o) => o !== m && o.name === m.name);
  return all;
}

/** Every step some series of the chart logged, sorted: where the keyboard cursor can stop. */
export function loggedSteps(series: readonly Series[]): number[] {
  const all = new Set<number>();
  for (const s of series) for (const x of s.xs) all.add(x);
  return [...all].sort((a, b) => a - b);
}

/**
 * Where a key moves the read-out cursor on the logged steps: one logged step left or right, Home and End to the
 * ends; null for a key that does not move it. No cursor reads the latest step, so the first step left goes to the
 * one before it.
 */
export function stepAfterKey(steps: readonly number[], at: number | null, key: string): number | null {
  if (!steps.length) return null;
  const last = steps[steps.length - 1];
  const from = at ?? last;
  switch (key) {
    case 'Home':
      return steps[0];
    case 'End':
      return last;
    case 'ArrowRight':
      return steps.find((s) => s > from) ?? last;
    case 'ArrowLeft':
      return steps.findLast((s) => s < from) ?? steps[0];
    default:
      return null;
  }
}

/** A series' EMA, restarted at each stage: the first points of a stage are not averaged with another objective's. */
export function smoothSeries(s: Series, weight: number): number[] {
  return s.pieces.flatMap((p) => ema(s.ys.slice(p.from, p.to), weight));
}
