// The next pair a person judges on the bandit: a prompt at random and two different responses sampled from the
// reference or the current policy, each with a hint of its hidden reward (the bandit's responses have no text).

import { Philox } from '../../engine/rng';
import type { BanditWorld } from '../config';
import { logSoftmaxRows } from '../tables';
import { banditTables } from '../worlds/bandit';
import type { LabelSource } from './label-set';

/** How much of the hidden reward a card shows: exactly, with noise (a share of the reward's spread), or nothing. */
export const HINTS = ['exact', 'noisy', 'very-noisy', 'none'] as const;
export type Hint = (typeof HINTS)[number];
const HINT_NOISE: Record<Hint, number> = { exact: 0, noisy: 0.5, 'very-noisy': 1.5, none: 0 };

export interface PairToJudge {
  prompt: number;
  left: number;
  right: number;
  source: Exclude<LabelSource, 'import'>;
  /** Each side's shown reward (true reward plus noise); null when the hint is off. */
  leftHint: number | null;
  rightHint: number | null;
}

export interface JudgeTables {
  P: number;
  K: number;
  /** Probabilities [P, K] of the policy pairs are drawn from. */
  probs: ArrayLike<number>;
  /** Hidden reward [P, K]. */
  reward: ArrayLike<number>;
  /** Spread of the hidden reward (the world's reward scale): the unit of the hint's noise. */
  rewardScale: number;
}

/** What a person judges a bandit's pairs from: its hidden reward and its reference policy's probabilities. */
export function judgeTables(w: BanditWorld, seed: number): JudgeTables & { reference: Float64Array } {
  const { reward, referenceLogits } = banditTables(w, seed);
  const reference = logSoftmaxRows(new Float64Array(reward.length), referenceLogits, w.prompts, w.responses).map(
    Math.exp,
  );
  return { P: w.prompts, K: w.responses, probs: reference, reference, reward, rewardScale: w.rewardScale };
}

/** Draws one stream of pairs; a page seeds it once, so each visit asks different pairs. */
export class PairDrawer {
  private readonly rng: Philox;
  constructor(seed: number) {
    this.rng = new Philox(seed, 0);
  }

  /** A response from a row of probabilities, leaving out `not`; uniform where the row has no usable mass. */
  private sample(row: ArrayLike<number>, K: number, not: number): number {
    let total = 0;
    for (let k = 0; k < K; k++) if (k !== not && Number.isFinite(row[k]) && row[k] > 0) total += row[k];
    if (!(total > 0)) {
      const k = this.rng.int(not < 0 ? K : K - 1);
      return not >= 0 && k >= not ? k + 1 : k;
    }
    let u = this.rng.uniform() * total;
    let last = -1;
    for (let k = 0; k < K; k++) {
      if (k === not || !Number.isFinite(row[k]) || !(row[k] > 0)) continue;
      last = k;
      u -= row[k];
      if (u <= 0) return k;
    }
    return last;
  }

  draw(t: JudgeTables, source: PairToJudge['source'], hint: Hint): PairToJudge {
    const prompt = this.rng.int(t.P);
    const row = Array.from({ length: t.K }, (_, k) => t.probs[prompt * t.K + k]);
    const left = this.sample(row, t.K, -1);
    const right = this.sample(row, t.K, left);
    const noise = HINT_NOISE[hint] * t.rewardScale;
    const shown = (y: number) => (hint === 'none' ? null : t.reward[prompt * t.K + y] + noise * this.rng.normal());
    return { prompt, left, right, source, leftHint: shown(left), rightHint: shown(right) };
  }
}
