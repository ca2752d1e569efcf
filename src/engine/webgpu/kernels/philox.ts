// Encoders for shaders/philox.wgsl: raw Philox blocks from given counters, and random tensors keyed by the clock.

import type { RandomKind, RandomParams, Tensor } from '../../backend';
import { grid, packParams, type GpuContext } from '../context';

const WG = 256;
const KINDS: Record<RandomKind, { kind: number; dtype: Tensor['dtype'] }> = {
  bits: { kind: 0, dtype: 'u32' },
  uniform: { kind: 1, dtype: 'f32' },
  normal: { kind: 2, dtype: 'f32' },
  index: { kind: 3, dtype: 'i32' },
};

export function philox(
  ctx: GpuContext,
  bits: Tensor | null,
  uniform: Tensor | null,
  counter: Tensor,
  key: Tensor,
): void {
  const N = counter.size / 4;
  if (!Number.isInteger(N) || key.size !== 2 || [bits, uniform].some((t) => t && t.size !== counter.size)) {
    throw new Error(`philox: counter [N, 4], key [2] and outputs [N, 4] expected`);
  }
  const workgroups = grid(N / WG);
  if (bits && uniform) {
    ctx.dispatch({
      shader: 'philox',
      entry: 'raw',
      constants: { WG },
      bindings: [bits, uniform, counter, key],
      workgroups,
    });
  } else if (bits || uniform) {
    ctx.dispatch({
      shader: 'philox',
      entry: 'raw_one',
      constants: { WG, UNIFORM: uniform ? 1 : 0 },
      bindings: [(bits ?? uniform)!, counter, key],
      workgroups,
    });
  }
}

export function random(ctx: GpuContext, out: Tensor, clock: Tensor, params: RandomParams): void {
  const k = KINDS[params.kind];
  if (!k) throw new Error(`random: unknown kind "${params.kind}"`);
  if (out.dtype !== k.dtype)
    throw new Error(`random ${params.kind} draws into ${k.dtype} tensors, ${out.label} is ${out.dtype}`);
  const n = params.n ?? 0;
  if (params.kind === 'index' && !(Number.isInteger(n) && n >= 1 && n < 2 ** 31)) {
    throw new Error(`random index: n must be an integer in [1, 2^31), got ${params.n}`);
  }
  ctx.dispatch({
    shader: 'philox',
    entry: 'random',
    constants: { WG, KIND: k.kind },
    params: packParams([
      ['u32', out.size],
      ['u32', params.stream],
      ['u32', params.seedLo],
      ['u32', params.seedHi],
      ['f32', params.mean ?? 0],
      ['f32', params.std ?? 1],
      ['u32', n],
    ]),
    bindings: [out, clock],
    workgroups: grid(Math.ceil(out.size / 4) / WG),
  });
}
