// Launch geometry shared by the kernels that reduce with shaders/rows.wgsl: rows (softmax, log_softmax, cross_entropy,
// sequence_logps, ...) and columns (the linear bias gradient, layernorm's dgamma and dbeta).

import { grid } from '../context';

/** Invocations per workgroup (the shaders' `WG` override). */
export const WG = 256;

/**
 * Invocations per row (the shaders' `TPR` override): a power of two near C/4, so a long row gets a whole
 * workgroup and short rows share one (C = 1 runs a row per invocation) instead of idling 255 lanes.
 */
export function rowLanes(C: number): number {
  let t = 1;
  while (t < WG && t * 4 < C) t *= 2;
  return t;
}

/** Constants and workgroups for R rows of C elements. */
export function rowLaunch(R: number, C: number): { constants: Record<string, number>; workgroups: [number, number] } {
  const TPR = rowLanes(C);
  return { constants: { WG, TPR }, workgroups: grid(Math.ceil(R / (WG / TPR))) };
}

/** Constants and workgroups for one reduction over a whole workgroup (a batch total). */
export function wholeLaunch(): { constants: Record<string, number>; workgroups: [number] } {
  return { constants: { WG, TPR: WG }, workgroups: [1] };
}

/** Constants and workgroups for column sums over C columns, COLS (a power of two dividing WG) per workgroup. */
export function colLaunch(
  C: number,
  COLS: number,
): { constants: Record<string, number>; workgroups: [number, number] } {
  return { constants: { WG, COLS }, workgroups: grid(Math.ceil(C / COLS)) };
}
