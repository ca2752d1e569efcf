// Encoders for shaders/activation.wgsl: the kind is a pipeline constant.

import { ACTIVATIONS, type ActivationKind, type Tensor } from '../../backend';
import { grid, type GpuContext } from '../context';

const WG = 256;

function kindOf(kind: ActivationKind): number {
  const k = ACTIVATIONS.indexOf(kind);
  if (k < 0) throw new Error(`activation: unknown kind "${kind}"`);
  return k;
}

function checkSizes(op: string, ...ts: Tensor[]): void {
  if (ts.some((t) => t.size !== ts[0].size))
    throw new Error(`${op}: sizes differ (${ts.map((t) => `${t.label} ${t.size}`).join(', ')})`);
}

export function activationForward(ctx: GpuContext, y: Tensor, x: Tensor, kind: ActivationKind): void {
  checkSizes('activationForward', y, x);
  ctx.dispatch({
    shader: 'activation',
    entry: 'forward',
    constants: { WG, KIND: kindOf(kind) },
    bindings: [y, x],
    workgroups: grid(x.size / WG),
  });
}

export function activationBackward(ctx: GpuContext, dx: Tensor, dy: Tensor, x: Tensor, kind: ActivationKind): void {
  checkSizes('activationBackward', dx, dy, x);
  ctx.dispatch({
    shader: 'activation',
    entry: 'backward',
    constants: { WG, KIND: kindOf(kind) },
    bindings: [dx, dy, x],
    workgroups: grid(x.size / WG),
  });
}
