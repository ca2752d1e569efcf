// Encoders for shaders/elementwise.wgsl: fill, copy, axpby, the two-level tree sum and the step clock.

import type { Tensor } from '../../backend';
import { grid, packParams, type GpuContext } from '../context';
import { WG, partials, reduceGroups } from './reduce';

const word = new DataView(new ArrayBuffer(4));

/** The 32-bit pattern of `value` stored as `dtype`, converted as a typed array of that dtype would. */
function bitsOf(value: number, dtype: Tensor['dtype']): number {
  if (dtype === 'f32') word.setFloat32(0, value, true);
  else if (dtype === 'i32') word.setInt32(0, value, true);
  else word.setUint32(0, value, true);
  return word.getUint32(0, true);
}

export function fill(ctx: GpuContext, out: Tensor, value: number): void {
  ctx.dispatch({
    shader: 'elementwise',
    entry: 'fill',
    constants: { WG },
    params: packParams([['u32', bitsOf(value, out.dtype)]]),
    bindings: [out],
    workgroups: grid(out.size / WG),
  });
}

export function copy(ctx: GpuContext, dst: Tensor, src: Tensor): void {
  if (dst.size < src.size) throw new Error(`copy of ${src.label} (${src.size}) into ${dst.label} (${dst.size})`);
  ctx.dispatch({
    shader: 'elementwise',
    entry: 'copy',
    constants: { WG },
    bindings: [dst, src],
    workgroups: grid(src.size / WG),
  });
}

export function axpby(ctx: GpuContext, y: Tensor, x: Tensor, a: number, b: number): void {
  if (x.size !== y.size) throw new Error(`axpby: ${x.label} has ${x.size} elements, ${y.label} ${y.size}`);
  ctx.dispatch({
    shader: 'elementwise',
    entry: 'axpby',
    constants: { WG },
    params: packParams([
      ['f32', a],
      ['f32', b],
    ]),
    bindings: [y, x],
    workgroups: grid(y.size / WG),
  });
}

/** One launch of the `sum` entry: out[g] (+)= scale * (strided sum of x's first n elements). */
export function sumLaunch(
  ctx: GpuContext,
  out: Tensor,
  x: Tensor,
  n: number,
  groups: number,
  scale: number,
  accumulate: boolean,
): void {
  ctx.dispatch({
    shader: 'elementwise',
    entry: 'sum',
    constants: { WG },
    params: packParams([
      ['u32', n],
      ['u32', groups],
      ['f32', scale],
      ['u32', accumulate ? 1 : 0],
    ]),
    bindings: [out, x],
    workgroups: [groups],
  });
}

export function sum(ctx: GpuContext, out: Tensor, x: Tensor, scale: number, accumulate = false): void {
  const groups = reduceGroups(x.size);
  if (groups === 1) {
    sumLaunch(ctx, out, x, x.size, 1, scale, accumulate);
    return;
  }
  const p = partials(ctx);
  sumLaunch(ctx, p, x, x.size, groups, 1, false);
  sumLaunch(ctx, out, p, groups, 1, scale, accumulate);
}

export function tick(ctx: GpuContext, clock: Tensor): void {
  ctx.dispatch({ shader: 'elementwise', entry: 'tick', bindings: [clock], workgroups: [1] });
}
