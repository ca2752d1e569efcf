// How a logged metric moved: an exponential moving average that smooths a noisy per-step series. Pure: unit-tested.

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
