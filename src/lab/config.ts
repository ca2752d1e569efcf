// The experiment config: one valibot schema gives the types, the defaults, validation with clear messages, the UI
// form's bounds and what the share codec accepts. A run is a pure function of its config.

import * as v from 'valibot';
import { ACTIVATIONS, DISTILL_KINDS, PREFERENCE_LOSS_TYPES } from '../engine/backend';

export const CONFIG_VERSION = 1;

/** A bounded number field: its title and description feed the generated UI form. */
const num = (min: number, max: number, fallback: number, title: string, description = '') =>
  v.optional(
    v.pipe(v.number(), v.finite(), v.minValue(min), v.maxValue(max), v.title(title), v.description(description)),
    fallback,
  );

const int = (min: number, max: number, fallback: number, title: string, description = '') =>
  v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max), v.title(title), v.description(description)),
    fallback,
  );

const choice = <T extends string>(options: readonly T[], fallback: T, title: string, description = '') =>
  v.optional(v.pipe(v.picklist(options as T[]), v.title(title), v.description(description)), fallback as never);

/** AdamW settings; the default learning rate suits the stage (a table of logits takes larger steps than an MLP). */
const optimizerWith = (lr: number) =>
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
const ModelOptimizerSchema = optimizerWith(0.01);

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

/** Most points a user-given point set may hold. */
export const MAX_USER_POINTS = 64;
export const POINTS2D_SHAPES = ['ring8', 'grid25', 'moons', 'spirals', 'checkerboard', 'points'] as const;

/**
 * 2D point clouds for diffusion: a data distribution with known modes (centers or regions), the noise schedule of
 * the diffusion process, the denoiser architecture every model of the run shares and how samples are drawn.
 */
export const Points2dWorldSchema = v.object({
  kind: v.literal('points2d'),
  shape: choice(
    POINTS2D_SHAPES,
    'ring8',
    'Data',
    'Ring of 8 or grid of 25 Gaussians, two moons, two spirals, a checkerboard, or the given points',
  ),
  spread: num(
    0.01,
    1,
    0.1,
    'Spread',
    'Std of each Gaussian (ring, grid, points) or of the noise around a curve (moons, spirals)',
  ),
  points: v.optional(
    v.pipe(
      v.array(
        v.tuple([
          v.pipe(v.number(), v.finite(), v.minValue(-4), v.maxValue(4)),
          v.pipe(v.number(), v.finite(), v.minValue(-4), v.maxValue(4)),
        ]),
      ),
      v.maxLength(MAX_USER_POINTS, `at most ${MAX_USER_POINTS} points`),
      v.title('Points'),
      v.description('shape "points": the centers [x, y] (each in [-4, 4]) of a mixture of Gaussians, one mode each'),
    ),
  ),
  samples: int(64, 65536, 4096, 'Data points', 'Size of the training set drawn from the distribution'),
  timesteps: int(8, 1000, 100, 'Timesteps', 'Steps T of the forward (noising) process'),
  schedule: choice(
    ['linear', 'cosine'] as const,
    'linear',
    'Noise schedule',
    'Linear betas (Ho et al.) or cosine alpha-bar (Nichol & Dhariwal)',
  ),
  width: int(8, 512, 64, 'Denoiser width', 'Hidden width of the epsilon-predicting MLP'),
  depth: int(1, 6, 3, 'Denoiser layers', 'Hidden layers of the MLP'),
  embed: int(2, 64, 16, 'Time embedding', 'Width of the sinusoidal embedding of t (even)'),
  activation: choice(ACTIVATIONS, 'silu', 'Activation'),
  sampler: choice(
    ['ddpm', 'ddim'] as const,
    'ddim',
    'Sampler',
    'DDPM ancestral (stochastic) or DDIM (deterministic) sampling',
  ),
  samplerSteps: int(1, 1000, 50, 'Sampler steps', 'Denoising steps of the sampler (at most the timesteps)'),
  evalSamples: int(64, 8192, 1024, 'Evaluation samples', 'Samples drawn from each model at every metric read-back'),
  coverage: num(
    0.01,
    1,
    0.25,
    'Coverage threshold',
    'A mode counts as covered when it holds at least this fraction of its share of the data',
  ),
});

export const WorldSchema = v.variant('kind', [BanditWorldSchema, SequencesWorldSchema, Points2dWorldSchema]);

const NAME = /^[a-z][a-z0-9_-]{0,23}$/;
const modelRef = (fallback: string, title: string, description = '') =>
  v.optional(
    v.pipe(v.string(), v.regex(NAME, 'a model name from `models`'), v.title(title), v.description(description)),
    fallback,
  );
const stageName = (fallback: string) =>
  v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9_-]{1,24}$/, 'a short lowercase name')), fallback);

/** A language model over windows of the previous `context` tokens: embeddings -> concat -> MLP -> logits. */
export const TokenMlpSchema = v.object({
  kind: v.literal('token-mlp'),
  context: int(
    1,
    8,
    2,
    'Context',
    'Previous tokens the model sees (BOS-padded); for a reward model, tokens scored together',
  ),
  embed: int(1, 128, 16, 'Embedding width'),
  width: int(1, 512, 64, 'Hidden width'),
  depth: int(0, 4, 1, 'Hidden layers'),
  activation: choice(ACTIVATIONS, 'gelu', 'Activation'),
  initScale: num(0.01, 10, 1, 'Init scale', 'Multiplies the initial weights, N(0, 1/fan_in)'),
});

export const ModelSchema = v.variant('kind', [TokenMlpSchema]);

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
  // Sequences world only: the bandit's policy is its table and its pairs come from the world.
  model: v.optional(
    v.pipe(
      v.string(),
      v.regex(NAME),
      v.title('Policy model'),
      v.description('Sequences: the named model trained; its copy at stage start is the reference'),
    ),
  ),
  data: v.optional(
    v.pipe(
      v.picklist(['offline', 'online'] as const),
      v.title('Data'),
      v.description(
        'Sequences: fixed pairs sampled from the reference (default), or fresh pairs from the current policy each step',
      ),
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
    ),
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
  ),
  beta: num(0, 1, 0.5, 'JSD beta', 'Teacher weight of the JSD mixture'),
  temperature: num(0.1, 10, 1, 'Temperature', 'Softens both distributions'),
  scaleT2: v.optional(v.pipe(v.boolean(), v.title('Scale by T^2'), v.description('Hinton KD scaling')), false),
  alpha: num(
    0,
    1,
    0,
    'Hard-label weight',
    'loss = (1 - alpha) divergence + alpha cross-entropy on the batch tokens (offline data only)',
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

/** Points2d: DDPM training of the teacher denoiser (epsilon prediction, uniform timesteps). */
export const DiffusionStageSchema = v.object({
  kind: v.literal('diffusion'),
  name: stageName('teacher'),
  steps: int(1, 100_000, 2000, 'Steps'),
  batch: int(1, 4096, 256, 'Batch size', 'Data points per step, spread evenly over the timesteps'),
  optimizer: optimizerWith(0.003),
});

/**
 * Points2d: distribution matching distillation (DMD) of the teacher into a one-step generator (initialized from the
 * teacher) that jumps to x_0 from pure noise or from the handover timestep, trained with the difference of the
 * teacher and fake-score denoisers (a reverse KL); the fake-score denoiser learns the generator's own samples.
 */
export const DmdStageSchema = v.object({
  kind: v.literal('dmd'),
  name: stageName('dmd'),
  steps: int(1, 100_000, 600, 'Steps'),
  batch: int(1, 4096, 256, 'Batch size', 'Generator samples per step'),
  optimizer: optimizerWith(0.001),
  fakeLr: num(1e-6, 1, 0.003, 'Fake-score learning rate', 'AdamW learning rate of the fake-score denoiser'),
  hybrid: int(
    1,
    100,
    20,
    'Hybrid teacher steps',
    'Hybrid inference: the teacher takes the high-noise stretch, from t = T down to the handover, in k DDIM steps; then the student jumps to x_0',
  ),
  handover: num(
    0.05,
    0.95,
    0.15,
    'Handover',
    'Timestep (fraction of T) where hybrid inference hands over to the student; the generator also learns to jump from there',
  ),
});

/** Points2d: progressive distillation: each round a student matches two DDIM steps of the previous model in one. */
export const ProgressiveStageSchema = v.object({
  kind: v.literal('progressive'),
  name: stageName('progressive'),
  rounds: int(1, 8, 3, 'Rounds', 'Halvings of the sampler steps, starting from the world sampler steps'),
  steps: int(1, 100_000, 900, 'Steps', 'Total steps, split evenly over the rounds'),
  batch: int(1, 4096, 256, 'Batch size', 'Data points per step, spread over the student steps'),
  optimizer: optimizerWith(0.001),
});

/** Points2d: Diffusion-DPO of the teacher against its frozen copy, on pairs labelled by a hidden 2D reward. */
export const DiffusionDpoStageSchema = v.object({
  kind: v.literal('diffusion_dpo'),
  name: stageName('ddpo'),
  steps: int(1, 100_000, 400, 'Steps'),
  batch: int(1, 4096, 128, 'Batch size', 'Preference pairs per step'),
  pairs: int(8, 16384, 2048, 'Pairs', 'Pairs sampled from the reference at stage start'),
  beta: num(0.1, 100_000, 500, 'beta', 'Strength of the tie to the reference'),
  reward: v.optional(
    v.object({
      angle: num(-180, 180, 0, 'Preferred direction', 'Hidden reward r(x) = scale * <x, (cos a, sin a)>: degrees'),
      scale: num(0, 20, 2, 'Reward scale', 'Bradley-Terry sharpness of the labels'),
    }),
    {},
  ),
  optimizer: optimizerWith(0.0003),
});

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
  // Named models of a sequences run (absent on the bandit, whose policy is its table).
  models: v.optional(v.record(v.pipe(v.string(), v.regex(NAME, 'a short lowercase name')), ModelSchema)),
  stages: v.pipe(v.array(StageSchema), v.minLength(1, 'a run needs at least one stage'), v.maxLength(8)),
  metrics: v.optional(v.object({ every: int(1, 1000, 10, 'Metric period', 'Steps between metric read-backs') }), {}),
});

export type ExperimentConfig = v.InferOutput<typeof ExperimentSchema>;
export type ExperimentInput = v.InferInput<typeof ExperimentSchema>;
export type BanditWorld = v.InferOutput<typeof BanditWorldSchema>;
export type PreferenceStage = v.InferOutput<typeof PreferenceStageSchema>;
export type Stage = v.InferOutput<typeof StageSchema>;
export type SequencesWorld = v.InferOutput<typeof SequencesWorldSchema>;
export type TokenMlpConfig = v.InferOutput<typeof TokenMlpSchema>;
export type SftStage = v.InferOutput<typeof SftStageSchema>;
export type DistillStage = v.InferOutput<typeof DistillStageSchema>;
export type RewardModelStage = v.InferOutput<typeof RewardModelStageSchema>;
export type Points2dWorld = v.InferOutput<typeof Points2dWorldSchema>;
export type DiffusionStage = v.InferOutput<typeof DiffusionStageSchema>;
export type DmdStage = v.InferOutput<typeof DmdStageSchema>;
export type DiffusionDpoStage = v.InferOutput<typeof DiffusionDpoStageSchema>;
export type ProgressiveStage = v.InferOutput<typeof ProgressiveStageSchema>;
/** Offline pairs of a sequences preference stage when `pairs` is not given. */
export const DEFAULT_SEQUENCE_PAIRS = 1024;

/** Floats a run may hold on the device: keeps a browser tab alive on a laptop GPU. */
export const MEMORY_BUDGET_FLOATS = 64 * 1024 * 1024;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid experiment config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Floats the device holds for a config (parameters with grads and Adam moments, data, activations). */
export function estimateFloats(cfg: ExperimentConfig): number {
  if (cfg.world.kind === 'sequences') return estimateSequenceFloats(cfg, cfg.world);
  if (cfg.world.kind === 'points2d') return estimatePoints2dFloats(cfg, cfg.world);
  const w = cfg.world;
  const table = w.prompts * w.responses;
  let peak = 0;
  for (const s of cfg.stages) peak = Math.max(peak, 6 * s.batch * w.responses + 8 * s.batch);
  return table * 6 + w.pairs * 3 + peak + cfg.metrics.every * 16;
}

/** Points2d: three denoisers with grads and moments, data, per-row activations and the [B, B] noising matrices. */
function estimatePoints2dFloats(cfg: ExperimentConfig, w: Points2dWorld): number {
  const H = w.width;
  const params = (2 + w.embed + 1) * H + (w.depth - 1) * (H + 1) * H + (H + 1) * 2;
  let peak = w.evalSamples * (4 * H + w.embed + 16) * 3 + 2 * w.samplerSteps * 256 * 2;
  for (const s of cfg.stages) {
    const rows = s.kind === 'diffusion_dpo' ? 2 * s.batch : s.batch;
    peak = Math.max(
      peak,
      rows * (8 * H + 2 * w.embed + 32) * 4 +
        // The [B, B] diagonal matrices that scale rows per timestep (10 per progressive round).
        (s.kind === 'progressive' ? 10 * s.rounds : 8) * s.batch * s.batch +
        // Diffusion-DPO samples its 2 * pairs points from the reference at stage start.
        (s.kind === 'diffusion_dpo' ? 2 * s.pairs * (4 * H + w.embed + 16) : 0),
    );
  }
  return 3 * 5 * params + w.samples * 2 + w.timesteps * w.embed + peak + cfg.metrics.every * 16;
}

/** Sequences: models with grads and moments, the data, and the largest stage's activations and samplers. */
function estimateSequenceFloats(cfg: ExperimentConfig, w: SequencesWorld): number {
  const V = w.vocab;
  const T = w.length;
  let params = 0;
  let widest = V;
  for (const m of Object.values(cfg.models ?? {})) {
    params +=
      (V + 1) * m.embed + (m.context * m.embed + 1) * m.width + m.depth * (m.width + 1) * m.width + (m.width + 1) * V;
    widest = Math.max(widest, m.width, m.context * m.embed);
  }
  const data = (w.samples + 2 * w.heldout) * T * 2 + (V + 1) ** (w.order + 1);
  let peak = 0;
  for (const s of cfg.stages) {
    const pairs =
      s.kind === 'reward_model' ? s.pairs : s.kind === 'preference' ? (s.pairs ?? DEFAULT_SEQUENCE_PAIRS) : 0;
    const rows = Math.max(4 * s.batch, 2 * pairs, s.kind === 'distill' ? w.samples : 0, w.heldout) * T;
    peak = Math.max(peak, rows * (4 * widest + 4 * V + 8) + pairs * T * 4);
  }
  return params * 5 + data + peak + cfg.metrics.every * 16;
}

/** Problems a schema cannot see: stages that do not fit the world, model names that do not exist, sizes. */
function crossProblems(cfg: ExperimentConfig): string[] {
  const problems: string[] = [];
  const w = cfg.world;
  if (w.kind === 'bandit') {
    cfg.stages.forEach((s, i) => {
      if (s.kind !== 'preference')
        problems.push(`stages.${i}.kind: a bandit world runs preference stages only (got ${s.kind})`);
    });
    return problems;
  }
  const diffusionKinds = ['diffusion', 'dmd', 'diffusion_dpo', 'progressive'];
  if (w.kind === 'points2d') {
    cfg.stages.forEach((s, i) => {
      if (!diffusionKinds.includes(s.kind))
        problems.push(
          `stages.${i}.kind: a points2d world runs diffusion, dmd, progressive and diffusion_dpo stages only (got ${s.kind})`,
        );
      if (s.kind === 'progressive' && w.samplerSteps % 2 ** s.rounds !== 0) {
        problems.push(
          `stages.${i}.rounds: the ${w.samplerSteps} sampler steps must halve evenly ${s.rounds} times (use a multiple of ${2 ** s.rounds})`,
        );
      }
    });
    if (w.shape === 'points' && (w.points?.length ?? 0) < 1)
      problems.push('world.points: shape "points" needs at least one point');
    if (w.embed % 2 !== 0) problems.push(`world.embed: must be even (got ${w.embed})`);
    if (w.samplerSteps > w.timesteps)
      problems.push(`world.samplerSteps: must be at most the ${w.timesteps} timesteps (got ${w.samplerSteps})`);
    cfg.stages.forEach((s, i) => {
      if (s.kind === 'dmd' && s.hybrid > w.timesteps * (1 - s.handover))
        problems.push(`stages.${i}.hybrid: more teacher steps than timesteps before the handover (got ${s.hybrid})`);
    });
    return problems;
  }
  cfg.stages.forEach((s, i) => {
    if (diffusionKinds.includes(s.kind)) problems.push(`stages.${i}.kind: ${s.kind} stages need a points2d world`);
  });
  const eos = w.stop > 0;
  if (w.reward.target >= w.vocab)
    problems.push(`world.reward.target: must be below the vocabulary of ${w.vocab} (got ${w.reward.target})`);
  if (eos && w.reward.target === 0)
    problems.push('world.reward.target: token 0 is EOS when the stop probability is > 0');
  const content = w.vocab - (eos ? 1 : 0);
  if (w.successors > content)
    problems.push(`world.successors: must be at most the ${content} content tokens (got ${w.successors})`);
  const models = cfg.models ?? {};
  const roles = new Map<string, string>();
  const use = (i: number, field: string, name: string, role: 'language model' | 'reward model') => {
    if (!(name in models)) {
      problems.push(
        `stages.${i}.${field}: no model named "${name}" in models (have: ${Object.keys(models).join(', ') || 'none'})`,
      );
      return;
    }
    const had = roles.get(name);
    if (had && had !== role) problems.push(`stages.${i}.${field}: "${name}" is used as both a ${had} and a ${role}`);
    roles.set(name, role);
  };
  cfg.stages.forEach((s, i) => {
    if (s.kind === 'diffusion' || s.kind === 'dmd' || s.kind === 'diffusion_dpo' || s.kind === 'progressive') return;
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
  return problems;
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
  const problems = crossProblems(cfg);
  if (problems.length > 0) throw new ConfigError(problems);
  const floats = estimateFloats(cfg);
  if (floats > MEMORY_BUDGET_FLOATS) {
    throw new ConfigError([
      `the run would need ${((floats * 4) / 2 ** 20).toFixed(0)} MiB of GPU memory, over the ${(MEMORY_BUDGET_FLOATS * 4) / 2 ** 20} MiB budget of a browser tab: use fewer pairs, prompts, responses or a smaller batch`,
    ]);
  }
  return cfg;
}

export function totalSteps(cfg: ExperimentConfig): number {
  return cfg.stages.reduce((a, s) => a + s.steps, 0);
}
