// The bandit world's config: its schema, the stages it runs (preference only: its policy is its table of logits),
// its checks, the floats its run holds on the device and the size of its policy.

import * as v from 'valibot';
import { choice, int, metricFloats, num, type RunOf, type WorldConfig } from './common-config';

export const BanditWorldSchema = v.object({
  kind: v.literal('bandit'),
  prompts: int(1, 1024, 4, 'Prompts', 'Number of prompts x'),
  responses: int(2, 4096, 12, 'Responses', 'Number of possible responses y per prompt'),
  rewardScale: num(0, 20, 3, 'Reward scale', 'Spread of the hidden true reward r(x, y)'),
  referenceTemperature: num(0.05, 10, 1, 'Reference temperature', 'Spread of the reference policy logits'),
  pairs: int(1, 1_000_000, 1024, 'Preference pairs', 'Size of the offline preference dataset'),
  pairSource: choice(
    ['reference', 'uniform'] as const,
    'reference',
    'Pair source',
    'Policy the offline pairs are sampled from',
  ),
  coverage: num(0.05, 1, 1, 'Coverage', 'Share of responses that ever appear in the offline pairs'),
  flipRate: num(0, 0.49, 0, 'Label flip rate', 'Share of preference labels flipped at random (noise)'),
});

export type BanditWorld = v.InferOutput<typeof BanditWorldSchema>;

/** The policy, reference and reward tables with grads and moments, the pairs and each stage's per-pair rows. */
function banditFloats(run: RunOf<BanditWorld>): number {
  const w = run.world;
  const table = w.prompts * w.responses;
  let peak = 0;
  for (const s of run.stages) peak = Math.max(peak, 6 * s.batch * w.responses + 8 * s.batch);
  return table * 6 + w.pairs * 3 + peak + metricFloats(run);
}

export const BANDIT: WorldConfig<BanditWorld> = {
  stageKinds: ['preference'],
  problems: (run) =>
    run.stages.flatMap((s, i) =>
      s.kind === 'preference' ? [] : [`stages.${i}.kind: a bandit world runs preference stages only (got ${s.kind})`],
    ),
  floats: banditFloats,
  // The policy is the table of logits [prompts, responses].
  weights: (run) => new Map([['policy', run.world.prompts * run.world.responses]]),
};
