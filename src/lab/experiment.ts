// The experiment runner: builds a world, its models and stages from a config on any Backend and advances the run.
// Each stage records its step once and replays it; metrics come back every `metrics.every` steps, so the metrics
// of a run do not depend on how its steps are batched.

import type { Backend } from '../engine/backend';
import type { ExperimentConfig } from './config';
import { totalSteps } from './config';
import type { MetricRow } from './metrics';
import type { Run, Snapshot, StageRunner } from './stage';
import { buildBanditRun } from './stages/preference';
import { buildSequencesRun } from './stages/sequences';
import { buildPoints2dRun } from './stages/points2d';
import { buildTextRun } from './stages/text';

export function buildRun(be: Backend, config: ExperimentConfig): Run {
  switch (config.world.kind) {
    case 'bandit':
      return buildBanditRun(be, config);
    case 'sequences':
      return buildSequencesRun(be, config);
    case 'points2d':
      return buildPoints2dRun(be, config);
    case 'text':
      return buildTextRun(be, config);
  }
}

export class Experiment {
  readonly total: number;
  private stageIndex = 0;
  private readonly run: Run;

  private constructor(
    readonly be: Backend,
    readonly config: ExperimentConfig,
  ) {
    this.total = totalSteps(config);
    this.run = buildRun(be, config);
  }

  static create(be: Backend, config: ExperimentConfig): Experiment {
    return new Experiment(be, config);
  }

  get stages(): readonly StageRunner[] {
    return this.run.stages;
  }

  get done(): number {
    return this.run.stages.reduce((a, r) => a + r.done, 0);
  }

  get finished(): boolean {
    return this.done >= this.total;
  }

  /** The stage running now (the last one once finished). */
  get stage(): StageRunner {
    return this.run.stages[this.stageIndex];
  }

  /** Advance up to `maxSteps` steps; returns the metric rows that completed. */
  async advance(maxSteps: number): Promise<MetricRow[]> {
    const rows: MetricRow[] = [];
    let left = maxSteps;
    const period = this.config.metrics.every;
    while (left > 0 && !this.finished) {
      const r = this.run.stages[this.stageIndex];
      if (r.done >= r.steps) {
        this.stageIndex++;
        continue;
      }
      const n = Math.min(left, period - (r.done % period), r.steps - r.done);
      rows.push(...(await r.advance(n)));
      left -= n;
      if (r.done >= r.steps && this.stageIndex < this.run.stages.length - 1) this.stageIndex++;
    }
    return rows;
  }

  /** Run to the end, calling onRows as metrics arrive. */
  async runToEnd(onRows?: (rows: MetricRow[]) => void, chunk = 1000): Promise<MetricRow[]> {
    const all: MetricRow[] = [];
    while (!this.finished) {
      const rows = await this.advance(chunk);
      all.push(...rows);
      onRows?.(rows);
    }
    return all;
  }

  snapshot(): Promise<Snapshot> {
    return this.stage.snapshot();
  }

  /** The current weights of every trained model, keyed by model name (one flat checkpoint per model). */
  weights(): Promise<Record<string, Float32Array>> {
    return this.run.weights();
  }

  dispose(): void {
    this.run.release();
  }
}
