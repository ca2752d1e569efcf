// How a logged metric moved: an exponential moving average that smooths a noisy per-step series, and one sentence
// that says where it went (a chart's summary in words). Pure: unit-tested.

/**
 * The bias-corrected exponential moving average of `ys` (Adam's correction, as TensorBoard smooths): m = w m + (1 - w) y
 * from m = 0, divided by 1 - w^n after n values, so the first points are not pulled toward 0. A non-finite value
 * stays non-finite and leaves the average as it was.
 */
export function ema(ys: readonly number[], weight: number): number[] {
  let m = 0;
  let decay = 1;
  return ys.map((y) => {
    if (!Number.isFinite(y)) return y;
    m = weight * m + (1 - weight) * y;
    decay *= weight;
    return m / (1 - decay);
  });
}

/** Share of its range by which a series must end above or below its start to have risen or fallen. */
const NET = 0.1;
/**
 * Share of its scale (its range, or its largest end if that is larger) by which an extreme must pass both ends to
 * be named: a spike or a dip, not the noise of a flat series.
 */
const EXTREME = 0.25;

/**
 * How a series moved, in one sentence: "rewards/margins rose from 0 to 1.62 over steps 1 to 400", with its peak or its
 * low where it went well past both ends. `format` writes a value.
 */
export function describeTrend(
  label: string,
  xs: readonly number[],
  ys: readonly number[],
  format: (v: number) => string,
): string {
  const idx = ys.flatMap((y, i) => (Number.isFinite(y) ? [i] : []));
  if (idx.length === 0) return ys.length ? `${label} is not finite.` : `${label} has no values yet.`;
  const [a, b] = [idx[0], idx[idx.length - 1]];
  const [first, last] = [ys[a], ys[b]];
  if (a === b) return `${label} is ${format(first)} at step ${xs[a]}.`;
  let [lo, hi] = [a, a];
  for (const i of idx) {
    if (ys[i] < ys[lo]) lo = i;
    if (ys[i] > ys[hi]) hi = i;
  }
  const range = ys[hi] - ys[lo];
  const over = `over steps ${xs[a]} to ${xs[b]}`;
  if (range === 0) return `${label} held at ${format(first)} ${over}.`;
  const net = last - first;
  const verb = Math.abs(net) < NET * range ? 'went' : net > 0 ? 'rose' : 'fell';
  const scale = Math.max(range, Math.abs(first), Math.abs(last));
  const extremes = [];
  if (ys[hi] > Math.max(first, last) + EXTREME * scale) extremes.push(`peaking at ${format(ys[hi])} (step ${xs[hi]})`);
  if (ys[lo] < Math.min(first, last) - EXTREME * scale) extremes.push(`lowest at ${format(ys[lo])} (step ${xs[lo]})`);
  const tail = extremes.length ? `, ${extremes.join(' and ')}` : '';
  return `${label} ${verb} from ${format(first)} to ${format(last)} ${over}${tail}.`;
}
