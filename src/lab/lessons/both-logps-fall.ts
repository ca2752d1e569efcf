// Lesson 2: why the chosen and rejected log-probs can both fall while the margin grows: DPO constrains only their
// difference, and with sparse offline coverage the freed probability goes to responses no pair shows.
import type { MetricRow } from '../metrics';
import { MIN_LOGP_FALL } from '../phenomena';
import { endFigure, firstFigure, lastFigure, moved, startFigure, trend, type Format, type Lesson } from './lesson';

export const bothLogpsFall: Lesson = {
  id: 'both-logps-fall',
  number: 2,
  title: 'Why chosen and rejected log-probs can both fall while the margin grows',
  paper: {
    authors: 'Razin et al.',
    title: 'Unintentional Unalignment: Likelihood Displacement in Direct Preference Optimization',
    year: 2024,
    arxiv: '2410.08847',
  },
  intro:
    'A bandit with 24 responses per prompt, of which only a sixth (4) ever appear in the 512 offline pairs. DPO with $\\beta = 0.1$ minimizes $-\\log\\sigma(h)$ of the margin ' +
    '$h = \\beta\\big[\\log \\frac{\\pi_\\theta(y_w)}{\\pi_{ref}(y_w)} - \\log \\frac{\\pi_\\theta(y_l)}{\\pi_{ref}(y_l)}\\big]$. ' +
    'Training widens the margin (`rewards/margins`). TRL logs `logps/chosen`, the mean $\\log \\pi_\\theta(y_w)$ of the preferred responses, and this is where many users open an issue.',
  question: 'While the margin grows, what happens to logps/chosen, the log-probability of the preferred responses?',
  choices: [
    { id: 'rises', text: 'It rises: DPO makes the preferred responses likelier' },
    { id: 'flat', text: 'It stays about the same: only the rejected responses fall' },
    { id: 'falls', text: 'It falls too, with the rejected responses falling faster' },
  ],
  answer: 'falls',
  runs: [{ label: 'DPO, sparse coverage', preset: 'dpo-sparse-coverage' }],
  charts: ['Log-probabilities', 'Reward margin', 'Entropy', 'KL'],
  explains: ['dpo-sparse-coverage'],
  read([rows]: readonly (readonly MetricRow[])[], fmt: Format) {
    const chosenStart = startFigure(0, rows, 'logps/chosen', fmt);
    const chosenEnd = endFigure(0, rows, 'logps/chosen', fmt);
    const rejectedStart = startFigure(0, rows, 'logps/rejected', fmt);
    const rejectedEnd = endFigure(0, rows, 'logps/rejected', fmt);
    const marginStart = startFigure(0, rows, 'rewards/margins', fmt);
    const marginEnd = endFigure(0, rows, 'rewards/margins', fmt);
    const entropyStart = firstFigure(0, rows, 'entropy', fmt);
    const entropyEnd = lastFigure(0, rows, 'entropy', fmt);
    const kl = lastFigure(0, rows, 'kl/reference', fmt);
    const t = trend(rows, 'logps/chosen', MIN_LOGP_FALL);
    const outcome = t > 0 ? 'rises' : t < 0 ? 'falls' : 'flat';
    const kept = Math.exp(chosenEnd.value - chosenStart.value);
    return {
      outcome,
      figures: [
        chosenStart,
        chosenEnd,
        rejectedStart,
        rejectedEnd,
        marginStart,
        marginEnd,
        entropyStart,
        entropyEnd,
        kl,
      ],
      paragraphs: [
        `\`logps/chosen\` ${moved(chosenStart, chosenEnd)} nats and \`logps/rejected\` ` +
          `${moved(rejectedStart, rejectedEnd)}, while \`rewards/margins\` ${moved(marginStart, marginEnd)}. ` +
          `A preferred response's probability was multiplied by about $e^{\\Delta} = ${fmt(kept)}$ ` +
          `(means of the first and last ${chosenEnd.to - chosenEnd.from + 1} steps).`,
        'The loss depends on the two log-ratios only through their difference: lowering both, the rejected one ' +
          'faster, widens the margin just as well as raising the chosen one. The probability taken from both has to ' +
          'go somewhere, and most responses never appear in a pair, so nothing holds them down: the softmax hands ' +
          `the mass to them. The policy's \`entropy\` ${moved(entropyStart, entropyEnd)} nats and its ` +
          `\`kl/reference\` reached ${kl.text} nats: it piled its mass on responses the data never shows.`,
        'Razin et al. call this likelihood displacement. It is why a DPO log can show both log-probs falling while ' +
          'the accuracy looks fine. Wider coverage (pairs sampled from the policy itself) or a term that keeps ' +
          '$\\log \\pi_\\theta(y_w)$ up (an SFT loss on the chosen responses) counters it.',
      ],
    };
  },
};
