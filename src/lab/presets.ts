// Built-in experiments: each teaches one phenomenon, with what to watch. The same list feeds the CLI and the UI.

import type { ExperimentInput } from './config';
import { HARBOR_PAIRS } from './worlds/text-corpus';

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
  rewardScale: 4,
  referenceTemperature: 1,
  pairs: 2048,
  pairSource: 'reference',
} as const;

const dpo = { kind: 'preference', name: 'dpo', steps: 400, batch: 64, beta: 0.5, optimizer: { lr: 0.05 } } as const;

/**
 * Sequences: a language from a hidden order-2 Markov chain with three likely successors per state (multimodal).
 * The hidden reward here is the oracle log-likelihood of a sequence: the true quality of a sample.
 */
const language = {
  kind: 'sequences',
  vocab: 16,
  length: 12,
  order: 2,
  successors: 3,
  spread: 0.5,
  reward: { count: 0, likelihood: 1 },
} as const;

const teacherModel = { kind: 'token-mlp', context: 2, embed: 16, width: 64, depth: 1 } as const;
/** Sees one previous token only: it cannot represent an order-2 language, so it must choose what to give up. */
const smallStudent = { kind: 'token-mlp', context: 1, embed: 16, width: 32, depth: 1 } as const;
const sftTeacher = { kind: 'sft', steps: 400, batch: 32, optimizer: { lr: 0.02 } } as const;
const distillStudent = { kind: 'distill', steps: 300, batch: 32, optimizer: { lr: 0.02 } } as const;
const sequenceDpo = {
  kind: 'preference',
  steps: 300,
  batch: 32,
  beta: 0.1,
  pairs: 1024,
  optimizer: { lr: 0.003 },
} as const;

/** A GPT-2 transformer that reads the whole sequence so far: it can learn the order-2 language from its context. */
const transformerPolicy = { kind: 'transformer', layers: 2, heads: 2, width: 32, context: 12 } as const;
/** Transformers learn this language at a smaller learning rate than the token-MLPs (at 0.03 they stall at bigrams). */
const sftTransformer = { ...sftTeacher, optimizer: { lr: 0.003 } } as const;

const FULL_PRESETS: readonly Preset[] = [
  {
    name: 'dpo-bandit',
    title: 'DPO on a bandit: the policy approaches the closed-form optimum',
    watch:
      'The implicit reward $\\beta \\log \\frac{\\pi_\\theta(y)}{\\pi_{ref}(y)}$ of chosen responses rises above the rejected ones: `rewards/margins` grows and `rewards/accuracies` climbs toward 1. Since the true reward is known, `kl/optimal` measures the distance to $\\pi^* \\propto \\pi_{ref} e^{r/\\beta}$, the policy DPO aims at: it falls several-fold over the 400 steps, but not to 0. Trained longer it levels off a little above 0, because the policy learns from 2,048 sampled pairs, not from the reward itself: more pairs bring it closer to $\\pi^*$.',
    config: { seed: 1, world: bandit, stages: [dpo], metrics: { every: 10 } },
  },
  {
    name: 'dpo-large-beta',
    title: 'A large beta keeps the policy near the reference',
    watch:
      'With $\\beta = 20$ the KL penalty dominates: `kl/reference` stays small and the policy bars barely move from the reference, even as the loss falls.',
    config: { seed: 1, world: bandit, stages: [{ ...dpo, beta: 20 }], metrics: { every: 10 } },
  },
  {
    name: 'dpo-sparse-coverage',
    title: 'Offline DPO with sparse coverage: both likelihoods go down',
    watch:
      'Only a few responses per prompt ever appear in the data. DPO only constrains the log-ratio of chosen to rejected, so it can raise the margin by pushing *both* down and moving probability to responses the data never shows: `logps/chosen` falls while `rewards/margins` grows.',
    config: {
      seed: 3,
      world: { ...bandit, responses: 24, coverage: 0.17, pairSource: 'uniform', pairs: 512 },
      stages: [{ ...dpo, steps: 600, beta: 0.1 }],
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
  {
    name: 'distill-forward-kl',
    title: 'Distillation with forward KL: a small student covers the teacher modes',
    watch:
      'First SFT trains a teacher on oracle samples: `nll/model` falls toward `nll/oracle`, the floor. Then a student that sees only the previous token learns the teacher per token by minimizing $\\mathrm{KL}(p_T \\| p_S)$. This forward KL is mean-seeking: wherever the teacher puts mass the student must too, so with too little context it spreads over every mode it cannot tell apart. Watch its `entropy` stay high and its `nll/model` settle above `nll/teacher`; `reward/true` (the oracle log-likelihood of its samples) is poor: it also samples between the modes. Compare with the reverse-KL preset.',
    config: {
      seed: 1,
      world: language,
      models: { teacher: teacherModel, student: smallStudent },
      stages: [sftTeacher, { ...distillStudent, divergence: 'forward_kl' }],
      metrics: { every: 25 },
    },
  },
  {
    name: 'distill-reverse-kl',
    title: 'Distillation with reverse KL: the same student seeks one mode',
    watch:
      'The same teacher and student, now minimizing $\\mathrm{KL}(p_S \\| p_T)$. Reverse KL is mode-seeking: the student is punished for putting mass where the teacher has little, not for missing modes. Its `entropy` ends lower than with forward KL, its held-out `nll/model` higher (it gave up modes the oracle uses), and its samples score a better `reward/true` (oracle log-likelihood): precision traded for coverage.',
    config: {
      seed: 1,
      world: language,
      models: { teacher: teacherModel, student: smallStudent },
      stages: [sftTeacher, { ...distillStudent, divergence: 'reverse_kl' }],
      metrics: { every: 25 },
    },
  },
  {
    name: 'distill-on-policy',
    title: 'On-policy distillation: the student learns on its own samples',
    watch:
      'As in GKD (Agarwal et al. 2024), each step the student samples its own sequences $y \\sim p_S$ and the teacher scores every token of them with reverse KL $\\sum_t \\mathrm{KL}(p_S(\\cdot \\mid y_{<t}) \\| p_T(\\cdot \\mid y_{<t}))$. The student is corrected on the contexts it actually reaches when generating, not only on oracle text: its samples reach a clearly better `reward/true` (oracle log-likelihood) than offline distillation, with a lower `entropy`.',
    config: {
      seed: 1,
      world: language,
      models: { teacher: teacherModel, student: smallStudent },
      stages: [sftTeacher, { ...distillStudent, divergence: 'reverse_kl', data: 'on_policy' }],
      metrics: { every: 25 },
    },
  },
  {
    name: 'dpo-verbosity',
    title: 'DPO games a length term in the reward: verbosity',
    watch:
      'Sequences can end (EOS) and the hidden reward that labels the preference pairs is $r(y) = \\#\\{\\text{target token}\\} + 0.5\\,|y|$: longer answers win most comparisons whatever they say. After SFT, DPO learns from pairs sampled from the reference: `rewards/margins` grows, and `samples/length` climbs toward the maximum length while `kl/reference` (a sampled estimate of $\\mathrm{KL}(\\pi_\\theta \\| \\pi_{ref})$ per sequence) grows and `nll/model` on oracle text worsens: the policy bought reward with length.',
    config: {
      seed: 1,
      world: { ...language, length: 16, stop: 0.2, reward: { target: 3, count: 1, length: 0.5 } },
      models: { policy: teacherModel },
      stages: [
        { ...sftTeacher, model: 'policy', steps: 300 },
        { ...sequenceDpo, model: 'policy' },
      ],
      metrics: { every: 25 },
    },
  },
  {
    name: 'teacher-student-dpo',
    title: 'The pipeline: SFT teacher -> distilled student -> reward model vs DPO',
    watch:
      "SFT trains a teacher; a smaller student with the same context is distilled from it (forward KL) and its `nll/model` approaches `nll/teacher`. Then preference pairs are sampled from the student and labelled Bradley-Terry by a hidden reward that counts a target token. A reward model trained on them ranks held-out pairs (`pairs/accuracy`); DPO on the same pairs learns the implicit reward $\\beta \\log \\frac{\\pi_\\theta(y)}{\\pi_{ref}(y)}$, whose `pairs/accuracy` on the same held-out pairs can be compared, while the student's `reward/true` rises at the cost of `kl/reference`.",
    config: {
      seed: 1,
      world: { ...language, reward: { target: 3, count: 1, likelihood: 0 } },
      models: {
        teacher: teacherModel,
        student: { kind: 'token-mlp', context: 2, embed: 16, width: 48, depth: 1 },
        rm: { kind: 'token-mlp', context: 2, embed: 8, width: 32, depth: 1 },
      },
      stages: [
        sftTeacher,
        { ...distillStudent, steps: 500, optimizer: { lr: 0.03 } },
        { kind: 'reward_model', steps: 300, batch: 32, pairs: 1024 },
        { ...sequenceDpo, model: 'student' },
      ],
      metrics: { every: 25 },
    },
  },
  {
    name: 'dpo-transformer',
    title: 'DPO on a transformer policy: reward rises, both log-probs fall',
    watch:
      "The policy is a small GPT-2 transformer (2 pre-LN blocks of causal self-attention and a GELU MLP, width 32): each position attends to every token before it. SFT first fits it to oracle text (`nll/model` falls). Then preference pairs are sampled from it and labelled Bradley-Terry by a hidden reward that counts a target token, and DPO trains it against its frozen copy with $-\\log\\sigma\\big(\\beta \\log \\frac{\\pi_\\theta(y_w)}{\\pi_{ref}(y_w)} - \\beta \\log \\frac{\\pi_\\theta(y_l)}{\\pi_{ref}(y_l)}\\big)$. `rewards/margins` and `pairs/accuracy` grow and the samples' `reward/true` rises several-fold, paid for in `kl/reference` and in `nll/model` on oracle text. Watch `logps/chosen` and `logps/rejected`: both fall. The loss only asks for the gap between them, and the policy widens it by pushing the rejected responses down faster than the chosen ones, while its mass moves to sequences outside the pair set.",
    config: {
      seed: 1,
      world: { ...language, reward: { target: 3, count: 1, likelihood: 0 } },
      models: { policy: transformerPolicy },
      stages: [
        { ...sftTransformer, model: 'policy', steps: 300 },
        { ...sequenceDpo, model: 'policy', steps: 200, pairs: 512, optimizer: { lr: 0.002 } },
      ],
      metrics: { every: 25 },
    },
  },
  {
    name: 'distill-transformer',
    title: 'A transformer teacher distilled into a smaller transformer and into a token-MLP',
    watch:
      'SFT trains a GPT-2 transformer teacher on oracle text: attending to every earlier token, it learns the order-2 language and its `nll/model` falls well below what any model of the previous token alone can reach. Then three students learn it per token. A smaller transformer (one block, width 16) also reads the whole context: with forward KL $\\mathrm{KL}(p_T \\| p_S)$ its `nll/model` moves toward `nll/teacher` and it agrees with the most likely token of the teacher (`kd/agreement`) more often than the token-MLPs do. A token-MLP that sees one previous token cannot represent the teacher, and the divergence decides what it gives up: with forward KL (mean-seeking) it spreads over the modes it cannot tell apart, with a higher `entropy` and a lower held-out `nll/model`; with reverse KL $\\mathrm{KL}(p_S \\| p_T)$ (mode-seeking) it commits to fewer modes, with a lower `entropy` and a higher `nll/model`.',
    config: {
      seed: 1,
      world: language,
      models: {
        teacher: transformerPolicy,
        small: { kind: 'transformer', layers: 1, heads: 2, width: 16, context: 12 },
        fwd: smallStudent,
        rev: smallStudent,
      },
      stages: [
        { ...sftTransformer, steps: 400 },
        { ...distillStudent, name: 'small', model: 'small', divergence: 'forward_kl', optimizer: { lr: 0.003 } },
        { ...distillStudent, name: 'fkl', model: 'fwd', divergence: 'forward_kl', optimizer: { lr: 0.03 } },
        { ...distillStudent, name: 'rkl', model: 'rev', divergence: 'reverse_kl', optimizer: { lr: 0.03 } },
      ],
      metrics: { every: 25 },
    },
  },
  {
    name: 'text-sft-charlevel',
    title: 'A character-level language model learns the built-in tales, then overfits them',
    watch:
      "SFT on windows of a small corpus, one token per character: the loss is $-\\log p_\\theta(y_t \\mid y_{<t})$ averaged over each window. The held-out part (the last tenth of the text) is never trained on: `nll/model` on it starts near $\\log V$ (uniform over the corpus's 49 characters, 3.9 nats) and falls below 2.07 nats, the bigram entropy of the text (the best a model that sees only the previous character can do), because this model sees the previous six. `bits_per_char` is the same in bits per character. With some 4,300 training characters the model then memorizes them: the training `loss` keeps falling while the held-out NLL turns back up, which is overfitting. The samples in _Model state_ turn from random letters into words and phrases of the tales; lower the temperature or set a top-k for safer, more repetitive text. Choose the corpus custom and paste or open your own text to train on it instead.",
    config: {
      seed: 1,
      world: { kind: 'text', corpus: 'harbor-tales', level: 'char', window: 32, heldout: 0.1, sampleLength: 120 },
      models: { lm: { kind: 'token-mlp', context: 6, embed: 16, width: 128, depth: 1 } },
      stages: [{ kind: 'sft', name: 'sft', model: 'lm', steps: 600, batch: 16, optimizer: { lr: 0.005 } }],
      metrics: { every: 25 },
    },
  },
  {
    name: 'text-sft-transformer',
    title: 'A character-level transformer learns the built-in tales by attending to its whole window',
    watch:
      'The same corpus and loss as text-sft-charlevel, $-\\log p_\\theta(y_t \\mid y_{<t})$ per character, but the model is a small GPT-2 transformer (2 pre-LN blocks of causal self-attention with 4 heads and a GELU MLP, width 32): each position reads the character before it and attends to every earlier position of its 32-character window, where the token-MLP saw a fixed six. Held-out `nll/model` starts near $\\log V$ (3.9 nats) and sits near 2.1 for a while, about what the previous character alone gives (the bigram entropy of the text is 2.07 nats); then attention learns to use the earlier characters and it falls to about 1.8 nats in 400 steps (about a minute on the CPU backend). `bits_per_char` is the same in bits. The samples run past the window: each character after the 32nd is drawn after the last 31, as the model read its training windows.',
    config: {
      seed: 1,
      world: { kind: 'text', corpus: 'harbor-tales', level: 'char', window: 32, heldout: 0.1, sampleLength: 120 },
      models: { lm: { kind: 'transformer', layers: 2, heads: 4, width: 32, context: 32 } },
      stages: [{ kind: 'sft', name: 'sft', model: 'lm', steps: 400, batch: 16, optimizer: { lr: 0.006 } }],
      metrics: { every: 25 },
    },
  },
  {
    name: 'text-dpo-pairs',
    title: 'DPO on your own preference pairs: a model of the tales learns which endings are preferred',
    watch:
      "A character-level model is first trained on the tales (SFT), then tuned with DPO on 21 preference pairs in TRL's JSONL format (`world.pairs`: strings, or lists of `{role, content}` messages rendered as `role: content` lines), whose chosen endings bring the boats home by the lamp and whose rejected ones lose them. The loss only counts the response tokens; the prompt is context. At the first step the policy is its reference, so the loss is $\\log 2$. `rewards/margins` grows and `rewards/accuracies` reaches 1 as the policy moves away from its frozen copy at the stage start, while `logps/chosen` and `logps/rejected` show where the probability goes: here the rejected endings lose most of theirs while the chosen ones keep about what they had. `nll/model` on the held-out tales shows what the tuning costs the language model. Open your own JSONL file of pairs under _Your pairs_ to train on it.",
    config: {
      seed: 1,
      world: {
        kind: 'text',
        corpus: 'harbor-tales',
        level: 'char',
        window: 64,
        heldout: 0.1,
        sampleLength: 120,
        pairs: HARBOR_PAIRS,
      },
      models: { lm: { kind: 'token-mlp', context: 6, embed: 16, width: 128, depth: 1 } },
      stages: [
        { kind: 'sft', name: 'sft', model: 'lm', steps: 150, batch: 16, optimizer: { lr: 0.005 } },
        { kind: 'preference', name: 'dpo', model: 'lm', steps: 150, batch: 16, beta: 0.1, optimizer: { lr: 0.0003 } },
      ],
      metrics: { every: 25 },
    },
  },
  {
    name: 'diffusion-ring8',
    title: 'A diffusion teacher learns a ring of 8 Gaussians',
    watch:
      'DDPM training: each step noises data points to $x_t = \\sqrt{\\bar\\alpha_t}\\,x_0 + \\sqrt{1-\\bar\\alpha_t}\\,\\epsilon$ at every timestep $t$ and trains an MLP $\\epsilon_\\theta(x_t, t)$ to recover the noise, $\\mathcal{L} = \\mathbb{E}\\,\\|\\epsilon_\\theta(x_t, t) - \\epsilon\\|^2$. The `loss` stays high (most of the noise cannot be predicted), yet the DDIM samples drawn from pure noise at each read-back gather onto the ring: `diversity/modes_covered` reaches 8 and `diversity/energy_distance` to the data falls toward 0, while `diversity/entropy` keeps falling for thousands of steps as the samples sharpen from a blurred ring onto the eight modes. Scrub the trajectory to see the predicted $\\hat x_0$ commit to a mode long before $x_t$ gets there.',
    config: {
      seed: 1,
      world: { kind: 'points2d', shape: 'ring8' },
      stages: [{ kind: 'diffusion', name: 'teacher', steps: 4000, batch: 256 }],
      metrics: { every: 100 },
    },
  },
  {
    name: 'diffusion-dmd-collapse',
    title: 'One-step distillation (DMD) drops modes; hybrid inference brings them back',
    watch:
      "After the teacher, a one-step generator $x_0 = G(z)$ (a copy of the teacher used once at $t = T$) is trained by distribution matching: its samples are noised and moved along $\\hat x_0^{teacher} - \\hat x_0^{fake}$ (a descent step on the reverse KL $\\mathrm{KL}(p_G \\| p_{data})$, whose gradient points along $\\hat x_0^{fake} - \\hat x_0^{teacher}$), while a fake-score denoiser keeps learning $G$'s own samples. Reverse KL is mode-seeking: it never punishes a missing mode, so `diversity/modes_covered` of the student ends below the teacher's `teacher/modes_covered`. Hybrid inference splits sampling in two: the teacher takes the first, high-noise stretch, where the mode is chosen (from $t = T$ down to the handover $t = 0.15\\,T$, in $k = 20$ of its DDIM steps), and the student jumps to $x_0$ from there (the generator learned that jump too). One teacher step would not do: at $t = T$ the sample is pure noise, so the teacher's $\\hat x_0$ there is the data mean and its single step carries nothing but $z$ itself; the mode is decided over the whole stretch. `hybrid/modes_covered` comes back to the teacher's and `hybrid/energy_distance` falls to about the teacher's, with 21 network calls instead of the teacher's 50. Lower `Hybrid teacher steps` and retrain to see coverage fall again.",
    config: {
      seed: 1,
      world: { kind: 'points2d', shape: 'ring8' },
      stages: [
        { kind: 'diffusion', name: 'teacher', steps: 4000, batch: 256 },
        { kind: 'dmd', name: 'dmd', steps: 600, batch: 256, hybrid: 20, handover: 0.15 },
      ],
      metrics: { every: 100 },
    },
  },
  {
    name: 'diffusion-progressive',
    title: 'Progressive distillation: 32 sampler steps, then 16, 8, 4',
    watch:
      "Each round a student starts from the previous model and learns to land, in one DDIM step from $x_t$, where two DDIM steps of the frozen previous model land (Salimans & Ho 2022): it regresses the noise $\\epsilon^*$ that makes its single step hit that target. `sampler/steps` halves every round; `diversity/modes_covered` and `diversity/energy_distance` show how much of the teacher's quality survives with 4 steps instead of 32.",
    config: {
      seed: 1,
      world: { kind: 'points2d', shape: 'ring8', samplerSteps: 32 },
      stages: [
        { kind: 'diffusion', name: 'teacher', steps: 4000, batch: 256 },
        { kind: 'progressive', name: 'progressive', steps: 900, rounds: 3, batch: 256 },
      ],
      metrics: { every: 100 },
    },
  },
  {
    name: 'diffusion-dpo',
    title: 'Diffusion-DPO: preferences for x > 0 move the samples right',
    watch:
      'The teacher is tuned with Diffusion-DPO against its frozen copy: pairs of its own samples are labelled by a hidden reward $r(x) = 2 x_1$ (Bradley-Terry), and the loss $-\\log\\sigma\\big(-\\tfrac{\\beta}{2}[(e_\\theta(x^w) - e_{ref}(x^w)) - (e_\\theta(x^l) - e_{ref}(x^l))]\\big)$, with $e(x) = \\tfrac{1}{D}\\|\\epsilon(x_t, t) - \\epsilon\\|^2$ the squared error averaged over the $D = 2$ coordinates, rewards denoising the chosen point better than the reference does. `rewards/margins` grows, `samples/mean_x` and `reward/true` rise as mass moves to the right half of the ring, and `diversity/modes_covered` shows the price: the left modes thin out, more so for a small $\\beta$.',
    config: {
      seed: 1,
      world: { kind: 'points2d', shape: 'ring8' },
      stages: [
        { kind: 'diffusion', name: 'teacher', steps: 4000, batch: 256 },
        { kind: 'diffusion_dpo', name: 'ddpo', steps: 400, batch: 128, beta: 500, reward: { angle: 0, scale: 2 } },
      ],
      metrics: { every: 100 },
    },
  },
];

/** Teacher steps of the quick diffusion presets: enough for all eight modes of the ring (4,000 polish them). */
const QUICK_TEACHER_STEPS = 1000;

/**
 * A classroom-sized variant of a diffusion preset, about a minute in the browser: a shorter teacher and a second
 * stage of `steps` steps. Listed before the full preset.
 */
function quick(full: Preset, steps: number | null): Preset {
  const config = structuredClone(full.config) as { stages: { kind: string; steps?: number }[] };
  for (const s of config.stages) s.steps = s.kind === 'diffusion' ? QUICK_TEACHER_STEPS : (steps ?? s.steps);
  return {
    name: `${full.name}-quick`,
    title: `${full.title} (quick)`,
    watch:
      `A shorter run for a class: the teacher trains ${QUICK_TEACHER_STEPS.toLocaleString('en')} steps instead of ` +
      `${full.config.stages[0].steps?.toLocaleString('en')}, so its samples are rougher; the phenomenon is the same. ` +
      full.watch,
    config: config as ExperimentInput,
  };
}

const QUICK_STEPS: Record<string, number | null> = {
  'diffusion-ring8': null,
  'diffusion-dmd-collapse': 300,
  'diffusion-progressive': 600,
  'diffusion-dpo': 300,
};

/** Every preset, each quick diffusion variant just before its full version. */
export const PRESETS: readonly Preset[] = FULL_PRESETS.flatMap((p) =>
  p.name in QUICK_STEPS ? [quick(p, QUICK_STEPS[p.name]), p] : [p],
);

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}
