// CPU twin of shaders/diffusion_dpo_loss.wgsl: Diffusion-DPO (Wallace et al.), see OPS.md.

import type { F } from './types';

export interface DiffusionDpoArrays {
  modelChosen: F;
  modelRejected: F;
  refChosen: F;
  refRejected: F;
  targetChosen: F;
  targetRejected: F;
}

const logSigmoid = (x: number) => Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

function mseRow(pred: F, target: F, b: number, D: number): number {
  let s = 0;
  for (let j = 0; j < D; j++) s += (pred[b * D + j] - target[b * D + j]) ** 2;
  return s / D;
}

/** x_b = -0.5 beta (model_diff_b - ref_diff_b), diff = mse_row(chosen) - mse_row(rejected). */
function inside(inp: DiffusionDpoArrays, b: number, attrs: { D: number; beta: number }): number {
  const { D } = attrs;
  const modelDiff =
    mseRow(inp.modelChosen, inp.targetChosen, b, D) - mseRow(inp.modelRejected, inp.targetRejected, b, D);
  const refDiff = mseRow(inp.refChosen, inp.targetChosen, b, D) - mseRow(inp.refRejected, inp.targetRejected, b, D);
  return -0.5 * attrs.beta * (modelDiff - refDiff);
}

/** loss[0] = mean_b -logsig(x_b); the implicit rewards -beta/2 (mse_row(model) - mse_row(ref)) per pair, if given. */
export function diffusionDpoLossForward(
  loss: F,
  chosenRewards: F | null,
  rejectedRewards: F | null,
  inp: DiffusionDpoArrays,
  attrs: { B: number; D: number; beta: number },
): void {
  const { B, D, beta } = attrs;
  let acc = 0;
  for (let b = 0; b < B; b++) {
    acc -= logSigmoid(inside(inp, b, attrs));
    if (chosenRewards)
      chosenRewards[b] =
        -0.5 * beta * (mseRow(inp.modelChosen, inp.targetChosen, b, D) - mseRow(inp.refChosen, inp.targetChosen, b, D));
    if (rejectedRewards)
      rejectedRewards[b] =
        -0.5 *
        beta *
        (mseRow(inp.modelRejected, inp.targetRejected, b, D) - mseRow(inp.refRejected, inp.targetRejected, b, D));
  }
  loss[0] = acc / B;
}

/** Accumulates the gradients w.r.t. the model predictions into whichever of dmc, dmr is given. */
export function diffusionDpoLossBackward(
  dmc: F | null,
  dmr: F | null,
  inp: DiffusionDpoArrays,
  attrs: { B: number; D: number; beta: number },
): void {
  const { B, D, beta } = attrs;
  for (let b = 0; b < B; b++) {
    // d loss / d model_diff_b = sig(-x) * 0.5 beta / B; d mse_row / d pred = 2 (pred - target) / D.
    const coef = (sigmoid(-inside(inp, b, attrs)) * beta) / (B * D);
    for (let j = 0; j < D; j++) {
      const i = b * D + j;
      if (dmc) dmc[i] += coef * (inp.modelChosen[i] - inp.targetChosen[i]);
      if (dmr) dmr[i] -= coef * (inp.modelRejected[i] - inp.targetRejected[i]);
    }
  }
}
