// Known phenomena, found in a run's own metric rows: both log-probs falling while the margin grows, the KL to the
// reference running away, the entropy collapsing, modes dropped. Each detection names the steps where it shows, says
// what happened in one sentence with the run's numbers, and names the preset whose lesson explains it. Pure:
// unit-tested.
//
// Every rule compares window means, never single points: the mean of the first and of the last twentieth of a stage's
// points (at least one point, at most 30), and a change counts only when it is larger than three standard errors of
// that difference, with the noise measured from the series itself (see `noise`). A flat or noisy series stays silent.
import type { Stage } from './config';
import type { ChartName, MetricName, MetricRow } from './metrics';
import { metricModel } from './metric-models';
import { ema } from './trends';

export type PhenomenonKind = 'both-logps-fall' | 'kl-runaway' | 'entropy-collapse' | 'modes-dropped';

export interface Phenomenon {
  kind: PhenomenonKind;
  /** A short label for the chart's marker. */
  label: string;
  /** The chart holding the metric it is read from. */
  chart: ChartName;
  /** The stage it shows in, by name. */
  stage: string;
  /** The steps where it shows, on the run's step axis (stages one after another, as the charts draw them). */
  from: number;
  to: number;
  /** What happened, in one sentence with the run's own numbers, and why. */
  sentence: string;
  /** Points in each end window whose means the sentence gives (1: single points). */
  window: number;
  /** The preset whose lesson explains it. */
  preset: string;
}

/** Share of a stage's points in each end window. */
const WINDOW_SHARE = 0.05;
const WINDOW_MAX = 30;
/** A change must exceed this many standard errors of the difference of two window means. */
const Z = 3;
/** The smallest fall of a log-prob that counts, in nats: below it the sentence would read "fell from -2.1 to -2.1". */
export const MIN_LOGP_FALL = 0.1;
/**
 * The KL to the reference runs away when, at the end of the stage, it is at least this many nats (the policy's own
 * samples are on average e times likelier under it than under the reference)...
 */
const KL_LARGE = 1;
/**
 * ...and it has not levelled off: over the last quarter of the stage it still grew, beyond the noise, at least this
 * share of its average rate over the whole stage.
 */
const KL_STILL_RISING = 0.25;
/** Entropy collapses when its end window mean is at most this share of its start window mean. */
const ENTROPY_KEPT = 0.5;
/** Modes are dropped when the model covers at least this many fewer than the reference (or than at its start). */
const MODES_FEWER = 1;

/** One metric of one stage: its finite points, x on the run's step axis. */
interface Points {
  xs: number[];
  ys: number[];
}

const mean = (ys: readonly number[]) => ys.reduce((a, b) => a + b, 0) / ys.length;

function median(ys: readonly number[]): number {
  const s = [...ys].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Points in each end window of a series of n points. */
export function windowSize(n: number): number {
  return Math.max(1, Math.min(WINDOW_MAX, Math.round(n * WINDOW_SHARE)));
}

/**
 * The standard deviation of a series' noise around its trend, from its successive differences (a trend shifts them
 * all alike, so their spread around their median is the noise, times sqrt 2): the median absolute deviation, scaled
 * to a standard deviation, robust to the odd spike.
 */
export function noise(ys: readonly number[]): number {
  if (ys.length < 3) return 0;
  const d = ys.slice(1).map((y, i) => y - ys[i]);
  const m = median(d);
  return (1.4826 * median(d.map((v) => Math.abs(v - m)))) / Math.SQRT2;
}

/** A series' start and end window means, and the standard error of their difference. */
export interface Ends {
  start: number;
  end: number;
  se: number;
}

export function ends(ys: readonly number[]): Ends {
  const w = windowSize(ys.length);
  return { start: mean(ys.slice(0, w)), end: mean(ys.slice(-w)), se: noise(ys) * Math.sqrt(2 / w) };
}

/** Whether a series ends above (+1) or below (-1) its start beyond the noise, by at least `min`; 0 otherwise. */
function direction(e: Ends, min = 0): -1 | 0 | 1 {
  const d = e.end - e.start;
  if (Math.abs(d) <= Math.max(Z * e.se, min)) return 0;
  return d > 0 ? 1 : -1;
}

/**
 * The step from which a series stays past the tenth of its change from start to end: its smoothed line (an EMA over
 * about a window of points) crosses that level there for the last time. The start of the stage's points if it never
 * sat on the other side.
 */
export function onset(p: Points, e: Ends): number {
  const level = e.start + 0.1 * (e.end - e.start);
  const up = e.end > e.start;
  const smooth = ema(p.ys, 1 - 1 / windowSize(p.ys.length));
  for (let i = smooth.length - 1; i >= 0; i--) if (up ? smooth[i] <= level : smooth[i] >= level) return p.xs[i];
  return p.xs[0];
}

/** The metrics of each stage: the rows it logged, each metric's finite points on the run's step axis. */
function stagePoints(rows: readonly MetricRow[], stages: readonly Stage[]) {
  const offset = new Map<string, { index: number; start: number }>();
  let at = 0;
  stages.forEach((s, index) => {
    if (!offset.has(s.name)) offset.set(s.name, { index, start: at });
    at += s.steps;
  });
  const out = stages.map(() => new Map<MetricName, Points>());
  for (const row of rows) {
    const o = offset.get(row.stage);
    if (!o) continue;
    for (const [key, y] of Object.entries(row)) {
      if (key === 'step' || typeof y !== 'number' || !Number.isFinite(y)) continue;
      const name = key as MetricName;
      let p = out[o.index].get(name);
      if (!p) out[o.index].set(name, (p = { xs: [], ys: [] }));
      p.xs.push(o.start + row.step);
      p.ys.push(y);
    }
  }
  return out;
}

/** The fewest points a metric needs in a stage before a rule reads it: two end windows and some room between. */
const MIN_POINTS = 5;

type Format = (v: number) => string;
type Detector = (stage: Stage, m: Map<MetricName, Points>, fmt: Format) => Omit<Phenomenon, 'stage'> | null;

function series(m: Map<MetricName, Points>, name: MetricName, min = MIN_POINTS): Points | null {
  const p = m.get(name);
  return p && p.ys.length >= min ? p : null;
}

/** 1. Both log-probs fall while the margin grows (offline DPO's likelihood displacement). */
export const bothLogpsFall: Detector = (_stage, m, fmt) => {
  const [c, r, h] = (['logps/chosen', 'logps/rejected', 'rewards/margins'] as const).map((n) => series(m, n));
  if (!c || !r || !h) return null;
  const [ec, er, eh] = [ends(c.ys), ends(r.ys), ends(h.ys)];
  if (direction(ec, MIN_LOGP_FALL) !== -1 || direction(er, MIN_LOGP_FALL) !== -1 || direction(eh) !== 1) return null;
  return {
    kind: 'both-logps-fall',
    label: 'both log-probs fall',
    chart: 'Log-probabilities',
    from: Math.max(onset(c, ec), onset(r, er), onset(h, eh)),
    to: c.xs[c.xs.length - 1],
    sentence:
      `logps/chosen fell from ${fmt(ec.start)} to ${fmt(ec.end)} and logps/rejected from ${fmt(er.start)} to ` +
      `${fmt(er.end)} while rewards/margins rose to ${fmt(eh.end)}: DPO only pushes the two apart, so it can widen ` +
      'the margin by lowering both and moving probability to responses the data never shows.',
    preset: 'dpo-sparse-coverage',
    window: windowSize(c.ys.length),
  };
};

/** 2. The KL to the reference runs away: large, and still rising when the stage ends. */
export const klRunaway: Detector = (stage, m, fmt) => {
  const p = series(m, 'kl/reference', 8);
  if (!p) return null;
  const n = p.ys.length;
  const e = ends(p.ys);
  if (e.end < KL_LARGE || direction(e) !== 1) return null;
  // The last quarter of the stage's points: how much it still grew there, against the noise and the average rate.
  const q = Math.max(4, Math.round(n / 4));
  const tail = ends(p.ys.slice(-q));
  const rate = (e.end - e.start) / (p.xs[n - 1] - p.xs[0]);
  const tailRate = (tail.end - tail.start) / (p.xs[n - 1] - p.xs[n - q]);
  if (direction(tail) !== 1 || tailRate < KL_STILL_RISING * rate) return null;
  const beta = 'beta' in stage ? stage.beta : undefined;
  const weak = beta === undefined ? 'the KL penalty' : `with beta = ${beta} the KL penalty`;
  // It shows from where the KL passed the large mark for good.
  const above = p.ys.findLastIndex((y) => y < KL_LARGE) + 1;
  const from = p.xs[Math.min(n - 1, above)];
  return {
    kind: 'kl-runaway',
    label: 'KL runs away',
    chart: 'KL',
    from,
    to: p.xs[n - 1],
    sentence:
      `kl/reference passed ${KL_LARGE} nat at step ${from} and reached ${fmt(e.end)} nats, still rising at the end ` +
      `(+${fmt(tail.end - tail.start)} over the last ${p.xs[n - 1] - p.xs[n - q]} steps): ${weak} is too weak to ` +
      'hold the policy near its reference; a larger beta keeps it close.',
    window: windowSize(n),
    preset: 'dpo-large-beta',
  };
};

/** 3. The entropy of the model collapses: it ends at half its start or less. */
export const entropyCollapse: Detector = (stage, m, fmt) => {
  const p = series(m, 'entropy');
  if (!p) return null;
  const e = ends(p.ys);
  if (!(e.start > 0) || e.end > ENTROPY_KEPT * e.start || direction(e) !== -1) return null;
  const model = metricModel(stage, 'entropy');
  const choices = (h: number) => fmt(Number(Math.exp(h).toPrecision(2)));
  return {
    kind: 'entropy-collapse',
    label: 'entropy collapses',
    chart: 'Entropy',
    from: onset(p, e),
    to: p.xs[p.xs.length - 1],
    sentence:
      `The ${model}'s entropy fell from ${fmt(e.start)} to ${fmt(e.end)} nats, ${Math.round((100 * e.end) / e.start)}% ` +
      `of its start: it now spreads over about ${choices(e.end)} equally likely choices instead of ` +
      `${choices(e.start)}, piling its mass on a few outputs, as a mode-seeking objective does.`,
    preset: 'distill-reverse-kl',
    window: windowSize(p.ys.length),
  };
};

/**
 * 4. Modes dropped: the model ends covering at least one mode fewer than the reference measured beside it (the
 * teacher, or Diffusion-DPO's frozen reference), or, with none logged, than at its own start.
 */
export const modesDropped: Detector = (stage, m, fmt) => {
  const p = series(m, 'diversity/modes_covered', 2);
  if (!p) return null;
  const e = ends(p.ys);
  const model = metricModel(stage, 'diversity/modes_covered');
  const ref = series(m, 'teacher/modes_covered', 2);
  const to = p.xs[p.xs.length - 1];
  const found = (from: number, sentence: string): Omit<Phenomenon, 'stage'> => ({
    kind: 'modes-dropped',
    label: 'modes dropped',
    chart: 'Modes covered',
    from,
    to,
    sentence,
    preset: 'diffusion-dmd-collapse',
    window: windowSize(p.ys.length),
  });
  const modes = (v: number) => `${fmt(v)} mode${fmt(v) === '1' ? '' : 's'}`;
  const why =
    'a mode-seeking objective (reverse KL, or preferences for some samples) is never punished for a missing mode.';
  if (ref) {
    const r = ends(ref.ys);
    if (r.end - e.end < MODES_FEWER) return null;
    // From the last point where the model still covered about as many modes as the reference.
    const level = (i: number) => ref.ys[Math.min(ref.ys.length - 1, i)] - MODES_FEWER / 2;
    let from = p.xs[0];
    for (let i = p.ys.length - 1; i >= 0; i--)
      if (p.ys[i] >= level(i)) {
        from = p.xs[i];
        break;
      }
    const refModel = metricModel(stage, 'teacher/modes_covered');
    return found(
      from,
      `The ${model} covers ${modes(e.end)} at the end against the ${refModel}'s ${fmt(r.end)}: ${why}`,
    );
  }
  if (e.start - e.end < MODES_FEWER || direction(e) !== -1) return null;
  return found(onset(p, e), `The ${model} went from covering ${modes(e.start)} to ${modes(e.end)}: ${why}`);
};

const DETECTORS = [bothLogpsFall, klRunaway, entropyCollapse, modesDropped];

/** Every phenomenon the run's rows show, stage by stage, in the order of the detectors. */
export function detectPhenomena(rows: readonly MetricRow[], stages: readonly Stage[], fmt: Format): Phenomenon[] {
  const perStage = stagePoints(rows, stages);
  return stages.flatMap((stage, i) =>
    DETECTORS.flatMap((detect) => {
      const found = perStage[i].size ? detect(stage, perStage[i], fmt) : null;
      return found ? [{ ...found, stage: stage.name }] : [];
    }),
  );
}

/** The lesson a preset teaches: its quick variant teaches the same one. */
const lesson = (preset: string) => preset.replace(/-quick$/, '');

/** The phenomena worth pointing out on a run of `preset` ('' for none): not the ones its own lesson explains. */
export function explainedElsewhere(found: readonly Phenomenon[], preset: string): Phenomenon[] {
  return found.filter((p) => !preset || lesson(p.preset) !== lesson(preset));
}
