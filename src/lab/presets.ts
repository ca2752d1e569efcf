// Built-in experiments: each teaches one phenomenon, with what to watch. The same list feeds the CLI and the UI.

import type { ExperimentInput } from './config';

export interface Preset {
  name: string;
  title: string;
  /** What to watch, for a student seeing the method for the first time (Markdown with $math$). */
  watch: string;
  config: ExperimentInput;
}

const bandit = {
  kind: 'bandit',
  prompts: 4,
  responses: 12,
  rewardScale: 1,
  referenceTemperature: 1,
  pairs: 2048,
  pairSource: 'reference',
} as const;

const dpo = { kind: 'preference', name: 'dpo', steps: 400, batch: 64, beta: 0.1, optimizer: { lr: 0.05 } } as const;

export const PRESETS: readonly Preset[] = [
  {
    name: 'dpo-bandit',
    title: 'DPO on a bandit: the policy finds the closed-form optimum',
    watch:
      'The implicit reward $\\beta \\log \\frac{\\pi_\\theta(y)}{\\pi_{ref}(y)}$ of chosen responses rises above the rejected ones: `rewards/margins` grows and `rewards/accuracies` climbs toward 1. Since the true reward is known, `kl/optimal` measures the distance to $\\pi^* \\propto \\pi_{ref} e^{r/\\beta}$, the policy DPO aims at: it falls.',
    config: { seed: 1, world: bandit, stages: [dpo], metrics: { every: 10 } },
  },
  {
    name: 'dpo-large-beta',
    title: 'A large beta keeps the policy near the reference',
    watch:
      'With $\\beta = 5$ the KL penalty dominates: `kl/reference` stays small and the policy bars barely move from the reference, even as the loss falls.',
    config: { seed: 1, world: bandit, stages: [{ ...dpo, beta: 5 }], metrics: { every: 10 } },
  },
  {
    name: 'dpo-sparse-coverage',
    title: 'Offline DPO with sparse coverage: both likelihoods go down',
    watch:
      'Only a few responses per prompt ever appear in the data. DPO only constrains the log-ratio of chosen to rejected, so it can raise the margin by pushing *both* down and moving probability to responses the data never shows: `logps/chosen` falls while `rewards/margins` grows.',
    config: {
      seed: 3,
      world: { ...bandit, responses: 24, coverage: 0.17, pairSource: 'uniform', pairs: 512 },
      stages: [{ ...dpo, steps: 600, beta: 0.05 }],
      metrics: { every: 10 },
    },
  },
  {
    name: 'dpo-label-noise',
    title: 'Label noise: 30% of preferences flipped, plain DPO',
    watch:
      'Flipped labels pull the policy away from the true optimum: compare its final `kl/optimal` with the robust variant on the same data.',
    config: { seed: 2, world: { ...bandit, flipRate: 0.3 }, stages: [{ ...dpo, steps: 600 }], metrics: { every: 10 } },
  },
  {
    name: 'rdpo-label-noise',
    title: 'Label noise: robust DPO that knows the flip rate',
    watch:
      'rDPO (Chowdhury et al. 2024) debiases the loss for a known flip rate $\\epsilon$: $\\frac{(1-\\epsilon)\\,\\ell(h) - \\epsilon\\,\\ell(-h)}{1-2\\epsilon}$. Its `kl/optimal` ends lower than plain DPO on the same noisy data.',
    config: {
      seed: 2,
      world: { ...bandit, flipRate: 0.3 },
      stages: [{ ...dpo, steps: 600, lossType: 'robust', labelSmoothing: 0.3 }],
      metrics: { every: 10 },
    },
  },
  {
    name: 'ipo-bandit',
    title: 'IPO: a squared loss that does not saturate',
    watch:
      'IPO regresses the log-ratio margin to $\\frac{1}{2\\beta}$ instead of pushing it to infinity: `rewards/margins` levels off instead of growing without bound.',
    config: { seed: 1, world: bandit, stages: [{ ...dpo, lossType: 'ipo' }], metrics: { every: 10 } },
  },
];

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}
