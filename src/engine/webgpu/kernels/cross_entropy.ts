// Encoders for shaders/cross_entropy.wgsl: per-row losses then one fixed-order sum (forward); the mask total
// then the fused softmax - onehot rows (backward).

import type { Tensor } from '../../backend';
import { packParams, type GpuContext } from '../context';
import { rowLaunch, wholeLaunch } from './rows';

/** loss[1] = sum(mask * nll) / sum(mask), 0 when sum(mask) is 0. */
export function crossEntropyForward(
  ctx: GpuContext,
  loss: Tensor,
  logits: Tensor,
  targets: Tensor,
  mask: Tensor,
  { R, V }: { R: number; V: number },
): void {
  const params = packParams([
    ['u32', R],
    ['u32', V],
    ['f32', 0],
  ]);
  const nll = ctx.scratch('cross_entropy:nll', R);
  ctx.dispatch({
    shader: 'cross_entropy',
    entry: 'rows',
    params,
    bindings: [nll, logits, targets, mask],
    ...rowLaunch(R, V),
  });
  ctx.dispatch({ shader: 'cross_entropy', entry: 'total', params, bindings: [loss, nll, mask], ...wholeLaunch() });
}

/** Accumulates dlogits += scale * mask * (softmax - onehot) / sum(mask) (nothing when sum(mask) is 0). */
export function crossEntropyBackward(
  ctx: GpuContext,
  dlogits: Tensor,
  logits: Tensor,
  targets: Tensor,
  mask: Tensor,
  { R, V, scale = 1 }: { R: number; V: number; scale?: number },
): void {
  const params = packParams([
    ['u32', R],
    ['u32', V],
    ['f32', scale],
  ]);
  const coef = ctx.scratch('cross_entropy:coef', 1);
  ctx.dispatch({ shader: 'cross_entropy', entry: 'norm', params, bindings: [coef, mask], ...wholeLaunch() });
  ctx.dispatch({
    shader: 'cross_entropy',
    entry: 'backward',
    params,
    bindings: [dlogits, coef, logits, targets, mask],
    ...rowLaunch(R, V),
  });
}
