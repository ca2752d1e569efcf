// The bandit world's config: its schema (with the user's own labels and their share of the pairs), the stages it
// runs (preference only: its policy is its table of logits), its checks, the floats its run holds on the device and
// the size of its policy.

import * as v from 'valibot';
import { boundedList, choice, int, metricFloats, num, type RunOf, type WorldConfig } from './common-config';

/** Most labels of the user's a run carries: enough for an afternoon of judging, and still fits a share link. */
export const MAX_USER_LABELS = 2048;

const id = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(4095));

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
  labels: v.optional(
    v.pipe(
      boundedList(v.tuple([id, id, id]), { max: MAX_USER_LABELS, maxMessage: `at most ${MAX_USER_LABELS} labels` }),
      v.title('Your labels'),
      v.description('Pairs you judged: [prompt, chosen, rejected] each'),
    ),
  ),
  userShare: v.optional(
    v.pipe(
      v.number(),
      v.finite(),
      v.minValue(0),
      v.maxValue(1),
      v.title('Share of your labels'),
      v.description(
        'Share of the training pairs that are your labels (default 1); formula-labelled pairs fill the rest',
      ),
    ),
  ),
});

export type BanditWorld = v.InferOutput<typeof BanditWorldSchema>;

/**
 * How many training pairs are the formula's and how many the user's, for a user share s of L labels: every label
 * appears equally often (c copies, c L near s times `pairs`), and the formula's pairs make up the share 1 - s.
 */
export function pairCounts(w: Pick<BanditWorld, 'pairs' | 'labels' | 'userShare'>): { formula: number; user: number } {
  const L = w.labels?.length ?? 0;
  const s = w.userShare ?? 1;
  if (L === 0 || s === 0) return { formula: w.pairs, user: 0 };
  const user = Math.max(1, Math.round((s * w.pairs) / L)) * L;
  return { formula: Math.round((user * (1 - s)) / s), user };
}

/** Labels that name a prompt or response the world does not have, or compare a response with itself. */
function labelProblems(w: BanditWorld): string[] {
  const out: string[] = [];
  (w.labels ?? []).forEach(([x, c, r], i) => {
    if (x >= w.prompts) out.push(`world.labels.${i}: prompt ${x} is not one of the ${w.prompts} prompts`);
    else if (c >= w.responses || r >= w.responses)
      out.push(`world.labels.${i}: response ${Math.max(c, r)} is not one of the ${w.responses} responses`);
    else if (c === r) out.push(`world.labels.${i}: a label compares two different responses (got ${c} twice)`);
  });
  return out;
}

/** The policy, reference and reward tables with grads and moments, the pairs and each stage's per-pair rows. */
function banditFloats(run: RunOf<BanditWorld>): number {
  const w = run.world;
  const table = w.prompts * w.responses;
  let peak = 0;
  for (const s of run.stages) peak = Math.max(peak, 6 * s.batch * w.responses + 8 * s.batch);
  const { formula, user } = pairCounts(w);
  return table * 6 + (formula + user) * 3 + peak + metricFloats(run);
}

export const BANDIT: WorldConfig<BanditWorld> = {
  stageKinds: ['preference'],
  problems: (run) => [
    ...run.stages.flatMap((s, i) =>
      s.kind === 'preference' ? [] : [`stages.${i}.kind: a bandit world runs preference stages only (got ${s.kind})`],
    ),
    ...labelProblems(run.world),
  ],
  floats: banditFloats,
  // The policy is the table of logits [prompts, responses].
  weights: (run) => new Map([['policy', run.world.prompts * run.world.responses]]),
};
