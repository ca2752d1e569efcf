// Encoder for shaders/diffusion_dpo_loss.wgsl: per-pair terms, their mean, then element-wise gradients.

import type { Tensor } from '../../backend';
import { grid, packParams, type GpuContext } from '../context';
import { WG, rowLaunch } from './rows';

export function diffusionDpoLoss(
  ctx: GpuContext,
  loss: Tensor,
  dModelChosen: Tensor | null,
  dModelRejected: Tensor | null,
  inp: {
    modelChosen: Tensor;
    modelRejected: Tensor;
    refChosen: Tensor;
    refRejected: Tensor;
    targetChosen: Tensor;
    targetRejected: Tensor;
  },
  attrs: { B: number; D: number; beta: number },
): void {
  const { B, D } = attrs;
  const params = packParams([
    ['u32', B],
    ['u32', D],
    ['f32', attrs.beta],
  ]);
  // [B] pair losses, then [B] gradient coefficients.
  const scratch = ctx.scratch('diffusion_dpo_loss', 2 * B);
  const launch = rowLaunch(B, D);
  ctx.dispatch({
    shader: 'diffusion_dpo_loss',
    entry: 'rows',
    constants: launch.constants,
    params,
    bindings: [
      inp.modelChosen,
      inp.modelRejected,
      inp.refChosen,
      inp.refRejected,
      inp.targetChosen,
      inp.targetRejected,
      scratch,
    ],
    workgroups: launch.workgroups,
  });
  ctx.dispatch({
    shader: 'diffusion_dpo_loss',
    entry: 'finish',
    constants: { WG, TPR: WG },
    params,
    bindings: [loss, scratch],
    workgroups: [1],
  });
  const grad = (d: Tensor, model: Tensor, target: Tensor, SIGN: number) =>
    ctx.dispatch({
      shader: 'diffusion_dpo_loss',
      entry: 'grad',
      constants: { WG, SIGN },
      params,
      bindings: [d, scratch, model, target],
      workgroups: grid((B * D) / WG),
    });
  if (dModelChosen) grad(dModelChosen, inp.modelChosen, inp.targetChosen, 1);
  if (dModelRejected) grad(dModelRejected, inp.modelRejected, inp.targetRejected, -1);
}
