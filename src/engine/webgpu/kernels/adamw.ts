// Encoder for shaders/adamw.wgsl: hyperparameters in the uniform, the step count on the device.

import type { AdamWParams, Tensor } from '../../backend';
import { grid, packParams, type GpuContext } from '../context';

const WG = 256;

export function adamw(
  ctx: GpuContext,
  param: Tensor,
  m: Tensor,
  v: Tensor,
  grad: Tensor,
  step: Tensor,
  hp: AdamWParams,
): void {
  if ([m, v, grad].some((t) => t.size !== param.size)) {
    throw new Error(`adamw: param ${param.size}, m ${m.size}, v ${v.size}, grad ${grad.size} elements`);
  }
  ctx.dispatch({
    shader: 'adamw',
    constants: { WG },
    params: packParams([
      ['f32', hp.lr],
      ['f32', hp.beta1],
      ['f32', hp.beta2],
      ['f32', 1 - hp.beta1],
      ['f32', 1 - hp.beta2],
      ['f32', Math.log(hp.beta1)],
      ['f32', Math.log(hp.beta2)],
      ['f32', hp.eps],
      ['f32', 1 - hp.lr * hp.weightDecay],
    ]),
    bindings: [param, m, v, grad, step],
    workgroups: grid(param.size / WG),
  });
}
