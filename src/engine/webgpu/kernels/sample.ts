// Encoder for shaders/sample.wgsl: one workgroup per row draws one token into column t of a [B, T] buffer.

import type { SampleParams, Tensor } from '../../backend';
import { grid, packParams, type GpuContext } from '../context';

const WG = 256;

/** The lanes per row: a power of two near V (a short row does not need 256 lanes), at least 32. */
function lanes(V: number): number {
  let n = 32;
  while (n < WG && n < V) n *= 2;
  return n;
}

export function sampleForward(
  ctx: GpuContext,
  tokens: Tensor,
  logits: Tensor,
  clock: Tensor,
  params: SampleParams,
): void {
  const { B, T, V, t, temperature, seedLo, seedHi, stream, stop } = params;
  if (tokens.dtype !== 'i32' || tokens.size !== B * T)
    throw new Error(`sample: tokens must be i32 [B, T] = [${B}, ${T}]`);
  if (logits.size !== B * V)
    throw new Error(`sample: logits ${logits.label} has ${logits.size} values, not B*V = ${B * V}`);
  if (!(t >= 0 && t < T)) throw new Error(`sample: column ${t} outside [0, ${T})`);
  if (!(temperature > 0)) throw new Error(`sample: temperature must be > 0, got ${temperature}`);
  ctx.dispatch({
    shader: 'sample',
    constants: { WG: lanes(V) },
    params: packParams([
      ['u32', B],
      ['u32', T],
      ['u32', V],
      ['u32', t],
      ['f32', 1 / temperature],
      ['u32', seedLo],
      ['u32', seedHi],
      ['u32', stream],
      ['i32', stop],
    ]),
    bindings: [tokens, logits, clock],
    workgroups: grid(B),
  });
}
