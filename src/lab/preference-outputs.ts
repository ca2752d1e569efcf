// Buffers for preference_loss with both policy gradients in one buffer, so that one fill zeroes them before a call.

import type { Backend, PreferenceOutputs, Tensor } from '../engine/backend';

export interface PreferenceBuffers {
  out: PreferenceOutputs;
  /** Holds out.dPolicyChosen and out.dPolicyRejected: fill it with 0 before each preferenceLoss. */
  grads: Tensor;
}

/** Buffers for a batch of B pairs; `tensor` allocates each one (and so decides who releases it). */
export function preferenceOutputs(
  be: Backend,
  B: number,
  tensor: (shape: number[], label: string) => Tensor,
): PreferenceBuffers {
  const stride = Math.ceil(B / be.alignElements) * be.alignElements;
  const grads = tensor([stride + B], 'd_policy_logps');
  return {
    grads,
    out: {
      losses: tensor([B], 'losses'),
      loss: tensor([1], 'loss'),
      chosenRewards: tensor([B], 'chosen_rewards'),
      rejectedRewards: tensor([B], 'rejected_rewards'),
      dPolicyChosen: be.view(grads, 0, [B], `${grads.label}:chosen`),
      dPolicyRejected: be.view(grads, stride, [B], `${grads.label}:rejected`),
    },
  };
}
