// A person's preference labels on the bandit: what each one records, the pairs a run trains on, and how the labels
// agree with the world's hidden reward, with the label flip rate that agreement implies under Bradley-Terry.

/**
 * Where a judged pair was drawn from: the reference, the policy being trained, the reference's pair the policy is
 * least sure of (active), or a file of labels (or a run's).
 */
export type LabelSource = 'reference' | 'policy' | 'active' | 'import';

export interface Label {
  prompt: number;
  /** The response judged better (for a tie: the one shown on the left). */
  chosen: number;
  rejected: number;
  /** Neither was better: counted, never trained on (a preference pair needs a winner). */
  tie: boolean;
  source: LabelSource;
  /** When it was given, in ms since the epoch. */
  time: number;
}

/** What a run carries of a label: [prompt, chosen, rejected]. */
export type Triple = [prompt: number, chosen: number, rejected: number];

/** The pairs a run trains on: every label with a winner, in the order given. */
export function trainingTriples(labels: readonly Label[]): Triple[] {
  return labels.filter((l) => !l.tie).map((l) => [l.prompt, l.chosen, l.rejected]);
}

/** The triples of `want` that `have` lacks, counting repeats (a triple given twice must be there twice). */
export function missingTriples(have: readonly Triple[], want: readonly Triple[]): Triple[] {
  const count = new Map<string, number>();
  for (const t of have) count.set(t.join(), (count.get(t.join()) ?? 0) + 1);
  return want.filter((t) => {
    const n = count.get(t.join()) ?? 0;
    if (n > 0) count.set(t.join(), n - 1);
    return n === 0;
  });
}

export interface Agreement {
  /** Labels with a winner. */
  count: number;
  /** Share of them whose chosen response has the higher hidden reward (a tie in reward counts half); null: none. */
  share: number | null;
  /** The share a Bradley-Terry labeller without flips is expected to reach on the same pairs. */
  expected: number | null;
  /** The flip rate that brings the Bradley-Terry labeller's agreement down to the labels' own, in [0, 0.5]. */
  flipRate: number | null;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * How the labels agree with the hidden reward r [P, K]. A Bradley-Terry labeller picks the higher-reward response
 * with q = mean sigma(|r_a - r_b|) over these pairs; flipping each label with probability e makes that
 * (1 - e) q + e (1 - q). Solving for the labels' own share A gives e = (q - A) / (2q - 1): the flip rate robust DPO
 * assumes of such labels (0 for labels at least as consistent as the formula's).
 */
export function agreement(triples: readonly Triple[], reward: ArrayLike<number>, K: number): Agreement {
  const n = triples.length;
  if (n === 0) return { count: 0, share: null, expected: null, flipRate: null };
  let agree = 0;
  let q = 0;
  for (const [x, c, r] of triples) {
    const d = reward[x * K + c] - reward[x * K + r];
    agree += d > 0 ? 1 : d === 0 ? 0.5 : 0;
    q += sigmoid(Math.abs(d));
  }
  const share = agree / n;
  const expected = q / n;
  // Pairs of equal rewards say nothing about flips: every labeller agrees half the time.
  const flipRate = expected - 0.5 < 1e-9 ? null : Math.min(0.5, Math.max(0, (expected - share) / (2 * expected - 1)));
  return { count: n, share, expected, flipRate };
}

/** Share of the labels whose chosen response a table of probabilities [P, K] rates above the rejected one. */
export function tableAgreement(triples: readonly Triple[], probs: ArrayLike<number>, K: number): number | null {
  if (triples.length === 0) return null;
  let ok = 0;
  for (const [x, c, r] of triples) if (probs[x * K + c] > probs[x * K + r]) ok++;
  return ok / triples.length;
}

/** The flip rate robust DPO assumes of these labels: the implied one, within the loss's range, to 3 decimals. */
export function assumedFlipRate(a: Agreement, max = 0.49): number | null {
  return a.flipRate === null ? null : Number(Math.min(max, a.flipRate).toFixed(3));
}
