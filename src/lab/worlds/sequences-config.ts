// The sequences world's config: its schema and its stages' (sft, distill, reward_model; preference is shared with
// the bandit), the checks on its vocabulary and on the named models its stages use, its memory estimate and the
// size of each model.

import * as v from 'valibot';
import { DISTILL_KINDS } from '../../engine/backend';
import {
  choice,
  DEFAULT_SEQUENCE_PAIRS,
  int,
  MEMORY_BUDGET_FLOATS,
  metricFloats,
  mib,
  ModelOptimizerSchema,
  modelRef,
  num,
  stageName,
  stageOf,
  type FieldContext,
  type PreferenceStage,
  type RunOf,
  type WorldConfig,
} from './common-config';
import { modelSizes, type ModelConfig } from './models-config';

/**
 * A synthetic language from a hidden oracle: a sparse Markov chain of order `order` (a few likely successors per
 * state, so the language is multimodal), BOS-padded at the start, with an optional EOS token (id 0) so lengths vary.
 * The hidden reward of a whole sequence is a weighted sum of a target-token count, the oracle log-likelihood and
 * the length (a term a policy can game).
 */
export const SequencesWorldSchema = v.object({
  kind: v.literal('sequences'),
  vocab: int(8, 64, 16, 'Vocabulary', 'Tokens of the language (EOS, id 0, included when the stop probability is > 0)'),
  length: int(4, 32, 12, 'Max length', 'Tokens per sequence; longer ones are cut'),
  order: int(1, 2, 2, 'Oracle order', 'Previous tokens the hidden oracle conditions on'),
  successors: int(1, 8, 3, 'Successors', 'Likely next tokens per oracle state: the modes of the language'),
  spread: num(0, 5, 1, 'Successor spread', 'How unequal the successors are (std of their log-weights)'),
  noise: num(0.001, 0.5, 0.02, 'Noise', 'Probability spread evenly over all tokens (keeps every sequence possible)'),
  stop: num(0, 0.5, 0, 'Stop probability', 'Oracle probability of EOS after each token; 0: fixed length, no EOS'),
  samples: int(16, 100_000, 2048, 'Training samples', 'Oracle sequences in the training set'),
  heldout: int(
    16,
    4096,
    128,
    'Held-out samples',
    'Held-out oracle sequences; also the samples and pairs drawn at each evaluation',
  ),
  reward: v.optional(
    v.object({
      target: int(0, 63, 1, 'Target token', 'The token the count term counts'),
      count: num(-10, 10, 1, 'Count weight', 'Reward per occurrence of the target token'),
      likelihood: num(0, 10, 0, 'Likelihood weight', 'Weight of the oracle log-likelihood of the sequence'),
      length: num(-10, 10, 0, 'Length weight', 'Reward per token before EOS: a verbosity term a policy can game'),
    }),
    {},
  ),
});

/** Supervised fine-tuning: cross-entropy on oracle samples (trains a teacher). */
export const SftStageSchema = v.object({
  kind: v.literal('sft'),
  name: stageName('sft'),
  model: modelRef('teacher', 'Model', 'The named model trained'),
  steps: int(1, 100_000, 300, 'Steps'),
  batch: int(1, 4096, 32, 'Batch size', 'Sequences per step'),
  optimizer: ModelOptimizerSchema,
});

/** A rule for a stage field that applies while another field of the stage has a value. */
const when =
  (key: string, value: string) =>
  ({ parent }: FieldContext): boolean =>
    parent[key] === value;

/** Knowledge distillation of a frozen teacher into a student, per token (TRL GKD conventions). */
export const DistillStageSchema = v.object({
  kind: v.literal('distill'),
  name: stageName('distill'),
  model: modelRef('student', 'Student', 'The named model trained'),
  teacher: modelRef('teacher', 'Teacher', 'The named model distilled (frozen)'),
  steps: int(1, 100_000, 300, 'Steps'),
  batch: int(1, 4096, 32, 'Batch size', 'Sequences per step'),
  divergence: choice(
    DISTILL_KINDS,
    'forward_kl',
    'Divergence',
    'forward KL covers the teacher modes, reverse KL seeks one, JSD mixes',
    { optionLabels: { forward_kl: 'forward KL — covers modes', reverse_kl: 'reverse KL — seeks a mode', jsd: 'JSD' } },
  ),
  beta: num(0, 1, 0.5, 'JSD beta', 'Teacher weight of the JSD mixture', { applies: when('divergence', 'jsd') }),
  temperature: num(0.1, 10, 1, 'Temperature', 'Softens both distributions'),
  scaleT2: v.optional(v.pipe(v.boolean(), v.title('Scale by T^2'), v.description('Hinton KD scaling')), false),
  alpha: num(
    0,
    1,
    0,
    'Hard-label weight',
    'loss = (1 - alpha) divergence + alpha cross-entropy on the batch tokens (offline data only)',
    { applies: when('data', 'offline') },
  ),
  data: choice(
    ['offline', 'on_policy'] as const,
    'offline',
    'Data',
    'Fixed sequences, or sequences sampled from the student each step and scored by the teacher',
  ),
  source: choice(
    ['oracle', 'teacher'] as const,
    'oracle',
    'Offline sequences',
    'Oracle samples, or samples of the teacher drawn at stage start',
    { applies: when('data', 'offline') },
  ),
  optimizer: ModelOptimizerSchema,
});

/** A Bradley-Terry reward model trained on preference pairs sampled from a policy (compare DPO's implicit reward). */
export const RewardModelStageSchema = v.object({
  kind: v.literal('reward_model'),
  name: stageName('rm'),
  model: modelRef(
    'rm',
    'Reward model',
    'The named model trained: it scores each token with its context, summed over the sequence',
  ),
  policy: modelRef(
    'student',
    'Pair source',
    'The named model the pairs are sampled from (the same pairs a DPO stage on it would use)',
  ),
  pairs: int(2, 8192, 1024, 'Pairs', 'Size of the pair set'),
  steps: int(1, 100_000, 300, 'Steps'),
  batch: int(1, 4096, 32, 'Batch size', 'Pairs per step'),
  optimizer: ModelOptimizerSchema,
});

export type SequencesWorld = v.InferOutput<typeof SequencesWorldSchema>;
export type SftStage = v.InferOutput<typeof SftStageSchema>;
export type DistillStage = v.InferOutput<typeof DistillStageSchema>;
export type RewardModelStage = v.InferOutput<typeof RewardModelStageSchema>;
type SequencesStage = PreferenceStage | SftStage | DistillStage | RewardModelStage;
type SequencesRun = RunOf<SequencesWorld, ModelConfig>;

const STAGE_KINDS: readonly SequencesStage['kind'][] = ['preference', 'sft', 'distill', 'reward_model'];
const isSequencesStage = stageOf<SequencesStage>(STAGE_KINDS);

/** The names of the models the run's reward_model stages train: they score one value per position. */
const rewardModels = (run: SequencesRun) =>
  new Set(run.stages.flatMap((s) => (isSequencesStage(s) && s.kind === 'reward_model' ? [s.model] : [])));

/** Parameters of every named model over the tokens and BOS: V logits per position, or one score for a reward model. */
function sequencesWeights(run: SequencesRun): Map<string, number> {
  const V = run.world.vocab;
  const scorers = rewardModels(run);
  return new Map(
    Object.entries(run.models ?? {}).map(([name, m]) => [
      name,
      modelSizes(m).params(m, V + 1, scorers.has(name) ? 1 : V),
    ]),
  );
}

/** A pass a stage holds: the model, its sequences and whether it trains. */
interface StagePass {
  model: string;
  B: number;
  train: boolean;
}

/**
 * The passes a stage holds at its peak, by model: its training passes, its evaluation (sampler and probes of the
 * held-out size H) and the samplers that draw its data (pair sets, teacher samples, on-policy batches).
 */
function stagePasses(s: SequencesStage, H: number, samples: number): StagePass[] {
  const ours = (model: string, B: number, train = false): StagePass => ({ model, B, train });
  switch (s.kind) {
    case 'sft':
      return [ours(s.model, s.batch, true), ours(s.model, 3 * H)];
    case 'distill':
      return [
        ours(s.model, s.batch, true),
        ours(s.model, 3 * H + (s.data === 'on_policy' ? s.batch : 0)),
        ours(s.teacher, s.batch + H + (s.data === 'offline' && s.source === 'teacher' ? samples : 0)),
      ];
    case 'preference': {
      const pairs = s.pairs ?? DEFAULT_SEQUENCE_PAIRS;
      const draw = (s.data ?? 'offline') === 'offline' ? Math.max(2 * pairs, 2 * H) : Math.max(4 * s.batch, 2 * H);
      return s.model === undefined ? [] : [ours(s.model, 2 * s.batch, true), ours(s.model, 8 * H + draw)];
    }
    case 'reward_model':
      return [ours(s.model, 2 * s.batch, true), ours(s.model, 2 * H), ours(s.policy, Math.max(2 * s.pairs, 2 * H))];
  }
}

/** Floats each model's passes need at the peak of the stage that needs most of them (0 for per-row models). */
function passFloats(run: SequencesRun): Map<string, number> {
  const w = run.world;
  const scorers = rewardModels(run);
  const models = run.models ?? {};
  const peak = new Map<string, number>();
  for (const s of run.stages) {
    if (!isSequencesStage(s)) continue;
    const byModel = new Map<string, number>();
    for (const p of stagePasses(s, w.heldout, w.samples)) {
      if (!Object.hasOwn(models, p.model)) continue;
      const m = models[p.model];
      const floats = modelSizes(m).pass(m, p.B, w.length, scorers.has(p.model) ? 1 : w.vocab, p.train);
      byModel.set(p.model, (byModel.get(p.model) ?? 0) + floats);
    }
    for (const [name, f] of byModel) peak.set(name, Math.max(peak.get(name) ?? 0, f));
  }
  return peak;
}

/** Models with grads and moments, the data, and the largest stage's activations and samplers. */
function sequencesFloats(run: SequencesRun): number {
  const w = run.world;
  const V = w.vocab;
  const T = w.length;
  let params = 0;
  for (const n of sequencesWeights(run).values()) params += n;
  let widest = V;
  for (const m of Object.values(run.models ?? {})) widest = Math.max(widest, modelSizes(m).widest(m));
  const data = (w.samples + 2 * w.heldout) * T * 2 + (V + 1) ** (w.order + 1);
  let peak = 0;
  for (const s of run.stages) {
    if (!isSequencesStage(s)) continue;
    const pairs =
      s.kind === 'reward_model' ? s.pairs : s.kind === 'preference' ? (s.pairs ?? DEFAULT_SEQUENCE_PAIRS) : 0;
    const rows = Math.max(4 * s.batch, 2 * pairs, s.kind === 'distill' ? w.samples : 0, w.heldout) * T;
    peak = Math.max(peak, rows * (4 * widest + 4 * V + 8) + pairs * T * 4);
  }
  let passes = 0;
  for (const f of passFloats(run).values()) passes += f;
  return params * 5 + data + peak + passes + metricFloats(run);
}

/**
 * Each model that alone would not fit the memory budget (its parameters, gradients, 2 Adam moments and a frozen
 * copy, and its passes), named before the run is built: the message says which model and what it would need.
 */
function modelBudgetProblems(run: SequencesRun): string[] {
  const weights = sequencesWeights(run);
  const passes = passFloats(run);
  const problems: string[] = [];
  for (const [name, m] of Object.entries(run.models ?? {})) {
    const params = weights.get(name) ?? 0;
    const floats = 5 * params + (passes.get(name) ?? 0);
    if (m.kind !== 'transformer' || floats <= MEMORY_BUDGET_FLOATS) continue;
    problems.push(
      `models.${name}: this transformer would need ${mib(floats)} MiB (${params.toLocaleString('en-US')} parameters with gradients, Adam moments and a copy, activations over ${run.world.length} positions), over the ${mib(MEMORY_BUDGET_FLOATS)} MiB budget of a browser tab: lower its width or layers, or the batch, pairs or held-out samples`,
    );
  }
  return problems;
}

/** A transformer's fields that do not fit together or do not fit the world and the role the stages give it. */
function transformerProblems(run: SequencesRun, scorers: Set<string>): string[] {
  const problems: string[] = [];
  for (const [name, m] of Object.entries(run.models ?? {})) {
    for (const p of modelSizes(m).problems(m)) problems.push(`models.${name}.${p}`);
    if (m.kind !== 'transformer') continue;
    if (m.context < run.world.length)
      problems.push(
        `models.${name}.context: must be at least the world's max length of ${run.world.length} (got ${m.context})`,
      );
    if (m.tiedHead && scorers.has(name))
      problems.push(
        `models.${name}.tiedHead: "${name}" is a reward model (one score per position): it has no logits to tie to the token embedding`,
      );
  }
  return problems;
}

/** The vocabulary, the stages that do not fit the world, and the models the stages name and the roles they play. */
function sequencesProblems(run: SequencesRun, worldOf: (stageKind: string) => string): string[] {
  const problems: string[] = [];
  const w = run.world;
  run.stages.forEach((s, i) => {
    if (!isSequencesStage(s)) problems.push(`stages.${i}.kind: ${s.kind} stages need a ${worldOf(s.kind)} world`);
  });
  const eos = w.stop > 0;
  if (w.reward.target >= w.vocab)
    problems.push(`world.reward.target: must be below the vocabulary of ${w.vocab} (got ${w.reward.target})`);
  if (eos && w.reward.target === 0)
    problems.push('world.reward.target: token 0 is EOS when the stop probability is > 0');
  const content = w.vocab - (eos ? 1 : 0);
  if (w.successors > content)
    problems.push(`world.successors: must be at most the ${content} content tokens (got ${w.successors})`);
  const models = run.models ?? {};
  const roles = new Map<string, string>();
  const use = (i: number, field: string, name: string, role: 'language model' | 'reward model') => {
    // Own keys only: "constructor" is in every object, never in a config's models.
    if (!Object.hasOwn(models, name)) {
      problems.push(
        `stages.${i}.${field}: no model named "${name}" in models (have: ${listNames(Object.keys(models))})`,
      );
      return;
    }
    const had = roles.get(name);
    if (had && had !== role) problems.push(`stages.${i}.${field}: "${name}" is used as both a ${had} and a ${role}`);
    roles.set(name, role);
  };
  run.stages.forEach((s, i) => {
    if (!isSequencesStage(s)) return;
    if (s.kind === 'preference') {
      if (s.model === undefined)
        problems.push(`stages.${i}.model: name the policy model of a sequences preference stage`);
      else use(i, 'model', s.model, 'language model');
    } else {
      use(i, 'model', s.model, s.kind === 'reward_model' ? 'reward model' : 'language model');
    }
    if (s.kind === 'distill') {
      use(i, 'teacher', s.teacher, 'language model');
      if (s.teacher === s.model)
        problems.push(`stages.${i}.teacher: the teacher must be another model than the student`);
      if (s.data === 'on_policy' && s.alpha > 0) {
        problems.push(`stages.${i}.alpha: hard labels need offline data (on-policy samples are the student's own)`);
      }
    }
    if (s.kind === 'reward_model') use(i, 'policy', s.policy, 'language model');
  });
  problems.push(...transformerProblems(run, rewardModels(run)));
  if (problems.length === 0) problems.push(...modelBudgetProblems(run));
  return problems;
}

/** At most a few names, then how many more. */
function listNames(names: string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, 8).join(', ');
  return names.length > 8 ? `${shown} and ${names.length - 8} more` : shown;
}

export const SEQUENCES: WorldConfig<SequencesWorld, ModelConfig> = {
  stageKinds: STAGE_KINDS,
  problems: sequencesProblems,
  floats: sequencesFloats,
  weights: sequencesWeights,
};
