// Pure helpers of the training loop: coalescing metric rows into batches for the UI (one post per interval),
// the guard that stops a run at the first NaN or infinite metric, and the buffers a snapshot's transfer hands over.
// No DOM, no GPU: unit-tested in Node.
import type { MetricRow } from '../lab/metrics';

/** The first metric of the rows that is NaN or infinite, with its stage and step. */
export interface NonFinite {
  stage: string;
  step: number;
  metric: string;
  value: number;
}

export function findNonFinite(rows: readonly MetricRow[]): NonFinite | null {
  for (const row of rows) {
    for (const [metric, value] of Object.entries(row)) {
      if (metric === 'stage' || metric === 'step') continue;
      if (typeof value === 'number' && !Number.isFinite(value))
        return { stage: row.stage, step: row.step, metric, value };
    }
  }
  return null;
}

/** The message shown when the guard pauses a run. */
export function nonFiniteMessage(bad: NonFinite): string {
  const what = Number.isNaN(bad.value) ? 'NaN' : bad.value > 0 ? '+Infinity' : '-Infinity';
  return `Paused: ${bad.metric} became ${what} at step ${bad.step} of stage ${bad.stage}. The run diverged; lower the learning rate or raise beta, then reset.`;
}

/**
 * Collects metric rows and says when they are due to be posted: no more often than every `intervalMs` (the worker
 * gives 100, ten posts a second), so a fast loop sends one batch per interval instead of a message per metric period.
 */
export class MetricCoalescer {
  private rows: MetricRow[] = [];
  private last = -Infinity;

  constructor(private readonly intervalMs: number) {}

  push(rows: readonly MetricRow[]): void {
    for (const r of rows) this.rows.push(r);
  }

  get pending(): number {
    return this.rows.length;
  }

  /** True when rows are waiting and the last post is at least `intervalMs` old. */
  due(now: number): boolean {
    return this.rows.length > 0 && now - this.last >= this.intervalMs;
  }

  /** Take the waiting rows (possibly none) and mark a post at `now`. */
  take(now: number): MetricRow[] {
    const out = this.rows;
    this.rows = [];
    this.last = now;
    return out;
  }
}

/**
 * The buffers of every typed array in a snapshot, nested ones included, to transfer instead of copy. Transferring
 * detaches them on this side, so a snapshot must own its arrays (never hand out the run's own).
 */
export function buffersOf(s: unknown, out = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(s)) {
    if (s.buffer instanceof ArrayBuffer) out.add(s.buffer);
  } else if (s && typeof s === 'object') {
    for (const v of Object.values(s)) buffersOf(v, out);
  }
  return [...out];
}
