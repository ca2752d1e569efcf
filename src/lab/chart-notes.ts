// What each chart of the metric registry shows, in one line with its formula (Markdown with $math$): the chart's
// "what is this", beside the metric descriptions of the registry. Typed by chart name, so a chart without a note
// fails tsc; the loss chart's note gives the loss of each stage of the run.
import type { Stage } from './config';
import type { ChartName } from './metrics';

export const CHART_NOTES: Record<ChartName, string> = {
  Loss: 'What each stage minimizes, batch mean per step.',
  'Implicit rewards':
    'Batch means of the implicit reward $\\beta \\log \\frac{\\pi_\\theta(y)}{\\pi_{ref}(y)}$ of the chosen ($y_w$) and rejected ($y_l$) responses; a reward model plots its own score $r(y)$.',
  'Reward margin':
    'Chosen minus rejected implicit reward, batch mean: $\\beta \\log \\frac{\\pi_\\theta(y_w)}{\\pi_{ref}(y_w)} - \\beta \\log \\frac{\\pi_\\theta(y_l)}{\\pi_{ref}(y_l)}$.',
  'Reward accuracy': "Share of the batch's pairs whose chosen reward beats the rejected one: $r(y_w) > r(y_l)$.",
  'Log-probabilities':
    'Mean policy log-probability $\\log \\pi_\\theta(y)$ of the chosen and rejected responses (summed over tokens, or per token for IPO and SimPO).',
  KL: 'Divergence $\\mathrm{KL}(\\pi_\\theta \\| \\pi_{ref})$ from the reference and, on the bandit, $\\mathrm{KL}(\\pi_\\theta \\| \\pi^*)$ from the optimum $\\pi^* \\propto \\pi_{ref}\\, e^{r/\\beta}$.',
  Entropy:
    "Mean entropy $-\\sum_y \\pi_\\theta(y) \\log \\pi_\\theta(y)$ of the policy (on sequences, of each next-token distribution of the model's own samples).",
  'Ranking accuracy':
    'Share of the data pairs the policy ranks as labelled, $\\pi_\\theta(y_w) > \\pi_\\theta(y_l)$, and the share the idealized DPO optimum ranks so.',
  'Held-out NLL':
    "Per-token negative log-likelihood $-\\frac{1}{T}\\sum_t \\log p(y_t \\mid y_{<t})$ of held-out oracle text (or of the held-out part of a corpus) under each model; the oracle's own is the floor.",
  'Bits per character':
    'Held-out negative log-likelihood in bits per character of the text: $-\\frac{1}{N_{chars}} \\sum_t \\log_2 p(y_t \\mid y_{<t})$ (uniform over $V$ characters: $\\log_2 V$).',
  Agreement:
    "Share of held-out positions where the student's most likely token is the teacher's: $\\arg\\max p_S = \\arg\\max p_T$.",
  'True reward':
    'Mean hidden reward $r(y)$ of samples $y$ drawn from the model (on the bandit, exactly $\\sum_y \\pi_\\theta(y \\mid x)\\, r(x, y)$, averaged over prompts): the quality the run is really after.',
  Length: 'Mean length $|y|$ in tokens (before EOS) of sequences sampled from the model.',
  'DMD gap':
    'Mean squared difference $\\|\\hat\\epsilon_{teacher} - \\hat\\epsilon_{fake}\\|^2$ of the two scores on noised generator samples: the size of the distribution-matching gradient.',
  'Modes covered':
    "Modes of the data that hold at least the coverage threshold times their data share of a sampler's points.",
  'Sample precision':
    'k-NN precision ($k = 3$): share of samples inside the neighbourhood of some data point (sharp samples near 1).',
  'Sample recall':
    'k-NN recall ($k = 3$): share of data points inside the neighbourhood of some sample (every mode reached near 1).',
  'Energy distance':
    "$2\\,\\mathbb{E}|X - Y| - \\mathbb{E}|X - X'| - \\mathbb{E}|Y - Y'|$ between samples $X$ and data $Y$: 0 on average for the same distribution.",
  'Sample entropy':
    'Kozachenko-Leonenko nearest-neighbour estimate of the differential entropy $-\\mathbb{E}\\log p(x)$ of the samples.',
  'Sampler steps': "Denoising steps of the current student's sampler: progressive distillation halves them each round.",
  'Sample mean': "Mean $x$ and $y$ coordinates of the policy's samples: where the preferences move them.",
  'Pair accuracy':
    "Share of held-out pairs ordered as the hidden reward orders them, by the stage's reward: a reward model's $r(y)$ or DPO's $\\beta \\log \\frac{\\pi_\\theta(y)}{\\pi_{ref}(y)}$.",
};

const DIVERGENCES = {
  forward_kl: '$\\mathrm{KL}(p_T \\| p_S)$',
  reverse_kl: '$\\mathrm{KL}(p_S \\| p_T)$',
  jsd: 'the Jensen-Shannon divergence of $p_T$ and $p_S$',
} as const;

/** What a stage's loss is (DMD's generator logs none: the chart shows its fake score's). */
function lossOf(stage: Stage): string {
  switch (stage.kind) {
    case 'sft':
      return '$-\\log p_\\theta(y_t \\mid y_{<t})$ in SFT';
    case 'distill':
      return `${DIVERGENCES[stage.divergence]} per token in distillation`;
    case 'preference':
      return stage.lossType === 'sigmoid'
        ? '$-\\log\\sigma(h)$ of the reward margin $h$ in DPO'
        : `the ${stage.lossType} loss of the reward margin $h$`;
    case 'reward_model':
      return "$-\\log\\sigma(r(y_w) - r(y_l))$ of the reward model's scores";
    case 'diffusion':
      return '$\\|\\epsilon_\\theta(x_t, t) - \\epsilon\\|^2$ in diffusion';
    case 'dmd':
      return "$\\|\\epsilon_{fake}(x_t, t) - \\epsilon\\|^2$ of DMD's fake score on the generator's samples";
    case 'progressive':
      return "$\\|\\epsilon_\\theta(x_t, t) - \\epsilon^*\\|^2$ to the previous model's two-step target";
    case 'diffusion_dpo':
      return '$-\\log\\sigma$ of the denoising gains over the reference in Diffusion-DPO';
  }
}

const NOTES: Readonly<Record<string, string>> = CHART_NOTES;

/** The note of a chart by the name a metric definition gives it; the loss's gives the loss of each of `stages`. */
export function chartNote(chart: string, stages: readonly Stage[] = []): string {
  if (chart === 'Loss' && stages.length) {
    const losses = [...new Set(stages.map(lossOf))].join('; ');
    return `What each stage minimizes, batch mean per step: ${losses}.`;
  }
  return Object.hasOwn(NOTES, chart) ? NOTES[chart] : '';
}
