// Pure helpers of the benchmark: repeat statistics, ratios against peers and the printed table.

export interface Stat {
  min: number;
  median: number;
  max: number;
}

export interface CaseResult {
  /** Case id, e.g. 'matmul 256' or 'dpo small'. */
  name: string;
  unit: 'GFLOP/s' | 'steps/s';
  /** Per library: rates of the timed repeats (higher is better). */
  rates: Record<string, number[]>;
}

export function stat(xs: readonly number[]): Stat {
  if (xs.length === 0) return { min: NaN, median: NaN, max: NaN };
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median, max: s[s.length - 1] };
}

/**
 * ours/peer from the repeats: the median ratio is median(ours)/median(peer); the range is the worst and best pairing
 * (min(ours)/max(peer), max(ours)/min(peer)), so it brackets every run.
 */
export function ratio(ours: readonly number[], peer: readonly number[]): Stat {
  const a = stat(ours);
  const b = stat(peer);
  return { min: a.min / b.max, median: a.median / b.median, max: a.max / b.min };
}

function num(x: number): string {
  if (!Number.isFinite(x)) return '-';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function fmtStat(s: Stat): string {
  return Number.isFinite(s.median) ? `${num(s.median)} (${num(s.min)}-${num(s.max)})` : '-';
}

/** A Markdown table: per case, each library's median rate (min-max) and ours/peer ratios. */
export function formatTable(cases: readonly CaseResult[], ours: string, peers: readonly string[]): string {
  const head = ['case', 'unit', ours, ...peers, ...peers.map((p) => `${ours}/${p}`)];
  const rows = cases.map((c) => {
    const o = c.rates[ours] ?? [];
    return [
      c.name,
      c.unit,
      fmtStat(stat(o)),
      ...peers.map((p) => fmtStat(stat(c.rates[p] ?? []))),
      ...peers.map((p) => (c.rates[p]?.length && o.length ? `${fmtStat(ratio(o, c.rates[p]))}x` : '-')),
    ];
  });
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Whether a target ratio holds at the median. */
export function meets(ours: readonly number[], peer: readonly number[], target: number): boolean {
  return ratio(ours, peer).median >= target;
}
