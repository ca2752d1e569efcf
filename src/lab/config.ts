// The experiment config: one valibot schema gives the types, the defaults, validation with clear messages, the UI
// form's bounds and what the share codec accepts. A run is a pure function of its config. Each world's module
// (worlds/*-config.ts) holds its schema, its stages', its checks and its memory estimate; this file assembles them.

import * as v from 'valibot';
import { BANDIT, BanditWorldSchema } from './worlds/bandit-config';
import {
  boundedList,
  int,
  MEMORY_BUDGET_FLOATS,
  mib,
  NAME,
  PreferenceStageSchema,
  type RunOf,
  type WorldConfig,
} from './worlds/common-config';
import { ModelSchema, type ModelConfig } from './worlds/models-config';
import {
  DiffusionDpoStageSchema,
  DiffusionStageSchema,
  DmdStageSchema,
  POINTS2D,
  Points2dWorldSchema,
  ProgressiveStageSchema,
} from './worlds/points2d-config';
import {
  DistillStageSchema,
  RewardModelStageSchema,
  SEQUENCES,
  SequencesWorldSchema,
  SftStageSchema,
} from './worlds/sequences-config';
import { TEXT, TextWorldSchema } from './worlds/text-config';

export {
  OptimizerSchema,
  PreferenceStageSchema,
  DEFAULT_SEQUENCE_PAIRS,
  MEMORY_BUDGET_FLOATS,
} from './worlds/common-config';
export type { PreferenceStage } from './worlds/common-config';
export { BanditWorldSchema, MAX_USER_LABELS, pairCounts, type BanditWorld } from './worlds/bandit-config';
export {
  ModelSchema,
  TokenMlpSchema,
  TransformerSchema,
  type ModelConfig,
  type TokenMlpConfig,
  type TransformerConfig,
} from './worlds/models-config';
export {
  DistillStageSchema,
  RewardModelStageSchema,
  SequencesWorldSchema,
  SftStageSchema,
  type DistillStage,
  type RewardModelStage,
  type SequencesWorld,
  type SftStage,
} from './worlds/sequences-config';
export {
  DiffusionDpoStageSchema,
  DiffusionStageSchema,
  DmdStageSchema,
  MAX_USER_POINTS,
  POINTS2D_SHAPES,
  Points2dWorldSchema,
  ProgressiveStageSchema,
  type DiffusionDpoStage,
  type DiffusionStage,
  type DmdStage,
  type Points2dWorld,
  type ProgressiveStage,
} from './worlds/points2d-config';

export { TextWorldSchema, type TextWorld } from './worlds/text-config';

export const CONFIG_VERSION = 1;

export const WorldSchema = v.variant('kind', [
  BanditWorldSchema,
  SequencesWorldSchema,
  Points2dWorldSchema,
  TextWorldSchema,
]);

export const StageSchema = v.variant('kind', [
  PreferenceStageSchema,
  SftStageSchema,
  DistillStageSchema,
  RewardModelStageSchema,
  DiffusionStageSchema,
  DmdStageSchema,
  DiffusionDpoStageSchema,
  ProgressiveStageSchema,
]);

export const ExperimentSchema = v.object({
  version: v.optional(v.literal(CONFIG_VERSION), CONFIG_VERSION),
  title: v.optional(v.pipe(v.string(), v.maxLength(120)), ''),
  seed: int(0, 2 ** 31 - 1, 0, 'Seed', 'Every random draw of the run derives from it'),
  world: WorldSchema,
  // Named models of a sequences or text run (absent on the bandit, whose policy is its table).
  models: v.optional(v.record(v.pipe(v.string(), v.regex(NAME, 'a short lowercase name')), ModelSchema)),
  stages: boundedList(StageSchema, {
    min: 1,
    max: 8,
    minMessage: 'a run needs at least one stage',
    maxMessage: 'at most 8 stages',
  }),
  metrics: v.optional(v.object({ every: int(1, 1000, 10, 'Metric period', 'Steps between metric read-backs') }), {}),
});

export type ExperimentConfig = v.InferOutput<typeof ExperimentSchema>;
export type ExperimentInput = v.InferInput<typeof ExperimentSchema>;
export type Stage = v.InferOutput<typeof StageSchema>;
type World = ExperimentConfig['world'];

/** Each world's config module, by kind: a new world adds its schema to WorldSchema and its module here. */
const WORLDS: { [K in World['kind']]: WorldConfig<Extract<World, { kind: K }>, ModelConfig> } = {
  bandit: BANDIT,
  sequences: SEQUENCES,
  points2d: POINTS2D,
  text: TEXT,
};

/** The world that runs a stage kind (for the message about a stage in the wrong world). */
function worldOf(stageKind: string): string {
  const kinds = Object.keys(WORLDS) as World['kind'][];
  return kinds.find((k) => WORLDS[k].stageKinds.includes(stageKind)) ?? 'other';
}

function worldConfig(cfg: ExperimentConfig): WorldConfig<World, ModelConfig> {
  return WORLDS[cfg.world.kind] as WorldConfig<World, ModelConfig>;
}

/** Problems a message lists before it says how many more there are. */
const MAX_PROBLEMS = 5;
/** Characters of one problem: a problem that echoes user text says enough in this many. */
const MAX_PROBLEM_CHARS = 300;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** At most MAX_PROBLEMS problems, each at most MAX_PROBLEM_CHARS long, the last saying how many were left out. */
function boundProblems(problems: readonly string[]): string[] {
  const shown = problems.length > MAX_PROBLEMS ? problems.slice(0, MAX_PROBLEMS - 1) : problems;
  const out = shown.map((p) => clip(p, MAX_PROBLEM_CHARS));
  const more = problems.length - shown.length;
  if (more > 0) out.push(`and ${more.toLocaleString('en-US')} more`);
  return out;
}

/** Fields a ConfigError marks: more than a form shows at once, and a million issues do not cost a million entries. */
const MAX_FIELD_PROBLEMS = 100;

export class ConfigError extends Error {
  readonly problems: string[];
  /** The problem of each field that has one, by its dotted path ("stages.0.beta" -> "must be at most 100 (got 1000)"). */
  readonly fields: ReadonlyMap<string, string>;
  constructor(problems: readonly string[]) {
    const bounded = boundProblems(problems);
    super(`invalid experiment config:\n${bounded.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = bounded;
    const fields = new Map<string, string>();
    for (const p of problems.slice(0, MAX_FIELD_PROBLEMS)) {
      // Every problem about one field starts with its path: the schema's issues and the worlds' checks alike.
      const m = /^([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*): (.+)$/s.exec(p);
      if (m && !fields.has(m[1])) fields.set(m[1], clip(m[2], MAX_PROBLEM_CHARS));
    }
    this.fields = fields;
  }
}

/** Floats the device holds for a config (parameters with grads and Adam moments, data, activations). */
export function estimateFloats(cfg: ExperimentConfig): number {
  return worldConfig(cfg).floats(cfg as RunOf<World, ModelConfig>);
}

/**
 * Parameters of each model a run of this config trains, by name: the names and lengths of `Experiment.weights()`,
 * from the models' own size functions, so a saved run's weights can be checked without building the run.
 */
export function expectedWeights(cfg: ExperimentConfig): ReadonlyMap<string, number> {
  return worldConfig(cfg).weights(cfg as RunOf<World, ModelConfig>);
}

/** Keys every object inherits or that the schema library drops: a model under one of them would vanish. */
const RESERVED_NAMES = ['constructor', 'prototype', '__proto__'];

/** Most named models a run may have: checked before the models are, so a huge record costs one short issue. */
export const MAX_MODELS = 16;

/** Problems of the models record the schema cannot see: reserved names (it would drop them) and too many models. */
function modelsRecordProblems(input: unknown): string[] {
  const models = (input as { models?: unknown } | null)?.models;
  if (typeof models !== 'object' || models === null) return [];
  const problems = RESERVED_NAMES.filter((k) => Object.hasOwn(models, k)).map(
    (k) => `models.${k}: "${k}" cannot name a model (every object has it built in); pick another name`,
  );
  const count = Object.keys(models).length;
  if (count > MAX_MODELS) problems.push(`models: at most ${MAX_MODELS} models (got ${count})`);
  return problems;
}

const MAX_KEY_CHARS = 40;

function describe(issue: v.BaseIssue<unknown>): string {
  const path = issue.path?.map((p) => clip(String(p.key), MAX_KEY_CHARS)).join('.') || '(root)';
  const req = issue.requirement;
  const what =
    issue.type === 'min_value'
      ? `must be at least ${String(req)} (got ${String(issue.input)})`
      : issue.type === 'max_value'
        ? `must be at most ${String(req)} (got ${String(issue.input)})`
        : issue.type === 'integer'
          ? `must be a whole number (got ${String(issue.input)})`
          : issue.type === 'number' && Number.isNaN(issue.input)
            ? 'must be a number'
            : issue.message;
  return `${path}: ${what}`;
}

/** Validate anything (parsed JSON, a decoded link) into a full config with defaults, or throw ConfigError. */
export function parseConfig(input: unknown): ExperimentConfig {
  const early = modelsRecordProblems(input);
  if (early.length > 0) throw new ConfigError(early);
  const res = v.safeParse(ExperimentSchema, input);
  if (!res.success) throw new ConfigError(res.issues.map(describe));
  const cfg = res.output;
  const world = worldConfig(cfg);
  const run = cfg as RunOf<World, ModelConfig>;
  const problems = world.problems(run, worldOf);
  if (problems.length > 0) throw new ConfigError(problems);
  const floats = world.floats(run);
  if (floats > MEMORY_BUDGET_FLOATS) {
    throw new ConfigError([
      `the run would need ${mib(floats)} MiB of GPU memory, over the ${mib(MEMORY_BUDGET_FLOATS)} MiB budget of a browser tab: use fewer pairs, prompts, responses or a smaller batch`,
    ]);
  }
  return cfg;
}

export function totalSteps(cfg: ExperimentConfig): number {
  return cfg.stages.reduce((a, s) => a + s.steps, 0);
}
