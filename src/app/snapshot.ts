// What the snapshot views show, computed off the component: decoded sequences, the 2D views' extent and the
// scale of bars (the bandit's bars themselves are in bandit-view.ts).
// Pure: unit-tested.

export interface SampleRow {
  tokens: string;
  length: number;
  reward: number;
  score: number | null;
}

/** Sampled sequences as text (tokens by id, EOS shown as ⏎), at most `limit`, with their rewards. */
export function sequenceRows(
  s: {
    T: number;
    eos: number;
    samples: ArrayLike<number>;
    mask: ArrayLike<number>;
    rewards: ArrayLike<number>;
    scores?: ArrayLike<number>;
  },
  limit = 12,
): SampleRow[] {
  const n = Math.min(s.rewards.length, limit);
  const out: SampleRow[] = [];
  for (let i = 0; i < n; i++) {
    const toks: string[] = [];
    for (let t = 0; t < s.T; t++) {
      if (!(s.mask[i * s.T + t] > 0)) break;
      const id = s.samples[i * s.T + t];
      toks.push(id === s.eos ? '⏎' : String(id));
    }
    out.push({
      tokens: toks.join(' '),
      length: toks.length,
      reward: s.rewards[i],
      score: s.scores ? s.scores[i] : null,
    });
  }
  return out;
}

/**
 * The half-width of the square the 2D views span: at least 3 (the built-in shapes), widened in steps of 0.5 to hold
 * every data point (a drawn set may reach 4 plus its spread), so the frames of one run line up.
 */
export function scatterExtent(data: ArrayLike<number>, least = 3): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i])) m = Math.max(m, Math.abs(data[i]));
  return Math.max(least, Math.ceil(m * 1.05 * 2) / 2);
}

/** The largest finite value of the lists, at least `floor` (a loop: a spread overflows the stack on big tables). */
export function largest(lists: readonly ArrayLike<number>[], floor: number): number {
  let m = floor;
  for (const xs of lists) for (let i = 0; i < xs.length; i++) if (xs[i] > m && Number.isFinite(xs[i])) m = xs[i];
  return m;
}
