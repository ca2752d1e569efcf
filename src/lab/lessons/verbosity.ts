// Lesson 5: DPO games a length term in the reward that labelled its pairs. The policy buys reward with length, paying
// in KL to the reference and in fit to real text.
import type { MetricRow } from '../metrics';
import { endFigure, lastFigure, type Format, type Lesson } from './lesson';

/** A change of the mean sample length by more than this share counts as longer or shorter. */
const LENGTH_SHARE = 0.25;

export const verbosity: Lesson = {
  id: 'verbosity',
  number: 5,
  title: 'Gaming a length term: verbosity under DPO',
  paper: {
    authors: 'Park et al.',
    title: 'Disentangling Length from Quality in Direct Preference Optimization',
    year: 2024,
    arxiv: '2403.19159',
  },
  intro:
    'Sequences of up to 16 tokens that may end early (EOS). SFT first trains a policy on oracle text; it becomes the reference. Then pairs of its own samples are labelled Bradley-Terry by a hidden reward $r(y) = \\#\\{\\text{target token}\\} + 0.5\\,|y|$: what the labeller wants (the target token), plus a little for length, as human raters tend to reward longer answers. ' +
    "DPO ($\\beta = 0.1$) learns from these pairs. The run measures `samples/length`, the mean length of the policy's samples, `reward/true`, `kl/reference` and the held-out `nll/model` on oracle text. Shortened for a class: 150 SFT steps and 150 DPO steps.",
  question: 'After DPO, how long are the policy’s samples compared with the SFT model’s?',
  choices: [
    { id: 'longer', text: 'Much longer: they grow toward the 16-token maximum' },
    { id: 'same-length', text: 'About as long: DPO learns to use the target token instead' },
    { id: 'shorter', text: 'Shorter: a sequence’s log-probability sums over its tokens, which favours short answers' },
  ],
  answer: 'longer',
  runs: [{ label: 'SFT, then DPO', preset: 'dpo-verbosity', steps: [150, 150] }],
  charts: ['Length', 'True reward', 'KL', 'Held-out NLL'],
  explains: ['dpo-verbosity'],
  read([rows]: readonly (readonly MetricRow[])[], fmt: Format) {
    const [sft, dpo] = [rows.filter((r) => r.stage === 'sft'), rows.filter((r) => r.stage === 'dpo')];
    const lengthBefore = lastFigure(0, sft, 'samples/length', fmt);
    const lengthAfter = lastFigure(0, dpo, 'samples/length', fmt);
    const rewardBefore = lastFigure(0, sft, 'reward/true', fmt);
    const rewardAfter = lastFigure(0, dpo, 'reward/true', fmt);
    const nllBefore = lastFigure(0, sft, 'nll/model', fmt);
    const nllAfter = lastFigure(0, dpo, 'nll/model', fmt);
    const kl = lastFigure(0, dpo, 'kl/reference', fmt);
    const margin = endFigure(0, dpo, 'rewards/margins', fmt);
    const ratio = lengthAfter.value / lengthBefore.value;
    const outcome = ratio > 1 + LENGTH_SHARE ? 'longer' : ratio < 1 - LENGTH_SHARE ? 'shorter' : 'same-length';
    // The reward without its length term: target tokens per sample, and per token of length.
    const targets = (reward: number, length: number) => reward - 0.5 * length;
    const [before, after] = [
      targets(rewardBefore.value, lengthBefore.value),
      targets(rewardAfter.value, lengthAfter.value),
    ];
    return {
      outcome,
      figures: [lengthBefore, lengthAfter, rewardBefore, rewardAfter, kl, nllBefore, nllAfter, margin],
      paragraphs: [
        `The SFT model's samples were ${lengthBefore.text} tokens long on average; after DPO, ${lengthAfter.text} ` +
          `(${fmt(ratio)} times as long). \`reward/true\` rose from ${rewardBefore.text} to ${rewardAfter.text}, ` +
          `and \`rewards/margins\` ended at ${margin.text} (mean of the last ${margin.to - margin.from + 1} steps).`,
        `Take the length term out: $r(y) - 0.5\\,|y|$ counts target tokens, ${fmt(before)} per sample before and ` +
          `${fmt(after)} after, or ${fmt(before / lengthBefore.value)} and ${fmt(after / lengthAfter.value)} per ` +
          'token. Much of the reward was bought with length, the cheapest direction the labels point in: every ' +
          'extra token wins comparisons whatever it says.',
        `It was paid for: \`kl/reference\` reached ${kl.text} nats per sequence, and the held-out \`nll/model\` on ` +
          `oracle text went from ${nllBefore.text} to ${nllAfter.text} nats per token, the policy now fitting real ` +
          'text worse. Park et al. find the same in DPO on human preferences, and add a term that keeps the implicit ' +
          'reward from tracking length.',
      ],
    };
  },
};
