// CPU twin of shaders/adamw.wgsl: torch.optim.AdamW, one step.

import type { AdamWParams } from '../backend';
import type { F } from './types';

/** One AdamW step; `step` is the count after increment (1 on the first step). */
export function adamwForward(param: F, m: F, v: F, grad: F, step: number, hp: AdamWParams): void {
  const { lr, beta1, beta2, eps, weightDecay } = hp;
  const bias1 = 1 - beta1 ** step;
  const bias2 = 1 - beta2 ** step;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    const p = param[i] * (1 - lr * weightDecay);
    param[i] = p - (lr * (m[i] / bias1)) / (Math.sqrt(v[i] / bias2) + eps);
  }
}
