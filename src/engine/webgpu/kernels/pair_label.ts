// Encoder for shaders/pair_label.wgsl: Bradley-Terry labels of B sampled pairs, keyed by the step clock.

import type { PairLabelParams, Tensor } from '../../backend';
import { grid, packParams, type GpuContext } from '../context';

const WG = 256;

export function pairLabelForward(
  ctx: GpuContext,
  chosen: Tensor,
  rejected: Tensor,
  rewards: Tensor,
  clock: Tensor,
  { B, seedLo, seedHi, stream }: PairLabelParams,
): void {
  if (chosen.dtype !== 'i32' || rejected.dtype !== 'i32' || chosen.size !== B || rejected.size !== B) {
    throw new Error(`pair_label: chosen and rejected must be i32 [${B}]`);
  }
  if (rewards.size !== 2 * B) throw new Error(`pair_label: rewards ${rewards.label} must be [2B] = [${2 * B}]`);
  ctx.dispatch({
    shader: 'pair_label',
    constants: { WG },
    params: packParams([
      ['u32', B],
      ['u32', seedLo],
      ['u32', seedHi],
      ['u32', stream],
    ]),
    bindings: [chosen, rejected, rewards, clock],
    workgroups: grid(B / WG),
  });
}
