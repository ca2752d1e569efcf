// The experiment config: one valibot schema gives the types, the defaults, validation with clear messages, the UI
// form's bounds and what the share codec accepts. A run is a pure function of its config.

import * as v from 'valibot';
import { PREFERENCE_LOSS_TYPES } from '../engine/backend';

export const CONFIG_VERSION = 1;

/** A bounded number field: its title and description feed the generated UI form. */
const num = (min: number, max: number, fallback: number, title: string, description = '') =>
  v.optional(v.pipe(v.number(), v.finite(), v.minValue(min), v.maxValue(max), v.title(title), v.description(description)), fallback);

const int = (min: number, max: number, fallback: number, title: string, description = '') =>
  v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max), v.title(title), v.description(description)),
    fallback,
  );

const choice = <T extends string>(options: readonly T[], fallback: T, title: string, description = '') =>
  v.optional(v.pipe(v.picklist(options as T[]), v.title(title), v.description(description)), fallback as never);

export const OptimizerSchema = v.optional(
  v.object({
    lr: num(1e-6, 1, 0.05, 'Learning rate'),
    beta1: num(0, 0.9999, 0.9, 'Adam beta1'),
    beta2: num(0, 0.99999, 0.999, 'Adam beta2'),
    eps: num(1e-12, 1e-2, 1e-8, 'Adam epsilon'),
    weightDecay: num(0, 1, 0, 'Weight decay', 'Decoupled (AdamW) weight decay'),
  }),
  {},
);

export const BanditWorldSchema = v.object({
  kind: v.literal('bandit'),
  prompts: int(1, 1024, 4, 'Prompts', 'Number of prompts x'),
  responses: int(2, 4096, 12, 'Responses', 'Number of possible responses y per prompt'),
  rewardScale: num(0, 20, 3, 'Reward scale', 'Spread of the hidden true reward r(x, y)'),
  referenceTemperature: num(0.05, 10, 1, 'Reference temperature', 'Spread of the reference policy logits'),
  pairs: int(1, 1_000_000, 1024, 'Preference pairs', 'Size of the offline preference dataset'),
  pairSource: choice(['reference', 'uniform'] as const, 'reference', 'Pair source', 'Policy the offline pairs are sampled from'),
  coverage: num(0.05, 1, 1, 'Coverage', 'Share of responses that ever appear in the offline pairs'),
  flipRate: num(0, 0.49, 0, 'Label flip rate', 'Share of preference labels flipped at random (noise)'),
});

export const WorldSchema = v.variant('kind', [BanditWorldSchema]);

export const PreferenceStageSchema = v.object({
  kind: v.literal('preference'),
  name: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9_-]{1,24}$/, 'a short lowercase name')), 'dpo'),
  steps: int(1, 100_000, 300, 'Steps'),
  batch: int(1, 4096, 64, 'Batch size', 'Preference pairs per step'),
  lossType: choice(PREFERENCE_LOSS_TYPES, 'sigmoid', 'Loss', 'Member of the DPO family'),
  beta: num(0.001, 100, 0.1, 'beta', 'Strength of the KL tie to the reference (higher: stay closer)'),
  labelSmoothing: num(0, 0.49, 0, 'Label smoothing', 'cDPO smoothing (sigmoid) or assumed flip rate (robust)'),
  gamma: num(0, 10, 0.5, 'gamma', 'SimPO target reward margin'),
  optimizer: OptimizerSchema,
});

export const StageSchema = v.variant('kind', [PreferenceStageSchema]);

export const ExperimentSchema = v.object({
  version: v.optional(v.literal(CONFIG_VERSION), CONFIG_VERSION),
  title: v.optional(v.pipe(v.string(), v.maxLength(120)), ''),
  seed: int(0, 2 ** 31 - 1, 0, 'Seed', 'Every random draw of the run derives from it'),
  world: WorldSchema,
  stages: v.pipe(v.array(StageSchema), v.minLength(1, 'a run needs at least one stage'), v.maxLength(8)),
  metrics: v.optional(
    v.object({ every: int(1, 1000, 10, 'Metric period', 'Steps between metric read-backs') }),
    {},
  ),
});

export type ExperimentConfig = v.InferOutput<typeof ExperimentSchema>;
export type ExperimentInput = v.InferInput<typeof ExperimentSchema>;
export type BanditWorld = v.InferOutput<typeof BanditWorldSchema>;
export type PreferenceStage = v.InferOutput<typeof PreferenceStageSchema>;
export type Stage = v.InferOutput<typeof StageSchema>;

/** Floats a run may hold on the device: keeps a browser tab alive on a laptop GPU. */
export const MEMORY_BUDGET_FLOATS = 64 * 1024 * 1024;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid experiment config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Floats the device holds for a config (parameters with grads and Adam moments, data, activations). */
export function estimateFloats(cfg: ExperimentConfig): number {
  const w = cfg.world;
  const table = w.prompts * w.responses;
  let peak = 0;
  for (const s of cfg.stages) peak = Math.max(peak, 6 * s.batch * w.responses + 8 * s.batch);
  return table * 6 + w.pairs * 3 + peak + cfg.metrics.every * 16;
}

function describe(issue: v.BaseIssue<unknown>): string {
  const path = issue.path?.map((p) => String(p.key)).join('.') || '(root)';
  const req = issue.requirement;
  const what =
    issue.type === 'min_value'
      ? `must be at least ${String(req)} (got ${String(issue.input)})`
      : issue.type === 'max_value'
        ? `must be at most ${String(req)} (got ${String(issue.input)})`
        : issue.type === 'integer'
          ? `must be a whole number (got ${String(issue.input)})`
          : issue.message;
  return `${path}: ${what}`;
}

/** Validate anything (parsed JSON, a decoded link) into a full config with defaults, or throw ConfigError. */
export function parseConfig(input: unknown): ExperimentConfig {
  const res = v.safeParse(ExperimentSchema, input);
  if (!res.success) throw new ConfigError(res.issues.map(describe));
  const cfg = res.output;
  const floats = estimateFloats(cfg);
  if (floats > MEMORY_BUDGET_FLOATS) {
    throw new ConfigError([
      `the run would need ${(floats * 4 / 2 ** 20).toFixed(0)} MiB of GPU memory, over the ${MEMORY_BUDGET_FLOATS * 4 / 2 ** 20} MiB budget of a browser tab: use fewer pairs, prompts, responses or a smaller batch`,
    ]);
  }
  return cfg;
}

export function totalSteps(cfg: ExperimentConfig): number {
  return cfg.stages.reduce((a, s) => a + s.steps, 0);
}
