// Lesson 3: beta as a leash. The same data and steps with a small and a large beta: the KL to the reference the policy
// pays, against the true reward it buys.
import type { MetricRow } from '../metrics';
import { endFigure, firstFigure, lastFigure, type Format, type Lesson } from './lesson';

/** Two final KLs closer than this (nats) count as the same distance from the reference. */
const SAME_KL = 0.05;

export const betaLeash: Lesson = {
  id: 'beta-leash',
  number: 3,
  title: 'β as a leash: KL to the reference against reward',
  paper: {
    authors: 'Rafailov et al.',
    title: 'Direct Preference Optimization: Your Language Model is Secretly a Reward Model',
    year: 2023,
    arxiv: '2305.18290',
  },
  intro:
    'DPO optimizes the same objective as RLHF, $\\mathbb{E}_{\\pi}[r] - \\beta\\,\\mathrm{KL}(\\pi \\| \\pi_{ref})$, without fitting a reward model: $\\beta$ is what one nat of distance from the reference costs. ' +
    'Two runs on the same bandit and the same 2,048 pairs, 400 steps each: one with $\\beta = 0.5$, one with $\\beta = 20$. The run measures `kl/reference` $= \\mathrm{KL}(\\pi_\\theta \\| \\pi_{ref})$ and the exact expected true reward `reward/true` of the policy.',
  question: 'Which policy ends further from the reference, and what does it buy?',
  choices: [
    { id: 'small-more-reward', text: 'β = 0.5 moves further from the reference and earns more true reward' },
    { id: 'small-no-reward', text: 'β = 0.5 moves further from the reference, but earns no more true reward' },
    { id: 'large-further', text: 'β = 20 moves further from the reference' },
    { id: 'same', text: 'Both end about as far: β only rescales the loss' },
  ],
  answer: 'small-more-reward',
  runs: [
    { label: 'β = 0.5', preset: 'dpo-bandit' },
    { label: 'β = 20', preset: 'dpo-large-beta' },
  ],
  charts: ['KL', 'True reward', 'Reward margin', 'Entropy'],
  explains: ['dpo-large-beta'],
  read([small, large]: readonly (readonly MetricRow[])[], fmt: Format) {
    const klSmall = lastFigure(0, small, 'kl/reference', fmt);
    const klLarge = lastFigure(1, large, 'kl/reference', fmt);
    const rewardFirst = firstFigure(0, small, 'reward/true', fmt);
    const rewardSmall = lastFigure(0, small, 'reward/true', fmt);
    const rewardLarge = lastFigure(1, large, 'reward/true', fmt);
    const marginSmall = endFigure(0, small, 'rewards/margins', fmt);
    const marginLarge = endFigure(1, large, 'rewards/margins', fmt);
    const outcome =
      Math.abs(klSmall.value - klLarge.value) < SAME_KL
        ? 'same'
        : klLarge.value > klSmall.value
          ? 'large-further'
          : rewardSmall.value > rewardLarge.value
            ? 'small-more-reward'
            : 'small-no-reward';
    const further = klSmall.value >= klLarge.value ? klSmall.value / klLarge.value : klLarge.value / klSmall.value;
    return {
      outcome,
      figures: [klSmall, klLarge, rewardFirst, rewardSmall, rewardLarge, marginSmall, marginLarge],
      paragraphs: [
        `At the end, \`kl/reference\` was ${klSmall.text} nats with $\\beta = 0.5$ and ${klLarge.text} with ` +
          `$\\beta = 20$ (a ratio of ${fmt(further)}). The expected true reward \`reward/true\` was ` +
          `${rewardSmall.text} against ${rewardLarge.text}, from ${rewardFirst.text} at the first read-out.`,
        'The optimum both runs aim at is $\\pi^* \\propto \\pi_{ref}\\, e^{r/\\beta}$. A large $\\beta$ shrinks the ' +
          'reward differences $r/\\beta$, so $\\pi^*$ itself sits next to the reference: a short leash, little KL ' +
          'and little reward. A small $\\beta$ lets the policy buy reward with KL. Neither is right in general: ' +
          'with a learned reward, the KL the policy pays is also how far it strays from where that reward can be ' +
          'trusted.',
        `Beware the implicit reward: \`rewards/margins\` ended at ${marginLarge.text} with $\\beta = 20$ against ` +
          `${marginSmall.text} with $\\beta = 0.5$ (means of the last ${marginSmall.to - marginSmall.from + 1} ` +
          'steps), although the policy with the large $\\beta$ barely moved. The margin is $\\beta$ times a ' +
          'log-ratio, so a large $\\beta$ magnifies tiny moves: compare margins only between runs of equal $\\beta$.',
      ],
    };
  },
};
