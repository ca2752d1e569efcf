// How many labels random and active pair choice need for the same accuracy on a bandit, for a simulated labeller who
// follows the hidden reward. After each label the implicit reward table is refitted to the labels so far: DPO on a
// table policy leaves its implicit reward beta log(pi / pi_ref) free per response, so trained on the labels it is
// their Bradley-Terry fit, here with a Gaussian prior standing in for the KL tie to the reference.

import { Philox } from '../../engine/rng';
import { PairDrawer, type JudgeTables } from './pair-draw';

export type Strategy = 'random' | 'active';

export interface CurveOptions {
  /** Labels each simulated labeller gives. */
  labels: number;
  /** Labellers averaged (each with its own pairs). */
  repeats: number;
  seed: number;
}

/** Pairs the accuracy is measured on: all of them when they are this few, else a fixed sample of this many. */
const MAX_EVAL_PAIRS = 20_000;
/** Precision of the Gaussian prior on the implicit reward, and gradient steps per label (warm-started). */
const PRIOR = 0.1;
const FIT_STEPS = 30;
const FIT_LR = 0.5;

/** The pairs of different hidden reward on which a ranking is scored: [prompt, a, b] with r_a > r_b. */
function evalPairs(reward: ArrayLike<number>, P: number, K: number, seed: number): Int32Array {
  const out: number[] = [];
  const add = (x: number, a: number, b: number) => {
    const d = reward[x * K + a] - reward[x * K + b];
    if (d > 0) out.push(x, a, b);
    else if (d < 0) out.push(x, b, a);
  };
  if ((P * K * (K - 1)) / 2 <= MAX_EVAL_PAIRS) {
    for (let x = 0; x < P; x++) for (let a = 0; a < K; a++) for (let b = a + 1; b < K; b++) add(x, a, b);
  } else {
    const rng = new Philox(seed, 1);
    while (out.length < 3 * MAX_EVAL_PAIRS) {
      const x = rng.int(P);
      const a = rng.int(K);
      const b = (a + 1 + rng.int(K - 1)) % K;
      add(x, a, b);
    }
  }
  return Int32Array.from(out);
}

/** Share of the scored pairs a reward table ranks as the hidden reward does (an exact tie counts half). */
function accuracy(table: Float64Array, pairs: Int32Array, K: number): number {
  let ok = 0;
  for (let i = 0; i < pairs.length; i += 3) {
    const d = table[pairs[i] * K + pairs[i + 1]] - table[pairs[i] * K + pairs[i + 2]];
    ok += d > 0 ? 1 : d === 0 ? 0.5 : 0;
  }
  return ok / (pairs.length / 3);
}

/**
 * Gradient steps on sum -log sigma(r_c - r_r) + PRIOR/2 |r|^2 over the labels, in place. Only the responses the
 * labels name (`touched`) move: the others have no gradient and stay at 0.
 */
function refit(table: Float64Array, labels: readonly number[], touched: readonly number[], K: number): void {
  const grad = new Float64Array(table.length);
  const lr = FIT_LR / Math.max(1, labels.length / 3 / 8);
  for (let step = 0; step < FIT_STEPS; step++) {
    for (const i of touched) grad[i] = PRIOR * table[i];
    for (let i = 0; i < labels.length; i += 3) {
      const c = labels[i] * K + labels[i + 1];
      const r = labels[i] * K + labels[i + 2];
      // d/d(r_c) of -log sigma(r_c - r_r) is -sigma(r_r - r_c).
      const g = 1 / (1 + Math.exp(table[c] - table[r]));
      grad[c] -= g;
      grad[r] += g;
    }
    for (const i of touched) table[i] -= lr * grad[i];
  }
}

/**
 * Mean accuracy after 1..labels labels of a labeller who always picks the higher hidden reward, its pairs drawn
 * from the reference at random or actively (of ACTIVE_CANDIDATES reference pairs, the one the fitted implicit reward
 * is least sure of).
 */
export function labelCurve(
  t: Pick<JudgeTables, 'P' | 'K' | 'reward'> & { reference: ArrayLike<number> },
  strategy: Strategy,
  o: CurveOptions,
): Float64Array {
  const { P, K, reward } = t;
  const pairs = evalPairs(reward, P, K, o.seed);
  const curve = new Float64Array(o.labels);
  for (let rep = 0; rep < o.repeats; rep++) {
    const drawer = new PairDrawer(o.seed + rep);
    const table = new Float64Array(P * K);
    const labels: number[] = [];
    const touched = new Set<number>();
    const tables = { P, K, probs: t.reference, reference: t.reference, implicit: table };
    for (let n = 0; n < o.labels; n++) {
      const [x, a, b] = strategy === 'active' ? drawer.activePair(tables) : drawer.pairFrom(t.reference, P, K);
      if (reward[x * K + a] >= reward[x * K + b]) labels.push(x, a, b);
      else labels.push(x, b, a);
      touched.add(x * K + a).add(x * K + b);
      refit(table, labels, [...touched], K);
      curve[n] += accuracy(table, pairs, K) / o.repeats;
    }
  }
  return curve;
}

/** Labels a curve needs to reach an accuracy (1-based), or null if it never does. */
export function labelsNeeded(curve: ArrayLike<number>, target: number): number | null {
  for (let n = 0; n < curve.length; n++) if (curve[n] >= target) return n + 1;
  return null;
}

/** Largest bandit (prompts x responses) the comparison runs on: it refits the whole table after every label. */
export const MAX_COMPARE_CELLS = 1024;
/** Accuracies the comparison reports the labels needed for. */
export const TARGETS = [0.7, 0.8, 0.9] as const;

export interface Comparison {
  random: Float64Array;
  active: Float64Array;
  needed: { target: number; random: number | null; active: number | null }[];
}

/** Both strategies' curves on the same bandit and the labels each needs for each target accuracy. */
export function compareStrategies(
  t: Pick<JudgeTables, 'P' | 'K' | 'reward'> & { reference: ArrayLike<number> },
  o: CurveOptions,
): Comparison {
  if (t.P * t.K > MAX_COMPARE_CELLS)
    throw new Error(`the comparison runs on bandits of at most ${MAX_COMPARE_CELLS} responses in all`);
  const random = labelCurve(t, 'random', o);
  const active = labelCurve(t, 'active', o);
  return {
    random,
    active,
    needed: TARGETS.map((target) => ({
      target,
      random: labelsNeeded(random, target),
      active: labelsNeeded(active, target),
    })),
  };
}
