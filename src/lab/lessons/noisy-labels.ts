// Lesson 4: noisy labels. The same pairs with 30% of the labels flipped, learned by plain DPO and by robust DPO,
// which debiases the loss for the known flip rate.
import type { MetricRow } from '../metrics';
import { firstFigure, lastFigure, type Format, type Lesson } from './lesson';

/** Final distances to pi_star within this share of the larger one count as the same. */
const SAME_SHARE = 0.1;

export const noisyLabels: Lesson = {
  id: 'noisy-labels',
  number: 4,
  title: 'Noisy labels: DPO against robust DPO',
  paper: {
    authors: 'Chowdhury, Kini and Natarajan',
    title: 'Provably Robust DPO: Aligning Language Models with Noisy Feedback',
    year: 2024,
    arxiv: '2403.00409',
  },
  intro:
    'The bandit of lesson 1, but 30% of the preference labels are flipped at random ($\\epsilon = 0.3$): $y_w$ and $y_l$ swap. Two runs of 600 steps on the same noisy pairs. ' +
    'Plain DPO minimizes $\\ell(h) = -\\log\\sigma(h)$ of the margin $h$ as if the labels were clean. Robust DPO (rDPO) knows $\\epsilon$ and minimizes $\\frac{(1-\\epsilon)\\,\\ell(h) - \\epsilon\\,\\ell(-h)}{1-2\\epsilon}$. ' +
    'The run measures `kl/optimal`, the distance to the clean optimum $\\pi^* \\propto \\pi_{ref}\\, e^{r/\\beta}$.',
  question: 'Which one ends closer to the clean optimum π*?',
  choices: [
    { id: 'robust', text: 'Robust DPO ends clearly closer to π*' },
    { id: 'plain', text: 'Plain DPO ends clearly closer to π*' },
    { id: 'same', text: 'About the same: 70% correct labels are plenty for both' },
  ],
  answer: 'robust',
  runs: [
    { label: 'DPO', preset: 'dpo-label-noise' },
    { label: 'robust DPO', preset: 'rdpo-label-noise' },
  ],
  charts: ['KL', 'True reward', 'Reward margin', 'Loss'],
  explains: ['dpo-label-noise', 'rdpo-label-noise'],
  read([plain, robust]: readonly (readonly MetricRow[])[], fmt: Format) {
    const first = firstFigure(0, plain, 'kl/optimal', fmt);
    const klPlain = lastFigure(0, plain, 'kl/optimal', fmt);
    const klRobust = lastFigure(1, robust, 'kl/optimal', fmt);
    const rewardPlain = lastFigure(0, plain, 'reward/true', fmt);
    const rewardRobust = lastFigure(1, robust, 'reward/true', fmt);
    const refPlain = lastFigure(0, plain, 'kl/reference', fmt);
    const refRobust = lastFigure(1, robust, 'kl/reference', fmt);
    const gap = klPlain.value - klRobust.value;
    const outcome =
      Math.abs(gap) <= SAME_SHARE * Math.max(klPlain.value, klRobust.value) ? 'same' : gap > 0 ? 'robust' : 'plain';
    return {
      outcome,
      figures: [first, klPlain, klRobust, rewardPlain, rewardRobust, refPlain, refRobust],
      paragraphs: [
        `From ${first.text} nats at the first read-out, plain DPO ended ${klPlain.text} nats from $\\pi^*$ ` +
          `(\`kl/optimal\`) and robust DPO ${klRobust.text}. Their expected true rewards (\`reward/true\`): ` +
          `${rewardPlain.text} and ${rewardRobust.text}.`,
        'With flip rate $\\epsilon$, a response better by $\\Delta r$ wins a noisy label with probability ' +
          '$(1-2\\epsilon)\\,\\sigma(\\Delta r) + \\epsilon$: every preference looks weaker than it is. Plain DPO ' +
          'fits those weakened preferences, so it settles nearer the reference than $\\pi^*$ is (its ' +
          `\`kl/reference\` ended at ${refPlain.text} nats, robust DPO's at ${refRobust.text}). ` +
          "rDPO's loss, averaged over the random flips, equals the clean loss: it is an unbiased estimate of it, so " +
          'its minimizer is the clean optimum, reached with more noise in the steps.',
        'The price: a flipped pair now pushes with a negative weight, the loss can fall below 0, and $\\epsilon$ has ' +
          'to be known. With $\\epsilon$ unknown, label smoothing (cDPO) only softens the targets.',
      ],
    };
  },
};
