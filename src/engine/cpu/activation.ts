// CPU twin of shaders/activation.wgsl (PyTorch's relu, gelu(approximate='tanh'), silu, tanh).

import type { ActivationKind } from '../backend';
import type { F } from './types';

const GELU_BETA = Math.sqrt(2 / Math.PI);
const GELU_KAPPA = 0.044715;

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
/** 2z for gelu: 0.5 x (1 + tanh z) = x sigmoid(2z), z = sqrt(2/pi) (x + 0.044715 x^3). */
const gelu2z = (x: number) => 2 * GELU_BETA * (x + GELU_KAPPA * x * x * x);

function f(x: number, kind: ActivationKind): number {
  switch (kind) {
    case 'relu':
      return Math.max(x, 0);
    case 'gelu':
      return x * sigmoid(gelu2z(x));
    case 'silu':
      return x * sigmoid(x);
    case 'tanh':
      return Math.tanh(x);
  }
}

function df(x: number, kind: ActivationKind): number {
  switch (kind) {
    case 'relu':
      return x > 0 ? 1 : 0;
    case 'gelu': {
      const a = gelu2z(x);
      const s = sigmoid(a);
      return s + 2 * x * s * sigmoid(-a) * GELU_BETA * (1 + 3 * GELU_KAPPA * x * x);
    }
    case 'silu': {
      const s = sigmoid(x);
      return s + x * s * sigmoid(-x);
    }
    case 'tanh':
      return 1 - Math.tanh(x) ** 2;
  }
}

/** y = f(x). */
export function activationForward(y: F, x: F, kind: ActivationKind): void {
  for (let i = 0; i < x.length; i++) y[i] = f(x[i], kind);
}

/** dx += dy f'(x). */
export function activationBackward(dx: F, dy: F, x: F, kind: ActivationKind): void {
  for (let i = 0; i < x.length; i++) dx[i] += dy[i] * df(x[i], kind);
}
