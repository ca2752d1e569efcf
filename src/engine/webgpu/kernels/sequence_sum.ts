// Encoders for shaders/sequence_sum.wgsl: masked per-sequence sums and their accumulating backward.

import type { Tensor } from '../../backend';
import { grid, packParams, type GpuContext } from '../context';

const WG = 256;

function check(x: Tensor, mask: Tensor, out: Tensor, B: number, T: number): void {
  if (x.size !== B * T || mask.size !== B * T || out.size !== B) {
    throw new Error(
      `sequence_sum: x and mask [${B}, ${T}], out [${B}] expected (${x.label}, ${mask.label}, ${out.label})`,
    );
  }
}

export function sequenceSumForward(
  ctx: GpuContext,
  out: Tensor,
  x: Tensor,
  mask: Tensor,
  { B, T }: { B: number; T: number },
): void {
  check(x, mask, out, B, T);
  ctx.dispatch({
    shader: 'sequence_sum',
    entry: 'forward',
    constants: { WG },
    params: packParams([
      ['u32', B],
      ['u32', T],
    ]),
    bindings: [out, x, mask],
    workgroups: grid(B / WG),
  });
}

export function sequenceSumBackward(
  ctx: GpuContext,
  dx: Tensor,
  dout: Tensor,
  mask: Tensor,
  { B, T }: { B: number; T: number },
): void {
  check(dx, mask, dout, B, T);
  ctx.dispatch({
    shader: 'sequence_sum',
    entry: 'backward',
    constants: { WG },
    params: packParams([
      ['u32', B],
      ['u32', T],
    ]),
    bindings: [dx, dout, mask],
    workgroups: grid((B * T) / WG),
  });
}
