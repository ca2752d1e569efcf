// CPU twin of shaders/mse.wgsl.

import type { F } from './types';

/** loss[0] = mean((pred - target)^2). */
export function mseForward(loss: F, pred: F, target: F): void {
  let acc = 0;
  for (let i = 0; i < pred.length; i++) acc += (pred[i] - target[i]) ** 2;
  loss[0] = acc / pred.length;
}

/** dpred += scale * 2 (pred - target) / n. */
export function mseBackward(dpred: F, pred: F, target: F, scale = 1): void {
  const n = pred.length;
  for (let i = 0; i < n; i++) dpred[i] += (scale * 2 * (pred[i] - target[i])) / n;
}
