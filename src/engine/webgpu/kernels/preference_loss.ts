// Encoder for shaders/preference_loss.wgsl: the fused DPO-family loss, rewards and gradient.

import type { PreferenceAttrs, PreferenceInputs, PreferenceOutputs } from '../../backend';
import { preferenceLossOf } from '../../preference_losses';
import { grid, packParams, type GpuContext } from '../context';
import { WG } from './rows';

/**
 * One dispatch when the device binds 10 storage buffers per stage; otherwise (the WebGPU default limit is 8)
 * a forward dispatch and a backward dispatch that recomputes the per-pair terms. `fused` and `loss` (the table row
 * whose code and reward rule the kernel gets) are for tests.
 */
export function preferenceLoss(
  ctx: GpuContext,
  out: PreferenceOutputs,
  inp: PreferenceInputs,
  attrs: PreferenceAttrs,
  fused = ctx.device.limits.maxStorageBuffersPerShaderStage >= 10,
  loss: { code: number; referenceFree: boolean } = preferenceLossOf(attrs.lossType),
): void {
  const B = inp.policyChosenLogps.size;
  const params = packParams([
    ['u32', B],
    ['f32', attrs.beta],
    ['f32', attrs.labelSmoothing],
    ['f32', attrs.gamma],
  ]);
  const inputs = [inp.policyChosenLogps, inp.policyRejectedLogps, inp.referenceChosenLogps, inp.referenceRejectedLogps];
  const forwardOut = [out.losses, out.loss, out.chosenRewards, out.rejectedRewards];
  const constants = { LOSS: loss.code, REFERENCE_FREE: Number(loss.referenceFree), WG };
  if (fused) {
    ctx.dispatch({
      shader: 'preference_loss',
      entry: 'main',
      constants,
      params,
      bindings: [...inputs, ...forwardOut, out.dPolicyChosen, out.dPolicyRejected],
      workgroups: [1],
    });
    return;
  }
  ctx.dispatch({
    shader: 'preference_loss',
    entry: 'forward',
    constants,
    params,
    bindings: [...inputs, ...forwardOut],
    workgroups: [1],
  });
  ctx.dispatch({
    shader: 'preference_loss',
    entry: 'backward',
    constants,
    params,
    bindings: [...inputs, out.dPolicyChosen, out.dPolicyRejected],
    workgroups: grid(B / WG),
  });
}
