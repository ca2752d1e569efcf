// From metric rows to chart series: metrics grouped by the registry's `chart` field, one series per metric and run,
// x on the run's step axis. Pure: unit-tested.
import { METRICS, type MetricDef, type MetricName, type MetricRow } from '../lab/metrics';
import { stageOffsets } from './progress';

export interface SeriesRun {
  /** Shown in the legend when several runs are compared. */
  label: string;
  rows: readonly MetricRow[];
  stages: readonly { name: string; steps: number }[];
}

export interface Series {
  key: string;
  metric: MetricName;
  run: number;
  label: string;
  xs: number[];
  ys: number[];
}

export interface ChartSpec {
  chart: string;
  unit: string;
  metrics: MetricDef[];
  series: Series[];
  /** Points over all series: the chart's size for tests and read-outs. */
  points: number;
  /** The first run's stages on the step axis, from its config: where each starts and ends. */
  stages: StageSpan[];
}

export interface StageSpan {
  name: string;
  start: number;
  end: number;
}

/** Each stage's steps on the run's step axis: (start, end], stages one after another. */
export function stageSpans(stages: readonly { name: string; steps: number }[]): StageSpan[] {
  let at = 0;
  return stages.map((s) => ({ name: s.name, start: at, end: (at += s.steps) }));
}

/** Charts with data, in registry order; each has the series of its metrics in every run that logged them. */
export function buildCharts(runs: readonly SeriesRun[]): ChartSpec[] {
  const charts = new Map<string, ChartSpec>();
  const stages = runs.length ? stageSpans(runs[0].stages) : [];
  const compare = runs.length > 1;
  runs.forEach((run, ri) => {
    const offsets = stageOffsets(run.stages);
    const byMetric = new Map<MetricName, Series>();
    for (const row of run.rows) {
      const x = (offsets.get(row.stage) ?? 0) + row.step;
      for (const def of METRICS) {
        const y = row[def.name];
        if (typeof y !== 'number') continue;
        let s = byMetric.get(def.name);
        if (!s) {
          s = {
            key: `${ri}:${def.name}`,
            metric: def.name,
            run: ri,
            label: compare ? `${def.name} · ${run.label}` : def.name,
            xs: [],
            ys: [],
          };
          byMetric.set(def.name, s);
        }
        s.xs.push(x);
        s.ys.push(y);
      }
    }
    for (const def of METRICS) {
      const s = byMetric.get(def.name);
      if (!s) continue;
      let c = charts.get(def.chart);
      if (!c) {
        c = { chart: def.chart, unit: def.unit, metrics: [], series: [], points: 0, stages };
        charts.set(def.chart, c);
      }
      if (!c.metrics.includes(def)) c.metrics.push(def);
      c.series.push(s);
      c.points += s.xs.length;
    }
  });
  const order = [...new Set(METRICS.map((m) => m.chart))];
  return order.flatMap((name) => (charts.has(name) ? [charts.get(name)!] : []));
}

/** Index of the point of sorted `xs` closest to x. */
export function nearest(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  if (hi < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x)) return lo - 1;
  return lo;
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
