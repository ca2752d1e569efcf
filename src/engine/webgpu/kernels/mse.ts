// Encoder for shaders/mse.wgsl: one launch for small inputs, else partials reduced by elementwise's sum.

import type { Tensor } from '../../backend';
import { packParams, type GpuContext } from '../context';
import { sumLaunch } from './elementwise';
import { WG, partials, reduceGroups } from './reduce';

export function mse(
  ctx: GpuContext,
  loss: Tensor,
  dpred: Tensor | null,
  pred: Tensor,
  target: Tensor,
  scale = 1,
): void {
  const n = pred.size;
  if (target.size !== n || (dpred && dpred.size !== n)) {
    throw new Error(`mse: sizes differ (pred ${n}, target ${target.size}${dpred ? `, dpred ${dpred.size}` : ''})`);
  }
  const groups = reduceGroups(n);
  const out = groups === 1 ? loss : partials(ctx);
  ctx.dispatch({
    shader: 'mse',
    constants: { WG, GRAD: +(dpred !== null) },
    params: packParams([
      ['u32', n],
      ['u32', groups],
      ['f32', groups === 1 ? 1 / n : 1],
      ['f32', (2 * scale) / n],
    ]),
    bindings: [out, dpred ?? ctx.scratch('mse:no-grad', 1), pred, target],
    workgroups: [groups],
  });
  if (groups > 1) sumLaunch(ctx, loss, out, groups, 1, 1 / n, false);
}
