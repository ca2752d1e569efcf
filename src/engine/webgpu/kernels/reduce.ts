// Geometry and per-device partials buffer of the two-level deterministic sum shared by elementwise.sum and mse.

import type { Tensor } from '../../backend';
import type { GpuContext } from '../context';
import { GpuTensor } from '../tensor';

/** Invocations per workgroup of the reductions (the shaders' `WG` override). */
export const WG = 256;
/** Elements per workgroup below which one workgroup does the whole sum (one launch instead of two). */
const PER_GROUP = WG * 16;
/** At most this many partials: the second level is always one workgroup over at most WG values. */
const MAX_GROUPS = WG;

/** Workgroups of the first level for n elements (1: a single launch suffices). */
export function reduceGroups(n: number): number {
  return Math.min(MAX_GROUPS, Math.ceil(n / PER_GROUP));
}

const scratch = new WeakMap<GpuContext, Tensor>();

/**
 * The partials buffer of this device, allocated on first use and kept for the device's life. Every reduction
 * shares it: dispatches run in issue order, so one sum's second level has read it before the next sum writes.
 */
export function partials(ctx: GpuContext): Tensor {
  let t = scratch.get(ctx);
  if (!t) {
    const buffer = ctx.device.createBuffer({
      label: 'scratch:partials',
      size: MAX_GROUPS * 4,
      usage: GPUBufferUsage.STORAGE,
    });
    t = new GpuTensor(buffer, [MAX_GROUPS], 'f32', 0, 'scratch:partials', null);
    scratch.set(ctx, t);
  }
  return t;
}
