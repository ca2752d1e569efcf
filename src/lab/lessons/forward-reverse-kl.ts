// Lesson 6: forward against reverse KL in distillation. A student too small for the teacher must give something up:
// forward KL makes it cover every mode, reverse KL lets it seek a few.
import type { MetricRow } from '../metrics';
import { lastFigure, type Format, type Lesson } from './lesson';

/** Final entropies closer than this (nats) count as the same spread. */
const SAME_ENTROPY = 0.05;
/** The distillation stage, whose rows the lesson reads (the first stage trains the teacher). */
const STAGE = 'distill';

export const forwardReverseKl: Lesson = {
  id: 'forward-reverse-kl',
  number: 6,
  title: 'Forward or reverse KL in distillation: covering modes or seeking them',
  paper: {
    authors: 'Gu et al.',
    title: 'MiniLLM: Knowledge Distillation of Large Language Models',
    year: 2024,
    arxiv: '2306.08543',
  },
  intro:
    'A language from a hidden order-2 Markov chain: after each pair of tokens, three likely successors. First SFT trains a teacher that sees the last two tokens. Then a student that sees only the last token learns from the teacher, token by token, on the same oracle text: it cannot represent the language, so it has to give something up. ' +
    'Two runs differ only in the divergence: forward $\\mathrm{KL}(p_T \\| p_S) = \\sum_y p_T(y) \\log \\frac{p_T(y)}{p_S(y)}$, which punishes the student wherever the teacher has mass it lacks, and reverse $\\mathrm{KL}(p_S \\| p_T) = \\sum_y p_S(y) \\log \\frac{p_S(y)}{p_T(y)}$, which punishes it only where it puts mass the teacher lacks. ' +
    'The runs measure the `entropy` of the student, its held-out `nll/model` on oracle text and `reward/true`, the oracle log-likelihood of its own samples (higher is better). Shortened for a class: 200 teacher steps and 150 student steps.',
  question: 'Compared with forward KL, how does the student trained with reverse KL end?',
  choices: [
    { id: 'seeks', text: 'More concentrated (lower entropy): it gives up modes' },
    { id: 'covers', text: 'More spread out (higher entropy): it covers more modes' },
    { id: 'same', text: 'About the same: both divergences are 0 only when it matches the teacher' },
  ],
  answer: 'seeks',
  runs: [
    { label: 'forward KL', preset: 'distill-forward-kl', steps: [200, 150] },
    { label: 'reverse KL', preset: 'distill-reverse-kl', steps: [200, 150] },
  ],
  charts: ['Entropy', 'Held-out NLL', 'True reward', 'Agreement'],
  explains: ['distill-forward-kl', 'distill-reverse-kl'],
  read(runs: readonly (readonly MetricRow[])[], fmt: Format) {
    const [forward, reverse] = runs.map((rows) => rows.filter((r) => r.stage === STAGE));
    const entropyForward = lastFigure(0, forward, 'entropy', fmt);
    const entropyReverse = lastFigure(1, reverse, 'entropy', fmt);
    const nllForward = lastFigure(0, forward, 'nll/model', fmt);
    const nllReverse = lastFigure(1, reverse, 'nll/model', fmt);
    const nllTeacher = lastFigure(0, forward, 'nll/teacher', fmt);
    const rewardForward = lastFigure(0, forward, 'reward/true', fmt);
    const rewardReverse = lastFigure(1, reverse, 'reward/true', fmt);
    const gap = entropyForward.value - entropyReverse.value;
    const outcome = Math.abs(gap) < SAME_ENTROPY ? 'same' : gap > 0 ? 'seeks' : 'covers';
    const choices = (f: { value: number }) => fmt(Number(Math.exp(f.value).toPrecision(2)));
    const better = (a: { value: number }, b: { value: number }) => (a.value < b.value ? 'better' : 'worse');
    return {
      outcome,
      figures: [entropyForward, entropyReverse, nllForward, nllReverse, nllTeacher, rewardForward, rewardReverse],
      paragraphs: [
        `At the end the student's \`entropy\` was ${entropyForward.text} nats with forward KL and ` +
          `${entropyReverse.text} with reverse KL: about ${choices(entropyForward)} against ` +
          `${choices(entropyReverse)} equally likely next tokens.`,
        'Forward KL weighs the error by the teacher: a token the teacher likes but the student misses costs ' +
          '$p_T \\log \\frac{p_T}{p_S}$, without bound as $p_S \\to 0$. Unable to tell contexts apart, the student ' +
          "spreads over every successor any of them allows: mean-seeking. Reverse KL weighs by the student's own " +
          'mass, so missing a mode costs nothing; it is cheaper to commit to the successors it can place well: ' +
          'mode-seeking.',
        `The price shows on oracle text: the held-out \`nll/model\` was ${nllForward.text} with forward KL and ` +
          `${nllReverse.text} with reverse KL (the teacher's ${nllTeacher.text}), so reverse KL is ` +
          `${better(nllReverse, nllForward)} at giving every real continuation its due. Its own samples score ` +
          `${rewardReverse.text} in \`reward/true\` against ${rewardForward.text}` +
          (rewardReverse.value > rewardForward.value
            ? ': precision traded for coverage, the reason MiniLLM distills with reverse KL for generation.'
            : '.'),
      ],
    };
  },
};
