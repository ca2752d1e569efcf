// `lab run` and `lab presets`: run an experiment headless and stream its metrics as JSON lines.

import { createWriteStream, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createNodeBackend } from '../engine/node';
import type { Backend } from '../engine/backend';
import { parseConfig, type ExperimentConfig } from '../lab/config';
import { Experiment } from '../lab/experiment';
import { isMetricName, METRIC_COLUMNS, type MetricRow } from '../lab/metrics';
import { PRESETS, findPreset } from '../lab/presets';
import { readUtf8 } from '../lab/worlds/text-tokens';

export function presetsText(): string {
  return PRESETS.map((p) => `${p.name}\t${p.title}`).join('\n');
}

/** The world of a text config, for a flag that gives it a file. */
function textWorld(input: unknown, flag: string): Record<string, unknown> {
  const world = (input as { world?: Record<string, unknown> } | null)?.world;
  if (world?.kind !== 'text')
    throw new Error(`${flag} needs a text world (the config's world is ${String(world?.kind ?? 'missing')})`);
  return world;
}

/** A UTF-8 file of at most 1 MiB, for a flag. */
function readTextFile(file: string, flag: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`${flag}: cannot read "${file}"`, { cause: e });
  }
  return readUtf8(bytes, `${flag} "${file}"`);
}

/** Files for a text world: its corpus (--text) and its preference pairs as JSONL (--pairs). */
export interface TextFiles {
  text?: string;
  pairs?: string;
}

function useTextFiles(input: unknown, files: TextFiles): void {
  if (files.text !== undefined) {
    const world = textWorld(input, '--text');
    world.text = readTextFile(files.text, '--text');
    world.corpus = 'custom';
  }
  if (files.pairs !== undefined) textWorld(input, '--pairs').pairs = readTextFile(files.pairs, '--pairs');
}

/**
 * A config from a preset name or a JSON file, with --steps overriding every stage's steps and --text and --pairs
 * giving a text world its own corpus and preference pairs.
 */
export function loadConfig(source: string, steps?: number, files: TextFiles = {}): ExperimentConfig {
  const preset = findPreset(source);
  let input: unknown;
  if (preset) input = structuredClone(preset.config);
  else {
    let text: string;
    try {
      text = readFileSync(source, 'utf8');
    } catch (e) {
      throw new Error(`"${source}" is neither a preset (see \`lab presets\`) nor a readable config file`, { cause: e });
    }
    try {
      input = JSON.parse(text);
    } catch (e) {
      throw new Error(`${source} is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  if (steps !== undefined) {
    // Only stages that are objects take the override: anything else is left for the schema to name.
    const stages = (input as { stages?: unknown } | null)?.stages;
    if (Array.isArray(stages))
      for (const s of stages) if (typeof s === 'object' && s !== null && !Array.isArray(s)) s.steps = steps;
  }
  useTextFiles(input, files);
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
  /** Receives each metric line when there is no --out file. */
  lines?: (line: string) => void;
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
      for (const r of batch) {
        if (sink) sink.write(metricLine(r) + '\n');
        else opts.lines?.(metricLine(r));
      }
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
        progress.write(
          `${last.stage} step ${last.step}: ${exp.done}/${exp.total} ${rate.toFixed(1)} steps/s loss ${loss}\n`,
        );
      }
    }, cfg.metrics.every * 10);
    if (progress?.isTTY) progress.write('\n');
  } finally {
    exp.dispose();
    if (sink) await new Promise<void>((res) => sink.end(res));
  }
  return rows;
}

export const RUN_USAGE = `usage: lab run <config.json | preset-name> [--backend webgpu|cpu] [--steps N] [--out metrics.jsonl]
               [--text corpus.txt] [--pairs pairs.jsonl]

Runs an experiment headless and writes one JSON object per logged step (OPS.md metric names) to --out,
or to standard output when --out is not given. Progress goes to standard error: a bar with steps/s on a
terminal, plain lines otherwise.

--text corpus.txt   A text world trains on this UTF-8 file (up to 1 MiB) instead of its corpus: the same
                    as "corpus": "custom" and the file's text as "text" in the config's world. For example:
                    lab run text-sft-charlevel --text my-notes.txt
--pairs pairs.jsonl Preference pairs for a text world's preference stages (the config's "pairs"): one JSON
                    object per line in TRL's format, {"prompt": ..., "chosen": ..., "rejected": ...} as
                    strings, or as lists of {"role", "content"} messages (rendered as "role: content"
                    lines); without "prompt", the shared start of chosen and rejected is the prompt. UTF-8,
                    up to 1 MiB and 8192 pairs; a bad line is named by its number. For example:
                    lab run text-dpo-pairs --pairs my-pairs.jsonl`;

export const PRESETS_USAGE = `usage: lab presets

Lists the built-in experiments, one "name<TAB>title" per line.`;

/** `lab run`: exit 0 when the run finished, 2 on a bad config or arguments, 1 when the run failed. */
export async function runCommand(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        backend: { type: 'string', default: 'webgpu' },
        steps: { type: 'string' },
        out: { type: 'string' },
        text: { type: 'string' },
        pairs: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    console.error(`lab run: ${(e as Error).message}\n\n${RUN_USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    console.log(RUN_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`lab run: expected one config file or preset name\n\n${RUN_USAGE}`);
    return 2;
  }
  const backend = values.backend;
  if (backend !== 'webgpu' && backend !== 'cpu') {
    console.error(`lab run: --backend must be webgpu or cpu (got "${backend}")`);
    return 2;
  }
  let steps: number | undefined;
  if (values.steps !== undefined) {
    steps = Number(values.steps);
    if (!Number.isInteger(steps) || steps < 1) {
      console.error(`lab run: --steps must be a positive whole number (got "${values.steps}")`);
      return 2;
    }
  }
  let cfg: ExperimentConfig;
  try {
    cfg = loadConfig(positionals[0], steps, { text: values.text, pairs: values.pairs });
  } catch (e) {
    console.error(`lab run: ${(e as Error).message}`);
    return 2;
  }
  const be = await createNodeBackend(backend);
  let failure: Error | null = null;
  be.onDeviceError((e) => (failure = e));
  try {
    const rows = await runExperiment(be, cfg, {
      out: values.out,
      progress: process.stderr,
      lines: values.out ? undefined : (line) => process.stdout.write(line + '\n'),
    });
    const last = rows.at(-1);
    for (const r of rows) {
      const metric = Object.keys(r)
        .filter(isMetricName)
        .find((k) => !Number.isFinite(r[k]));
      if (!metric) continue;
      console.error(`lab run: the run diverged: ${metric} is ${String(r[metric])} at ${r.stage} step ${r.step}`);
      return 1;
    }
    if (last) console.error(`done: ${rows.length} rows, final loss ${String(last.loss)}`);
    return 0;
  } catch (e) {
    console.error(`lab run: ${(failure ?? (e as Error)).message}`);
    return 1;
  } finally {
    be.destroy();
  }
}

export function presetsCommand(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) console.log(PRESETS_USAGE);
  else console.log(presetsText());
  return Promise.resolve(0);
}
