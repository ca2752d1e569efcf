// What every world's config module builds on: bounded fields, optimizers, names, lists checked for length before
// their elements, the preference stage (bandit and sequences) and the contract a world's config module fulfils.

import * as v from 'valibot';
import { PREFERENCE_LOSSES, PREFERENCE_LOSS_TYPES } from '../../engine/preference_losses';

/** What a field's applicability rule reads: the whole config and the object the field sits in (its stage, world). */
export interface FieldContext {
  config: { world: { kind: string } & Record<string, unknown> } & Record<string, unknown>;
  parent: Record<string, unknown>;
}

/**
 * What the generated form knows of a field beyond its bounds: whether it applies to the config at hand (no SimPO
 * gamma for the sigmoid loss; absent: always) and each option of a choice in words. The rules sit in the schema,
 * beside the field they are about; a field that does not apply keeps its value but is neither shown nor named.
 */
export type FieldMeta = {
  applies?: (ctx: FieldContext) => boolean;
  optionLabels?: Readonly<Record<string, string>>;
};

/** A bounded number field: its title and description feed the generated UI form. */
export const num = (
  min: number,
  max: number,
  fallback: number,
  title: string,
  description = '',
  meta: FieldMeta = {},
) =>
  v.optional(
    v.pipe(
      v.number(),
      v.finite(),
      v.minValue(min),
      v.maxValue(max),
      v.title(title),
      v.description(description),
      v.metadata(meta),
    ),
    fallback,
  );

export const int = (
  min: number,
  max: number,
  fallback: number,
  title: string,
  description = '',
  meta: FieldMeta = {},
) =>
  v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(min),
      v.maxValue(max),
      v.title(title),
      v.description(description),
      v.metadata(meta),
    ),
    fallback,
  );

export const choice = <T extends string>(
  options: readonly T[],
  fallback: T,
  title: string,
  description = '',
  meta: FieldMeta = {},
) =>
  v.optional(
    v.pipe(v.picklist(options as T[]), v.title(title), v.description(description), v.metadata(meta)),
    fallback as never,
  );

/** Whether a preference stage's loss reads a setting (its row of PREFERENCE_LOSSES). */
const lossReads =
  (setting: 'smoothing' | 'gamma') =>
  ({ parent }: FieldContext): boolean =>
    PREFERENCE_LOSSES.find((l) => l.name === parent.lossType)?.[setting] ?? true;

const inSequences = ({ config }: FieldContext) => config.world.kind === 'sequences';

/**
 * A list whose length is checked before its elements: a list of a million bad elements costs one short issue,
 * not a million. The real array schema comes last in the pipe (the UI form finds its items there).
 */
export const boundedList = <T extends v.GenericSchema>(
  item: T,
  length: { min?: number; max: number; minMessage?: string; maxMessage?: string },
) =>
  v.pipe(
    v.custom<v.InferInput<T>[]>((x) => Array.isArray(x), 'must be a list'),
    v.minLength(length.min ?? 0, length.minMessage),
    v.maxLength(
      length.max,
      (issue) => `${length.maxMessage ?? `at most ${length.max} entries`} (got ${issue.received})`,
    ),
    v.array(item),
  );

/** AdamW settings; the default learning rate suits the stage (a table of logits takes larger steps than an MLP). */
export const optimizerWith = (lr: number) =>
  v.optional(
    v.object({
      lr: num(1e-6, 1, lr, 'Learning rate'),
      beta1: num(0, 0.9999, 0.9, 'Adam beta1'),
      beta2: num(0, 0.99999, 0.999, 'Adam beta2'),
      eps: num(1e-12, 1e-2, 1e-8, 'Adam epsilon'),
      weightDecay: num(0, 1, 0, 'Weight decay', 'Decoupled (AdamW) weight decay'),
    }),
    {},
  );

export const OptimizerSchema = optimizerWith(0.05);
export const ModelOptimizerSchema = optimizerWith(0.01);

export const NAME = /^[a-z][a-z0-9_-]{0,23}$/;
export const modelRef = (fallback: string, title: string, description = '') =>
  v.optional(
    v.pipe(v.string(), v.regex(NAME, 'a model name from `models`'), v.title(title), v.description(description)),
    fallback,
  );
export const stageName = (fallback: string) =>
  v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9_-]{1,24}$/, 'a short lowercase name')), fallback);

/** Offline pairs of a sequences preference stage when `pairs` is not given. */
export const DEFAULT_SEQUENCE_PAIRS = 1024;

export const PreferenceStageSchema = v.object({
  kind: v.literal('preference'),
  name: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9_-]{1,24}$/, 'a short lowercase name')), 'dpo'),
  steps: int(1, 100_000, 300, 'Steps'),
  batch: int(1, 4096, 64, 'Batch size', 'Preference pairs per step'),
  lossType: choice(PREFERENCE_LOSS_TYPES, 'sigmoid', 'Loss', 'Member of the DPO family', {
    optionLabels: Object.fromEntries(PREFERENCE_LOSSES.map((l) => [l.name, `${l.name} — ${l.title}`])),
  }),
  beta: num(0.001, 100, 0.1, 'beta', 'Strength of the KL tie to the reference (higher: stay closer)'),
  labelSmoothing: num(0, 0.49, 0, 'Label smoothing', 'cDPO smoothing (sigmoid, simpo) or assumed flip rate (robust)', {
    applies: lossReads('smoothing'),
  }),
  gamma: num(0, 10, 0.5, 'gamma', 'SimPO target reward margin', { applies: lossReads('gamma') }),
  optimizer: OptimizerSchema,
  // Sequences world only: the bandit's policy is its table and its pairs come from the world.
  model: v.optional(
    v.pipe(
      v.string(),
      v.regex(NAME),
      v.title('Policy model'),
      v.description('Sequences: the named model trained; its copy at stage start is the reference'),
      v.metadata<string, FieldMeta>({ applies: inSequences }),
    ),
  ),
  data: v.optional(
    v.pipe(
      v.picklist(['offline', 'online'] as const),
      v.title('Data'),
      v.description(
        'Sequences: fixed pairs sampled from the reference (default), or fresh pairs from the current policy each step',
      ),
      v.metadata<'offline' | 'online', FieldMeta>({ applies: inSequences }),
    ),
  ),
  pairs: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(2),
      v.maxValue(8192),
      v.title('Offline pairs'),
      v.description('Sequences: size of the offline pair set (default 1024)'),
      v.metadata<number, FieldMeta>({ applies: (ctx) => inSequences(ctx) && ctx.parent.data !== 'online' }),
    ),
  ),
});

export type PreferenceStage = v.InferOutput<typeof PreferenceStageSchema>;

/** What every stage has, whatever its kind: a world's checks narrow it to the kinds the world runs. */
export interface AnyStage {
  kind: string;
  steps: number;
  batch: number;
}

/** The parts of a validated config a world's checks and memory estimate read; M: a named model's config. */
export interface RunOf<W, M = unknown> {
  world: W;
  stages: readonly AnyStage[];
  models?: Readonly<Record<string, M>>;
  metrics: { every: number };
}

/**
 * A world's config module: the stage kinds it runs, the problems a schema cannot see (stages that do not fit the
 * world, names that do not resolve, sizes that do not agree), the floats its run holds on the device and the size
 * of each model it trains.
 * `worldOf` names the world that runs a stage kind, for the message about a stage in the wrong world.
 */
export interface WorldConfig<W, M = unknown> {
  stageKinds: readonly string[];
  problems(run: RunOf<W, M>, worldOf: (stageKind: string) => string): string[];
  floats(run: RunOf<W, M>): number;
  /** Parameters of each model the run trains, by the name `Experiment.weights()` gives it. */
  weights(run: RunOf<W, M>): Map<string, number>;
}

/** A type guard for the stages of the given kinds. */
export const stageOf =
  <S extends AnyStage>(kinds: readonly S['kind'][]) =>
  (s: AnyStage): s is S =>
    (kinds as readonly string[]).includes(s.kind);

/** Floats a run may hold on the device: keeps a browser tab alive on a laptop GPU. */
export const MEMORY_BUDGET_FLOATS = 64 * 1024 * 1024;

/** Floats as MiB of float32, for messages. */
export const mib = (floats: number) => ((floats * 4) / 2 ** 20).toFixed(0);

/** Floats every run keeps for its metric ring, whatever its world. */
export const metricFloats = (run: RunOf<unknown, unknown>) => run.metrics.every * 16;
