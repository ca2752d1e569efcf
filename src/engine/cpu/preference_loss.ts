// CPU twin of shaders/preference_loss.wgsl: TRL dpo_loss conventions, see OPS.md.

import type { PreferenceAttrs } from '../backend';
import { preferenceLossOf } from '../preference_losses';
import type { F } from './types';

export interface PreferenceArrays {
  policyChosenLogps: F;
  policyRejectedLogps: F;
  referenceChosenLogps: F;
  referenceRejectedLogps: F;
}

const logSigmoid = (x: number) => Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Loss of one pair and its derivatives w.r.t. the two policy log-probs. */
function pair(
  pc: number,
  pr: number,
  rc: number,
  rr: number,
  attrs: PreferenceAttrs,
): { loss: number; dc: number; dr: number } {
  const { beta, labelSmoothing: e, gamma } = attrs;
  const a = pc - rc;
  const b = pr - rr;
  const h = pc - pr - (rc - rr);
  // Losses of z = beta * h (or beta * h' for simpo): dL/dpc = beta dL/dz, dL/dpr = -beta dL/dz.
  const ofZ = (loss: number, dz: number) => ({ loss, dc: beta * dz, dr: -beta * dz });
  // -(1-e) logsig(z) - e logsig(-z) (sigmoid, simpo).
  const smoothed = (z: number) =>
    ofZ(-(1 - e) * logSigmoid(z) - e * logSigmoid(-z), -(1 - e) * sigmoid(-z) + e * sigmoid(z));
  const type = attrs.lossType;
  switch (type) {
    case 'sigmoid':
      return smoothed(beta * h);
    case 'simpo':
      return smoothed(beta * (pc - pr - gamma / beta));
    case 'robust': {
      const z = beta * h;
      const k = 1 / (1 - 2 * e);
      return ofZ((-(1 - e) * logSigmoid(z) + e * logSigmoid(-z)) * k, (-(1 - e) * sigmoid(-z) - e * sigmoid(z)) * k);
    }
    case 'hinge': {
      const z = beta * h;
      return ofZ(Math.max(1 - z, 0), 1 - z > 0 ? -1 : 0);
    }
    case 'ipo': {
      const d = h - 1 / (2 * beta);
      return { loss: d * d, dc: 2 * d, dr: -2 * d };
    }
    case 'sppo_hard': {
      const dc = a - 0.5 / beta;
      const dr = b + 0.5 / beta;
      return { loss: dc * dc + dr * dr, dc: 2 * dc, dr: 2 * dr };
    }
    case 'nca_pair': {
      const cw = beta * a;
      const cl = beta * b;
      return {
        loss: -logSigmoid(cw) - 0.5 * logSigmoid(-cw) - 0.5 * logSigmoid(-cl),
        dc: beta * (0.5 * sigmoid(cw) - sigmoid(-cw)),
        dr: 0.5 * beta * sigmoid(cl),
      };
    }
    case 'apo_zero': {
      const cw = beta * a;
      const cl = beta * b;
      return {
        loss: 1 - sigmoid(cw) + sigmoid(cl),
        dc: -beta * sigmoid(cw) * sigmoid(-cw),
        dr: beta * sigmoid(cl) * sigmoid(-cl),
      };
    }
    default: {
      const unknown: never = type;
      throw new Error(`preference_loss: unknown loss type "${String(unknown)}"`);
    }
  }
}

/** losses[b], loss[0] = mean(losses), rewards beta (policy - reference) (reference-free losses: beta * policy). */
export function preferenceLossForward(
  out: { losses: F; loss: F; chosenRewards: F; rejectedRewards: F },
  inp: PreferenceArrays,
  attrs: PreferenceAttrs,
): void {
  const B = inp.policyChosenLogps.length;
  const { referenceFree } = preferenceLossOf(attrs.lossType);
  let total = 0;
  for (let i = 0; i < B; i++) {
    const pc = inp.policyChosenLogps[i],
      pr = inp.policyRejectedLogps[i];
    const rc = inp.referenceChosenLogps[i],
      rr = inp.referenceRejectedLogps[i];
    const p = pair(pc, pr, rc, rr, attrs);
    out.losses[i] = p.loss;
    total += p.loss;
    out.chosenRewards[i] = attrs.beta * (referenceFree ? pc : pc - rc);
    out.rejectedRewards[i] = attrs.beta * (referenceFree ? pr : pr - rr);
  }
  out.loss[0] = total / B;
}

/** Accumulates (+=) the gradient of the mean loss w.r.t. the policy log-probs. */
export function preferenceLossBackward(dChosen: F, dRejected: F, inp: PreferenceArrays, attrs: PreferenceAttrs): void {
  const B = inp.policyChosenLogps.length;
  for (let i = 0; i < B; i++) {
    const p = pair(
      inp.policyChosenLogps[i],
      inp.policyRejectedLogps[i],
      inp.referenceChosenLogps[i],
      inp.referenceRejectedLogps[i],
      attrs,
    );
    dChosen[i] += p.dc / B;
    dRejected[i] += p.dr / B;
  }
}
