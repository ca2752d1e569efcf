// The next pair a person judges on the bandit: a prompt at random and two different responses sampled from the
// reference or the current policy, or (active) the reference's pair the policy is least sure of, each with a hint of
// its hidden reward (the bandit's responses have no text).

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

/** Candidate pairs an active draw compares: enough to find an uncertain one, few enough to be instant. */
export const ACTIVE_CANDIDATES = 32;

export interface JudgeTables {
  P: number;
  K: number;
  /** Probabilities [P, K] of the policy pairs are drawn from. */
  probs: ArrayLike<number>;
  /** For an active draw: the reference's probabilities and the policy's implicit reward (up to beta) [P, K]. */
  reference?: ArrayLike<number>;
  implicit?: ArrayLike<number>;
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

/** The implicit reward log(pi / pi_ref) of a policy table against the reference (beta times it is DPO's). */
export function implicitReward(policy: ArrayLike<number>, reference: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: policy.length }, (_, i) => Math.log(policy[i]) - Math.log(reference[i]));
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

  /** A prompt at random and two different responses sampled from its row of `probs`. */
  pairFrom(probs: ArrayLike<number>, P: number, K: number): [prompt: number, left: number, right: number] {
    const prompt = this.rng.int(P);
    const row = Array.from({ length: K }, (_, k) => probs[prompt * K + k]);
    const left = this.sample(row, K, -1);
    return [prompt, left, this.sample(row, K, left)];
  }

  /**
   * Of ACTIVE_CANDIDATES pairs from the reference, the one whose implicit rewards beta log(pi / pi_ref) are closest:
   * where the policy's Bradley-Terry preference sigma(r_a - r_b) is nearest 1/2 (beta scales every gap alike, so
   * the closest pair does not depend on it). Before training every gap is 0 and this is a reference pair.
   */
  activePair(t: Pick<JudgeTables, 'P' | 'K' | 'probs' | 'reference' | 'implicit'>): [number, number, number] {
    const ref = t.reference ?? t.probs;
    const implicit = (i: number) => t.implicit?.[i] ?? 0;
    let best: [number, number, number] | null = null;
    let bestGap = Infinity;
    for (let n = 0; n < ACTIVE_CANDIDATES; n++) {
      const c = this.pairFrom(ref, t.P, t.K);
      const gap = Math.abs(implicit(c[0] * t.K + c[1]) - implicit(c[0] * t.K + c[2]));
      // A NaN gap (a diverged policy) is never the closest.
      if (best === null || gap < bestGap) [best, bestGap] = [c, gap];
    }
    return best!;
  }

  draw(t: JudgeTables, source: PairToJudge['source'], hint: Hint): PairToJudge {
    const [prompt, left, right] = source === 'active' ? this.activePair(t) : this.pairFrom(t.probs, t.P, t.K);
    const noise = HINT_NOISE[hint] * t.rewardScale;
    const shown = (y: number) => (hint === 'none' ? null : t.reward[prompt * t.K + y] + noise * this.rng.normal());
    return { prompt, left, right, source, leftHint: shown(left), rightHint: shown(right) };
  }
}
