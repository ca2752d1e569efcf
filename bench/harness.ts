// Timing: warm-up excluded, batches sized to a target duration, each batch awaited on the GPU at its end.

export interface MeasureOptions {
  repeats: number;
  /** Aim for about this long per timed batch. */
  targetMs: number;
  maxIters: number;
}

export const FULL: MeasureOptions = { repeats: 5, targetMs: 600, maxIters: 2000 };
export const QUICK: MeasureOptions = { repeats: 3, targetMs: 200, maxIters: 500 };

/**
 * Warm up `run` (pipelines, bind groups, first-use allocations: not timed) and size a batch to about targetMs.
 * `run(k)` issues k iterations and resolves when the device has finished them (onSubmittedWorkDone or a readback).
 */
export async function calibrate(run: (k: number) => Promise<void>, opts: MeasureOptions): Promise<number> {
  await run(1);
  await run(1);
  const t0 = performance.now();
  await run(2);
  const once = Math.max((performance.now() - t0) / 2, 0.01);
  return Math.max(1, Math.min(opts.maxIters, Math.round(opts.targetMs / once)));
}

/** One timed batch of k iterations: the rate, iterations per second times `work` (e.g. GFLOP per iteration). */
export async function timeBatch(run: (k: number) => Promise<void>, k: number, work = 1): Promise<number> {
  const t0 = performance.now();
  await run(k);
  return (k * work) / ((performance.now() - t0) / 1000);
}
