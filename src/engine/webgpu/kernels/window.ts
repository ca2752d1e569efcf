// Encoder for shaders/window.wgsl: context windows of token ids for position-wise models and n-gram lookups.

import type { Tensor, WindowDims } from '../../backend';
import { grid, packParams, type GpuContext } from '../context';

const WG = 256;

export function windowForward(ctx: GpuContext, out: Tensor, tokens: Tensor, dims: WindowDims): void {
  const { B, T, C, t0, P, pad, radix } = dims;
  if (tokens.dtype !== 'i32' || out.dtype !== 'i32') throw new Error('window: tokens and out are i32');
  if (tokens.size !== B * T)
    throw new Error(`window: tokens ${tokens.label} has ${tokens.size} ids, not B*T = ${B * T}`);
  if (t0 + P > T + 1) throw new Error(`window: positions ${t0}..${t0 + P - 1} read past the sequence of ${T}`);
  const n = radix === undefined ? B * P * C : B * P;
  if (out.size !== n) throw new Error(`window: out ${out.label} has ${out.size} ids, expected ${n}`);
  ctx.dispatch({
    shader: 'window',
    entry: radix === undefined ? 'ids' : 'ngram',
    constants: { WG },
    params: packParams([
      ['u32', B],
      ['u32', T],
      ['u32', C],
      ['u32', t0],
      ['u32', P],
      ['i32', pad],
      ['u32', radix ?? 0],
    ]),
    bindings: [out, tokens],
    workgroups: grid(n / WG),
  });
}
