// What the bandit's snapshot view draws, computed off the component: a page of prompts, and per prompt its likeliest
// responses plus one bar with the mass of the rest, so the number of bars stays readable at any table size.
// Pure: unit-tested.

import { formatValue } from './format';
import { largest } from './snapshot';

/** Prompts drawn at once; the view pages through the others. */
export const MAX_PROMPTS = 12;
/** Bars per prompt, the one that sums the rest included. */
export const MAX_RESPONSES = 24;

export interface Bar {
  /** The response id; -1 for the bar that sums the responses not drawn one by one. */
  response: number;
  reference: number;
  policy: number;
  optimal: number;
  /** The hidden reward of the response (NaN for the summed bar, which has none). */
  reward: number;
}

export interface BarGroup {
  prompt: number;
  bars: Bar[];
}

export interface BanditView {
  groups: BarGroup[];
  /** The first prompt shown (a multiple of the page size) and the table's sizes. */
  first: number;
  P: number;
  K: number;
  /** Responses per prompt drawn one by one; the rest (K - shown) are summed into the last bar. */
  shown: number;
  /** The top of the bars' scale: the largest drawn probability, at least 0.05. */
  yMax: number;
}

export interface BanditTables {
  P: number;
  K: number;
  /** Probabilities [P, K], row-major. */
  policy: ArrayLike<number>;
  reference: ArrayLike<number>;
  optimal: ArrayLike<number>;
  reward: ArrayLike<number>;
}

const finite = (x: number): number => (Number.isFinite(x) ? x : 0);

/** The first prompt of the page holding `first`, within the table. */
export function pageStart(P: number, first: number, perPage = MAX_PROMPTS): number {
  const last = Math.max(0, P - 1);
  const clamped = Math.min(Math.max(0, Math.floor(first) || 0), last);
  return clamped - (clamped % perPage);
}

/** One prompt's bars: every response when they fit, else the likeliest under any of the three policies and the rest. */
function promptBars(s: BanditTables, p: number, maxResponses: number): Bar[] {
  const at = (k: number): Bar => {
    const i = p * s.K + k;
    return {
      response: k,
      reference: s.reference[i],
      policy: s.policy[i],
      optimal: s.optimal[i],
      reward: s.reward[i],
    };
  };
  const ids = Array.from({ length: s.K }, (_, k) => k);
  if (s.K <= maxResponses) return ids.map(at);
  const score = (k: number) => {
    const i = p * s.K + k;
    return Math.max(finite(s.reference[i]), finite(s.policy[i]), finite(s.optimal[i]));
  };
  const scores = ids.map(score);
  const keep = ids
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, maxResponses - 1)
    .sort((a, b) => a - b);
  const kept = new Set(keep);
  const rest: Bar = { response: -1, reference: 0, policy: 0, optimal: 0, reward: NaN };
  for (let k = 0; k < s.K; k++) {
    if (kept.has(k)) continue;
    const i = p * s.K + k;
    rest.reference += s.reference[i];
    rest.policy += s.policy[i];
    rest.optimal += s.optimal[i];
  }
  return [...keep.map(at), rest];
}

/** The page of prompts from `first` (at most maxPrompts), each with at most maxResponses bars, and their scale. */
export function banditView(
  s: BanditTables,
  first = 0,
  maxPrompts = MAX_PROMPTS,
  maxResponses = MAX_RESPONSES,
): BanditView {
  const start = pageStart(s.P, first, maxPrompts);
  const groups: BarGroup[] = [];
  for (let p = start; p < Math.min(s.P, start + maxPrompts); p++)
    groups.push({ prompt: p, bars: promptBars(s, p, maxResponses) });
  const drawn = groups.flatMap((g) => g.bars.flatMap((b) => [b.reference, b.policy, b.optimal]));
  return {
    groups,
    first: start,
    P: s.P,
    K: s.K,
    shown: s.K <= maxResponses ? s.K : maxResponses - 1,
    yMax: largest([drawn], 0.05),
  };
}

/** What the view says it leaves out, or null when it draws the whole table. */
export function banditNote(view: BanditView): string | null {
  const parts: string[] = [];
  if (view.P > view.groups.length) {
    const last = view.first + view.groups.length - 1;
    parts.push(`Showing prompts ${view.first}–${last} of ${view.P}.`);
  }
  if (view.shown < view.K)
    parts.push(
      `Each prompt shows its ${view.shown} likeliest of ${view.K} responses; the last bar sums the other ${view.K - view.shown}.`,
    );
  return parts.length > 0 ? parts.join(' ') : null;
}

/** A bar's tooltip: the series' probability of the response and its hidden reward (the summed bar has none). */
export function barTitle(series: string, b: Bar, key: 'reference' | 'policy' | 'optimal'): string {
  if (b.response < 0) return `${series}(the other responses) = ${formatValue(b[key])}`;
  return `${series}(y${b.response}) = ${formatValue(b[key])}, r = ${formatValue(b.reward)}`;
}

/**
 * One prompt's bars in words, for touch and screen readers (tooltips need a mouse): where the policy puts most mass
 * and where the optimum does, with their probabilities.
 */
export function promptSummary(g: BarGroup): string {
  const top = (key: 'policy' | 'optimal') =>
    g.bars.reduce((best, b) => (b.response >= 0 && finite(b[key]) > finite(best[key]) ? b : best), g.bars[0]);
  // top() skips the bar that sums the rest, so both are single responses.
  const name = (b: Bar) => `y${b.response}`;
  const p = top('policy');
  const o = top('optimal');
  if (p === o) return `π_θ and π* likeliest: ${name(p)} (π_θ ${formatValue(p.policy)}, π* ${formatValue(p.optimal)})`;
  return `π_θ likeliest: ${name(p)} (${formatValue(p.policy)}; π* ${formatValue(p.optimal)}); π* likeliest: ${name(o)} (${formatValue(o.optimal)}; π_θ ${formatValue(o.policy)})`;
}
