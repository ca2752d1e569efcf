// Encoder for shaders/metric.wgsl.

import type { MetricAt, Tensor } from '../../backend';
import { packParams, type GpuContext } from '../context';

const MODES = { mean: 0, diff: 1, greater: 2 } as const;

export function logMetric(
  ctx: GpuContext,
  history: Tensor,
  a: Tensor,
  b: Tensor | null,
  clock: Tensor,
  at: MetricAt,
): void {
  ctx.dispatch({
    shader: 'metric',
    constants: { MODE: MODES[at.mode] },
    params: packParams([
      ['u32', a.size],
      ['u32', at.slot],
      ['u32', at.M],
      ['u32', at.rows],
    ]),
    bindings: [history, a, b ?? a, clock],
    workgroups: [1],
  });
}
