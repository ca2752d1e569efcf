// CPU twin of shaders/metric.wgsl.

import type { MetricAt } from '../backend';
import type { F } from './types';

/** history[(clock % rows) * M + slot] = mean(a) | mean(a - b) | mean(a > b). */
export function metricForward(history: F, a: F, b: F | null, clock: number, at: MetricAt): void {
  let acc = 0;
  for (let i = 0; i < a.length; i++) {
    if (at.mode === 'mean') acc += a[i];
    else if (at.mode === 'diff') acc += a[i] - b![i];
    else acc += a[i] > b![i] ? 1 : 0;
  }
  history[(clock % at.rows) * at.M + at.slot] = acc / a.length;
}
