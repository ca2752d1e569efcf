// Encoder for shaders/diffusion_dpo_loss.wgsl: per-pair MSEs, then the loss, rewards and gradients read from them.

import type { DiffusionDpoInputs, DiffusionDpoOutputs, Tensor } from '../../backend';
import { grid, packParams, type GpuContext } from '../context';
import { WG, rowLaunch, wholeLaunch } from './rows';

export function diffusionDpoLoss(
  ctx: GpuContext,
  out: DiffusionDpoOutputs,
  inp: DiffusionDpoInputs,
  attrs: { B: number; D: number; beta: number },
): void {
  const { B, D } = attrs;
  const params = packParams([
    ['u32', B],
    ['u32', D],
    ['f32', attrs.beta],
  ]);
  // [B, 4]: the MSEs of model chosen, model rejected, ref chosen, ref rejected per pair.
  const mse = ctx.scratch('diffusion_dpo_loss', 4 * B);
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
      mse,
    ],
    workgroups: launch.workgroups,
  });
  const whole = wholeLaunch();
  ctx.dispatch({
    shader: 'diffusion_dpo_loss',
    entry: 'finish',
    constants: whole.constants,
    params,
    bindings: [out.loss, mse],
    workgroups: whole.workgroups,
  });
  if (out.chosenRewards || out.rejectedRewards) {
    // Both are bound; a missing one gets a scratch buffer of its size.
    const chosen = out.chosenRewards ?? ctx.scratch('diffusion_dpo_loss:unused_rewards', B);
    const rejected = out.rejectedRewards ?? ctx.scratch('diffusion_dpo_loss:unused_rewards', B);
    ctx.dispatch({
      shader: 'diffusion_dpo_loss',
      entry: 'rewards',
      constants: { WG },
      params,
      bindings: [chosen, rejected, mse],
      workgroups: grid(B / WG),
    });
  }
  const gradOf = (d: Tensor, model: Tensor, target: Tensor, SIGN: number) =>
    ctx.dispatch({
      shader: 'diffusion_dpo_loss',
      entry: 'grad',
      constants: { WG, SIGN },
      params,
      bindings: [d, mse, model, target],
      workgroups: grid((B * D) / WG),
    });
  if (out.dModelChosen) gradOf(out.dModelChosen, inp.modelChosen, inp.targetChosen, 1);
  if (out.dModelRejected) gradOf(out.dModelRejected, inp.modelRejected, inp.targetRejected, -1);
}
