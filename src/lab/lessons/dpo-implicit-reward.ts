// Lesson 1: what DPO optimizes. Its loss sees only the implicit reward of each pair, yet on a bandit, where the true
// reward and so the closed-form optimum pi_star are known, the policy heads toward pi_star.
import type { MetricRow } from '../metrics';
import { endFigure, firstFigure, lastFigure, moved, startFigure, type Format, type Lesson } from './lesson';

/** kl/optimal at most this share of its first read-out: the policy came clearly closer to pi_star. */
const CLOSER = 0.5;
/** kl/optimal below this many nats at the end: the policy is practically pi_star itself. */
const AT_OPTIMUM = 0.05;

export const dpoImplicitReward: Lesson = {
  id: 'dpo-implicit-reward',
  number: 1,
  title: 'What DPO optimizes: the implicit reward and the optimum it aims at',
  paper: {
    authors: 'Rafailov et al.',
    title: 'Direct Preference Optimization: Your Language Model is Secretly a Reward Model',
    year: 2023,
    arxiv: '2305.18290',
  },
  intro:
    'A bandit: 4 prompts, 12 possible responses each, and a hidden true reward $r(x, y)$. The policy starts as the reference $\\pi_{ref}$ and learns from 2,048 pairs "$y_w$ was preferred to $y_l$", labelled by the reward (Bradley-Terry), never from the reward values themselves. ' +
    'DPO minimizes $-\\log\\sigma\\big(\\hat r(y_w) - \\hat r(y_l)\\big)$ with the implicit reward $\\hat r(y) = \\beta \\log \\frac{\\pi_\\theta(y)}{\\pi_{ref}(y)}$ ($\\beta = 0.5$). ' +
    'The paper shows that the policy maximizing $\\mathbb{E}[r] - \\beta\\,\\mathrm{KL}(\\pi \\| \\pi_{ref})$ is $\\pi^* \\propto \\pi_{ref}\\, e^{r/\\beta}$, and that DPO has the same optimum. Here the reward is known, so the run measures `kl/optimal` $= \\mathrm{KL}(\\pi_\\theta \\| \\pi^*)$.',
  question: 'After 400 steps on the preference pairs alone, how close does the policy get to π*?',
  choices: [
    { id: 'closer', text: 'Much closer: kl/optimal falls to half or less, but not to 0' },
    { id: 'exact', text: 'All the way: kl/optimal falls to about 0' },
    { id: 'no-closer', text: 'No closer: without the reward values it cannot find π*' },
  ],
  answer: 'closer',
  runs: [{ label: 'DPO, β = 0.5', preset: 'dpo-bandit' }],
  charts: ['KL', 'Reward margin', 'Reward accuracy', 'True reward', 'Ranking accuracy'],
  explains: ['dpo-bandit'],
  read([rows]: readonly (readonly MetricRow[])[], fmt: Format) {
    const klStart = firstFigure(0, rows, 'kl/optimal', fmt);
    const klEnd = lastFigure(0, rows, 'kl/optimal', fmt);
    const marginStart = startFigure(0, rows, 'rewards/margins', fmt);
    const marginEnd = endFigure(0, rows, 'rewards/margins', fmt);
    const accuracy = endFigure(0, rows, 'rewards/accuracies', fmt);
    const rewardStart = firstFigure(0, rows, 'reward/true', fmt);
    const rewardEnd = lastFigure(0, rows, 'reward/true', fmt);
    const ranked = lastFigure(0, rows, 'ranking/accuracy', fmt);
    const idealized = lastFigure(0, rows, 'ranking/idealized', fmt);
    const outcome = klEnd.value < AT_OPTIMUM ? 'exact' : klEnd.value <= CLOSER * klStart.value ? 'closer' : 'no-closer';
    const factor = klStart.value / klEnd.value;
    return {
      outcome,
      figures: [klStart, klEnd, marginStart, marginEnd, accuracy, rewardStart, rewardEnd, ranked, idealized],
      paragraphs: [
        `The loss only ever sees the implicit reward $\\hat r$ of the two responses of a pair. ` +
          `\`rewards/margins\`, chosen minus rejected, ${moved(marginStart, marginEnd)}, and over the last ` +
          `${accuracy.to - accuracy.from + 1} steps a share of ${accuracy.text} of each batch's pairs had the chosen ` +
          'response ahead (`rewards/accuracies`).',
        `The policy never saw a reward value, yet \`kl/optimal\`, its distance to $\\pi^*$, ${moved(klStart, klEnd)} ` +
          `nats between step ${klStart.from} and step ${klEnd.to}` +
          (factor > 1 ? `, ${fmt(factor)} times closer. ` : '. ') +
          `Its exact expected true reward (\`reward/true\`) ${moved(rewardStart, rewardEnd)}: pushing the implicit ` +
          'reward of preferred responses up pushes the policy toward the responses the hidden reward favours, ' +
          'as far as $\\beta$ lets it leave the reference.',
        `It does not reach $\\pi^*$ exactly: its loss is defined by 2,048 sampled pairs, not by the reward. Some ` +
          'Bradley-Terry labels prefer the worse response, so the optimum itself ranks only a share of ' +
          `${idealized.text} of the data pairs as labelled (\`ranking/idealized\`, Chen et al. 2024); the policy ` +
          `ranks ${ranked.text} (\`ranking/accuracy\`). More pairs bring it closer to $\\pi^*$.`,
      ],
    };
  },
};
