// Encoders for shaders/sequence_logps.wgsl: fused log-softmax + gather per token, then a fixed-order sum per
// sequence; the backward scales each token's softmax - onehot by dlogps (divided by the token count when averaging).

import type { SequenceDims, Tensor } from '../../backend';
import { packParams, type GpuContext } from '../context';
import { rowLaunch } from './rows';

/** One uniform layout serves every entry: B sequences of T tokens over a V-wide vocabulary. */
function sequenceParams(B: number, T: number, V: number): ArrayBuffer {
  return packParams([
    ['u32', B * T],
    ['u32', T],
    ['u32', V],
    ['u32', B],
  ]);
}

export function sequenceLogpsForward(
  ctx: GpuContext,
  logps: Tensor,
  logits: Tensor,
  targets: Tensor,
  mask: Tensor,
  { B, T, V, average }: SequenceDims,
): void {
  const params = sequenceParams(B, T, V);
  const tok = ctx.scratch('sequence_logps:tok', B * T);
  ctx.dispatch({
    shader: 'sequence_logps',
    entry: 'rows',
    params,
    bindings: [tok, logits, targets, mask],
    ...rowLaunch(B * T, V),
  });
  const { constants, workgroups } = rowLaunch(B, T);
  ctx.dispatch({
    shader: 'sequence_logps',
    entry: 'sums',
    constants: { ...constants, AVERAGE: average ? 1 : 0 },
    params,
    bindings: [logps, tok, mask],
    workgroups,
  });
}

/** Accumulates dlogits += dlogps[b] * mask * (onehot - softmax) (/ sum_t mask when average). */
export function sequenceLogpsBackward(
  ctx: GpuContext,
  dlogits: Tensor,
  dlogps: Tensor,
  logits: Tensor,
  targets: Tensor,
  mask: Tensor,
  { B, T, V, average }: SequenceDims,
): void {
  const params = sequenceParams(B, T, V);
  let coef = dlogps;
  if (average) {
    coef = ctx.scratch('sequence_logps:coef', B);
    ctx.dispatch({
      shader: 'sequence_logps',
      entry: 'counts',
      params,
      bindings: [coef, dlogps, mask],
      ...rowLaunch(B, T),
    });
  }
  ctx.dispatch({
    shader: 'sequence_logps',
    entry: 'backward',
    params,
    bindings: [dlogits, coef, logits, targets, mask],
    ...rowLaunch(B * T, V),
  });
}
