// A multilayer perceptron as an explicit forward/backward pair (llm.c style): `depth` hidden layers of
// linear -> activation, then a linear output layer. The backward calls the layers in exact reverse order and
// accumulates into gradients the caller zeroed.

import type { ActivationKind, Backend, Tensor } from '../../engine/backend';
import type { Philox } from '../../engine/rng';
import type { ParamSpec } from '../arena';

export interface MlpShape {
  IN: number;
  OUT: number;
  width: number;
  /** Hidden layers (0: one linear layer IN -> OUT). */
  depth: number;
  activation: ActivationKind;
}

/** One linear layer's tensors (parameters or their gradients). */
export interface Linear {
  w: Tensor; // [in, out]
  b: Tensor; // [out]
}

/** Per-row activations of N rows, and their gradients (zeroed by the caller). */
export interface MlpActs {
  pre: Tensor[]; // [N, width] per hidden layer: linear output
  post: Tensor[]; // [N, width] per hidden layer: activation output
}

/** [in, out] of each linear layer. */
export function mlpLayers(s: MlpDims): [number, number][] {
  const dims = [s.IN, ...Array<number>(s.depth).fill(s.width), s.OUT];
  return dims.slice(1).map((out, i) => [dims[i], out]);
}

/** The sizes of an MLP, without its activation. */
export type MlpDims = Pick<MlpShape, 'IN' | 'OUT' | 'width' | 'depth'>;

/** Parameters of an MLP: the weights and bias of each linear layer (the config's memory estimate counts these). */
export function mlpParamCount(s: MlpDims): number {
  return mlpLayers(s).reduce((n, [fanIn, out]) => n + (fanIn + 1) * out, 0);
}

/** Parameters `${prefix}l{i}.w` ~ N(0, scale^2 / fan_in) from the host Philox stream, and zero biases. */
export function mlpParams(prefix: string, s: MlpShape, rng: Philox, scale: number): ParamSpec[] {
  return mlpLayers(s).flatMap(([fanIn, out], i) => [
    {
      name: `${prefix}l${i}.w`,
      shape: [fanIn, out],
      init: Float32Array.from({ length: fanIn * out }, () => (scale * rng.normal()) / Math.sqrt(fanIn)),
    },
    { name: `${prefix}l${i}.b`, shape: [out], init: new Float32Array(out) },
  ]);
}

/** The layers' tensors, looked up by name (in a ParamArena's params, its grads, or a frozen copy). */
export function mlpTensors(prefix: string, s: MlpShape, get: (name: string) => Tensor): Linear[] {
  return mlpLayers(s).map((_, i) => ({ w: get(`${prefix}l${i}.w`), b: get(`${prefix}l${i}.b`) }));
}

/** Per-row buffers of N rows (activations, or their gradients), each its own tensor: a dispatch may not write
 * one view of a buffer while reading another. */
export function mlpActs(be: Backend, s: MlpShape, N: number, label: string): MlpActs {
  const t = (name: string) => be.tensor([N, s.width], { label: `${label}:${name}` });
  return {
    pre: Array.from({ length: s.depth }, (_, i) => t(`pre${i}`)),
    post: Array.from({ length: s.depth }, (_, i) => t(`post${i}`)),
  };
}

/** y[N, OUT] = MLP(x[N, IN]). */
export function mlpForward(be: Backend, y: Tensor, x: Tensor, W: Linear[], a: MlpActs, s: MlpShape, N: number): void {
  const layers = mlpLayers(s);
  let input = x; // [N, in]
  layers.forEach(([IN, OUT], i) => {
    if (i < s.depth) {
      be.linearForward(a.pre[i], input, W[i].w, W[i].b, { N, IN, OUT }); // [N, width]
      be.activationForward(a.post[i], a.pre[i], s.activation); // [N, width]
      input = a.post[i];
    } else {
      be.linearForward(y, input, W[i].w, W[i].b, { N, IN, OUT }); // [N, OUT]
    }
  });
}

/**
 * Accumulates the parameter gradients G and (when dx is given) dx[N, IN] from dy[N, OUT]; da holds the zeroed
 * activation gradients. Layers in exact reverse order of mlpForward.
 */
export function mlpBackward(
  be: Backend,
  dx: Tensor | null,
  G: Linear[],
  dy: Tensor,
  x: Tensor,
  W: Linear[],
  a: MlpActs,
  da: MlpActs,
  s: MlpShape,
  N: number,
): void {
  const layers = mlpLayers(s);
  let dout = dy; // [N, out] of layer i
  for (let i = layers.length - 1; i >= 0; i--) {
    const [IN, OUT] = layers[i];
    const input = i > 0 ? a.post[i - 1] : x; // [N, IN]
    const dinput = i > 0 ? da.post[i - 1] : dx; // [N, IN]
    be.linearBackward(dinput, G[i].w, G[i].b, dout, input, W[i].w, { N, IN, OUT });
    if (i > 0) {
      be.activationBackward(da.pre[i - 1], da.post[i - 1], a.pre[i - 1], s.activation); // [N, width]
      dout = da.pre[i - 1];
    }
  }
}
