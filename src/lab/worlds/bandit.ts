// The bandit world: P prompts x K responses, a hidden true reward, a reference policy, and preference pairs
// labelled Bradley-Terry from the reward (with optional label flips), mixed with the user's own labels at their
// share. Its DPO optimum is known in closed form.

import { Philox } from '../../engine/rng';
import { pairCounts, type BanditWorld } from './bandit-config';
import { STREAM } from '../streams';
import { logSoftmaxRows } from '../tables';

export interface BanditData {
  P: number;
  K: number;
  /** Hidden true reward r(x, y), [P, K]. */
  reward: Float64Array;
  /** Reference policy logits, [P, K]. */
  referenceLogits: Float32Array;
  /** Offline pairs, [N] each: prompt, chosen response, rejected response. */
  prompt: Int32Array;
  chosen: Int32Array;
  rejected: Int32Array;
  /** True P(chosen preferred) of each pair under the hidden reward (before label noise). */
  alpha: Float64Array;
  /** Responses that appear in the data, [P, K] 0/1. */
  covered: Uint8Array;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The world's hidden reward and reference logits, [P, K] each: what a person judging its pairs is shown from. */
export function banditTables(
  w: Pick<BanditWorld, 'prompts' | 'responses' | 'rewardScale' | 'referenceTemperature'>,
  seed: number,
): { reward: Float64Array; referenceLogits: Float32Array } {
  const P = w.prompts;
  const K = w.responses;
  const rRng = new Philox(seed, STREAM.worldReward);
  const refRng = new Philox(seed, STREAM.worldReference);
  const reward = new Float64Array(P * K);
  const referenceLogits = new Float32Array(P * K);
  for (let i = 0; i < P * K; i++) {
    reward[i] = w.rewardScale * rRng.normal();
    referenceLogits[i] = w.referenceTemperature * refRng.normal();
  }
  return { reward, referenceLogits };
}

export function makeBandit(w: BanditWorld, seed: number): BanditData {
  const P = w.prompts;
  const K = w.responses;
  const { reward, referenceLogits } = banditTables(w, seed);

  // Coverage: each prompt keeps a random subset of its responses in the data (at least two).
  const covRng = new Philox(seed, STREAM.worldCoverage);
  const covered = new Uint8Array(P * K);
  const keep = Math.max(2, Math.round(w.coverage * K));
  const candidates: number[][] = [];
  for (let x = 0; x < P; x++) {
    const order = Array.from({ length: K }, (_, i) => i);
    for (let i = K - 1; i > 0; i--) {
      const j = covRng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    candidates.push(order.slice(0, keep).sort((a, b) => a - b));
    for (const y of candidates[x]) covered[x * K + y] = 1;
  }

  const refLogp = logSoftmaxRows(new Float64Array(P * K), referenceLogits, P, K);
  // The formula's pairs come first, drawn as ever; the user's labels, each as often as the others, after them.
  const { formula, user } = pairCounts(w);
  const N = formula + user;
  const prompt = new Int32Array(N);
  const chosen = new Int32Array(N);
  const rejected = new Int32Array(N);
  const alpha = new Float64Array(N);
  const rng = new Philox(seed, STREAM.worldPairs);
  const draw = (x: number): number => {
    const c = candidates[x];
    if (w.pairSource === 'uniform') return c[rng.int(c.length)];
    let total = 0;
    for (const y of c) total += Math.exp(refLogp[x * K + y]);
    let u = rng.uniform() * total;
    for (const y of c) {
      u -= Math.exp(refLogp[x * K + y]);
      if (u <= 0) return y;
    }
    return c[c.length - 1];
  };
  for (let n = 0; n < formula; n++) {
    const x = rng.int(P);
    const y1 = draw(x);
    let y2 = draw(x);
    // A pair compares two different responses; fall back to uniform after a few tries on peaked references.
    for (let tries = 0; y2 === y1 && tries < 16; tries++) y2 = draw(x);
    if (y2 === y1)
      y2 = candidates[x][(candidates[x].indexOf(y1) + 1 + rng.int(candidates[x].length - 1)) % candidates[x].length];
    const p1 = sigmoid(reward[x * K + y1] - reward[x * K + y2]);
    let firstWins = rng.uniform() < p1;
    if (rng.uniform() < w.flipRate) firstWins = !firstWins;
    prompt[n] = x;
    chosen[n] = firstWins ? y1 : y2;
    rejected[n] = firstWins ? y2 : y1;
    alpha[n] = sigmoid(reward[x * K + chosen[n]] - reward[x * K + rejected[n]]);
  }
  const labels = w.labels ?? [];
  for (let n = formula; n < N; n++) {
    const [x, c, r] = labels[(n - formula) % labels.length];
    prompt[n] = x;
    chosen[n] = c;
    rejected[n] = r;
    alpha[n] = sigmoid(reward[x * K + c] - reward[x * K + r]);
    covered[x * K + c] = covered[x * K + r] = 1;
  }
  return { P, K, reward, referenceLogits, prompt, chosen, rejected, alpha, covered };
}

/** log pi_star = log_softmax(log pi_ref + r / beta): the closed-form optimum of the KL-regularized reward. */
export function optimalLogp(d: BanditData, beta: number): Float64Array {
  const refLogp = logSoftmaxRows(new Float64Array(d.P * d.K), d.referenceLogits, d.P, d.K);
  const logits = new Float64Array(d.P * d.K);
  for (let i = 0; i < logits.length; i++) logits[i] = refLogp[i] + d.reward[i] / beta;
  return logSoftmaxRows(logits, logits, d.P, d.K);
}
