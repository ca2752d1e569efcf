// Expected results a share link can carry: a few metrics at a few logged steps of the run that made it, and the
// device that computed them; and the check of a new run against them, bit for bit on the same device and within a
// stated tolerance across devices.

import * as v from 'valibot';
import type { BackendInfo } from '../engine/backend';
import { METRICS, isMetricName, type MetricDef, type MetricName, type MetricRow } from './metrics';
import { ShareLinkError, packJson, unpackJson } from './share';

/** Version of the results part of a link ("r1."), read apart from the config's version. */
export const RESULTS_VERSION = 1;
/** Logged steps and metrics per step a link carries: enough to catch a drift, small enough to stay in a URL. */
export const MAX_POINTS = 4;
export const MAX_METRICS = 4;
/**
 * Across devices (another backend, GPU or matmul kernel) a value matches when |actual - expected| is at most
 * REL_TOLERANCE times max(|expected|, SCALE_FLOOR): 0.1% of the value, and 1e-4 absolute near zero. Float32 runs
 * that sum in another order differ in the last bits of each op and drift apart slowly; a changed op or config
 * moves the metrics by far more.
 */
export const REL_TOLERANCE = 1e-3;
export const SCALE_FLOOR = 0.1;

/** What computed a run: the backend kind and, for WebGPU, the adapter and the matmul kernel it picked. */
export interface Device {
  backend: 'webgpu' | 'cpu';
  adapter: string;
}

export interface ResultPoint {
  /** The stage's name and the step within it, as the run's metric rows number them. */
  stage: string;
  step: number;
  /** Float32 values, as the run logged them. */
  values: Partial<Record<MetricName, number>>;
}

export interface Fingerprint {
  device: Device;
  points: ResultPoint[];
}

export class ResultsError extends Error {}

/** The device a backend runs on. The matmul kernel is part of it: the two variants sum in different orders. */
export function deviceOf(info: BackendInfo): Device {
  if (info.kind === 'cpu') return { backend: 'cpu', adapter: info.description };
  const adapter = [info.vendor, info.architecture, info.description].filter(Boolean).join(' · ');
  return { backend: 'webgpu', adapter: info.matmul ? `${adapter} (matmul ${info.matmul.variant})` : adapter };
}

export const sameDevice = (a: Device, b: Device): boolean => a.backend === b.backend && a.adapter === b.adapter;

/** Units of counts and shares: a last-bit difference can flip them by a whole pair or mode, so they come last. */
const DISCRETE_UNITS = new Set(['share', 'modes', 'steps', 'tokens']);

const finiteIn = (row: MetricRow): MetricDef[] =>
  METRICS.filter((m) => typeof row[m.name] === 'number' && Number.isFinite(row[m.name]));

/**
 * The metrics to fingerprint of a row: continuous ones first, one per chart, taking per-step and per-period
 * metrics in turn (a per-period metric reads the whole model, a per-step one the batch), then the rest.
 */
function pickMetrics(row: MetricRow): MetricName[] {
  const defs = finiteIn(row);
  const continuous = defs.filter((m) => !DISCRETE_UNITS.has(m.unit));
  const charts = new Set<string>();
  const firsts: MetricDef[] = [];
  for (const m of continuous) {
    if (charts.has(m.chart)) continue;
    charts.add(m.chart);
    firsts.push(m);
  }
  const step = firsts.filter((m) => m.cadence === 'step');
  const period = firsts.filter((m) => m.cadence === 'period');
  const turns: MetricDef[] = [];
  for (let i = 0; i < Math.max(step.length, period.length); i++) turns.push(...[step[i], period[i]].filter(Boolean));
  const order = [...turns, ...continuous, ...defs];
  return [...new Set(order.map((m) => m.name))].slice(0, MAX_METRICS);
}

/**
 * The fingerprint of a run's rows: up to MAX_POINTS logged steps spread over the run (the last one among them),
 * taken among the rows that log the most metrics of their stage (those of a metric period), and up to MAX_METRICS
 * metrics at each. Null when no row has a finite metric.
 */
export function pickFingerprint(rows: readonly MetricRow[], device: Device): Fingerprint | null {
  const most = new Map<string, number>();
  for (const r of rows) most.set(r.stage, Math.max(most.get(r.stage) ?? 0, finiteIn(r).length));
  const full = rows.filter((r) => finiteIn(r).length > 0 && finiteIn(r).length === most.get(r.stage));
  const n = Math.min(MAX_POINTS, full.length);
  if (n === 0) return null;
  const picked = [...new Set(Array.from({ length: n }, (_, i) => Math.ceil(((i + 1) * full.length) / n) - 1))];
  const points = picked.map((i) => {
    const row = full[i];
    const values: ResultPoint['values'] = {};
    for (const name of pickMetrics(row)) values[name] = Math.fround(row[name]!);
    return { stage: row.stage, step: row.step, values };
  });
  return { device, points };
}

/** The shortest decimal that reads back as the same float32 (at most 9 digits), so a link stays short and exact. */
function float32Decimal(x: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const y = Number(x.toPrecision(digits));
    if (Math.fround(y) === x) return y;
  }
  return Number(x.toPrecision(9));
}

/** The results part of a link: "r1." and the fingerprint as checksummed, deflated JSON. */
export function encodeResults(fp: Fingerprint): string {
  const points = fp.points.map((p) => ({
    stage: p.stage,
    step: p.step,
    values: Object.fromEntries(Object.entries(p.values).map(([k, x]) => [k, float32Decimal(Math.fround(x))])),
  }));
  const json = JSON.stringify({ v: RESULTS_VERSION, ...fp.device, points });
  return `r${RESULTS_VERSION}.${packJson(json)}`;
}

const ResultsSchema = v.object({
  v: v.literal(RESULTS_VERSION),
  backend: v.picklist(['webgpu', 'cpu']),
  adapter: v.pipe(v.string(), v.maxLength(200)),
  points: v.pipe(
    v.array(
      v.object({
        stage: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_-]{0,23}$/)),
        step: v.pipe(v.number(), v.integer(), v.minValue(1)),
        values: v.record(v.string(), v.pipe(v.number(), v.finite())),
      }),
    ),
    v.minLength(1),
    v.maxLength(MAX_POINTS),
  ),
});

/** The fingerprint a link's results part holds, or a ResultsError saying plainly what is wrong with it. */
export function decodeResults(part: string): Fingerprint {
  const m = /^r(\d+)\.(.*)$/s.exec(part);
  if (!m) throw new ResultsError('they are not in any results format PrefLab knows');
  const version = Number(m[1]);
  if (version !== RESULTS_VERSION)
    throw new ResultsError(
      version > RESULTS_VERSION
        ? `they were written by a newer version of PrefLab (results format r${version})`
        : `they use the retired results format r${version}`,
    );
  if (m[2] === '') throw new ResultsError('the link holds no results after "r1."');
  let input: unknown;
  try {
    input = unpackJson(m[2], 'a set of results');
  } catch (e) {
    if (e instanceof ShareLinkError) throw new ResultsError(e.message);
    throw e;
  }
  const res = v.safeParse(ResultsSchema, input);
  if (!res.success) throw new ResultsError('the link is damaged: its results are not in the form PrefLab writes');
  const points: ResultPoint[] = [];
  for (const p of res.output.points) {
    const names = Object.keys(p.values);
    const unknown = names.find((k) => !isMetricName(k));
    if (unknown !== undefined) throw new ResultsError(`they name a metric this PrefLab does not log: ${unknown}`);
    if (names.length === 0 || names.length > MAX_METRICS)
      throw new ResultsError(`a step holds ${names.length} metrics, where a link holds 1 to ${MAX_METRICS}`);
    const values: ResultPoint['values'] = {};
    for (const name of names as MetricName[]) values[name] = Math.fround(p.values[name]);
    points.push({ stage: p.stage, step: p.step, values });
  }
  return { device: { backend: res.output.backend, adapter: res.output.adapter }, points };
}

/** How far a logged value is from the expected one, relative to max(|expected|, SCALE_FLOOR); Infinity if absent. */
export function difference(actual: number | undefined, expected: number): number {
  if (actual === undefined || !Number.isFinite(actual)) return Infinity;
  return Math.abs(Math.fround(actual) - expected) / Math.max(Math.abs(expected), SCALE_FLOOR);
}

export type ResultsCheck =
  | { state: 'pending'; checked: number; total: number; exact: boolean }
  | { state: 'reproduced'; worst: number; exact: boolean }
  | {
      state: 'drifted';
      stage: string;
      step: number;
      metric: MetricName;
      /** The value this run logged, or null when it did not log the metric at that step. */
      actual: number | null;
      expected: number;
      exact: boolean;
    };

/**
 * A run's rows against a link's results. `exact` (the same device) requires every value bit for bit, as float32;
 * across devices each must be within REL_TOLERANCE. The first mismatch in run order is the drift; the run has
 * reproduced the link once it passed every step the link holds, and `worst` is the largest difference seen. A run
 * that `ended` without logging one of those steps drifted there.
 */
export function checkResults(fp: Fingerprint, rows: readonly MetricRow[], here: Device, ended = false): ResultsCheck {
  const exact = sameDevice(fp.device, here);
  const key = (stage: string, step: number) => `${stage}\u0000${step}`;
  const wanted = new Set(fp.points.map((p) => key(p.stage, p.step)));
  const found = new Map<string, MetricRow>();
  for (const r of rows) if (wanted.has(key(r.stage, r.step))) found.set(key(r.stage, r.step), r);
  let worst = 0;
  let checked = 0;
  for (const p of fp.points) {
    const row = found.get(key(p.stage, p.step));
    if (!row && ended) {
      const [metric, expected] = Object.entries(p.values)[0] as [MetricName, number];
      return { state: 'drifted', stage: p.stage, step: p.step, metric, actual: null, expected, exact };
    }
    if (!row) continue;
    checked++;
    for (const [name, expected] of Object.entries(p.values) as [MetricName, number][]) {
      const actual = row[name];
      const d = difference(actual, expected);
      const ok = exact ? actual !== undefined && Math.fround(actual) === expected : d <= REL_TOLERANCE;
      if (!ok) {
        const logged = actual === undefined || Number.isNaN(actual) ? null : actual;
        return { state: 'drifted', stage: p.stage, step: p.step, metric: name, actual: logged, expected, exact };
      }
      worst = Math.max(worst, d);
    }
  }
  if (checked < fp.points.length) return { state: 'pending', checked, total: fp.points.length, exact };
  return { state: 'reproduced', worst, exact };
}

/** Two values with just enough digits (3 to 9) that they read differently, when they differ as float32. */
export function distinctDigits(actual: number, expected: number): [string, string] {
  const a = Math.fround(actual);
  for (let digits = 3; digits < 9; digits++) {
    const pair: [string, string] = [
      String(Number(a.toPrecision(digits))),
      String(Number(expected.toPrecision(digits))),
    ];
    if (pair[0] !== pair[1] || a === expected) return pair;
  }
  return [String(Number(a.toPrecision(9))), String(Number(expected.toPrecision(9)))];
}

/** A share link's fragment: the config and, when given, the results its run logged. */
export function encodeLink(fragment: string, fp: Fingerprint | null): string {
  return fp ? `${fragment}.${encodeResults(fp)}` : fragment;
}
