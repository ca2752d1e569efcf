// `lab run` and `lab presets`: run an experiment headless and stream its metrics as JSON lines.

import { createWriteStream, readFileSync } from 'node:fs';
import type { Backend } from '../engine/backend';
import { parseConfig, type ExperimentConfig } from '../lab/config';
import { Experiment } from '../lab/experiment';
import { METRIC_COLUMNS, type MetricRow } from '../lab/metrics';
import { PRESETS, findPreset } from '../lab/presets';

export function presetsText(): string {
  return PRESETS.map((p) => `${p.name}\t${p.title}`).join('\n');
}

/** A config from a preset name or a JSON file, with --steps overriding every stage's steps. */
export function loadConfig(source: string, steps?: number): ExperimentConfig {
  const preset = findPreset(source);
  let input: unknown;
  if (preset) input = structuredClone(preset.config);
  else {
    let text: string;
    try {
      text = readFileSync(source, 'utf8');
    } catch {
      throw new Error(`"${source}" is neither a preset (see \`lab presets\`) nor a readable config file`);
    }
    try {
      input = JSON.parse(text);
    } catch (e) {
      throw new Error(`${source} is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (steps !== undefined) {
    const stages = (input as { stages?: { steps?: number }[] }).stages;
    if (Array.isArray(stages)) for (const s of stages) s.steps = steps;
  }
  return parseConfig(input);
}

/** One JSON object per logged step, metrics in registry order with OPS.md names. */
export function metricLine(row: MetricRow): string {
  const o: Record<string, number | string> = {};
  for (const k of METRIC_COLUMNS) if (row[k] !== undefined) o[k] = row[k];
  return JSON.stringify(o);
}

export interface RunOptions {
  out?: string;
  /** Where progress goes (stderr); a TTY gets a redrawn bar, anything else plain lines. */
  progress?: NodeJS.WriteStream;
}

export async function runExperiment(be: Backend, cfg: ExperimentConfig, opts: RunOptions = {}): Promise<MetricRow[]> {
  const exp = Experiment.create(be, cfg);
  const sink = opts.out ? createWriteStream(opts.out) : null;
  const progress = opts.progress;
  const t0 = performance.now();
  let lastPlain = 0;
  const rows: MetricRow[] = [];
  try {
    await exp.runToEnd((batch) => {
      rows.push(...batch);
      for (const r of batch) sink?.write(metricLine(r) + '\n');
      const secs = (performance.now() - t0) / 1000;
      const rate = exp.done / Math.max(secs, 1e-9);
      const last = batch[batch.length - 1];
      if (!progress || !last) return;
      const loss = typeof last.loss === 'number' ? last.loss.toFixed(4) : '?';
      if (progress.isTTY) {
        const width = 30;
        const filled = Math.round((exp.done / exp.total) * width);
        progress.write(
          `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${exp.done}/${exp.total} ${rate.toFixed(1)} steps/s loss ${loss}  `,
        );
      } else if (exp.done - lastPlain >= Math.max(1, Math.floor(exp.total / 10)) || exp.finished) {
        lastPlain = exp.done;
        progress.write(`${last.stage} step ${last.step}: ${exp.done}/${exp.total} ${rate.toFixed(1)} steps/s loss ${loss}\n`);
      }
    }, cfg.metrics.every * 10);
    if (progress?.isTTY) progress.write('\n');
  } finally {
    exp.dispose();
    if (sink) await new Promise<void>((res) => sink.end(res));
  }
  return rows;
}
