// `lab export <preset | config.json | bundle.json> --torch DIR`: a run as a plain PyTorch project, with PrefLab's
// metrics of its first steps computed on the CPU backend (or WebGPU) for train.py --check.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createNodeBackend } from '../engine/node';
import { parseConfig, type ExperimentConfig } from '../lab/config';
import { findPreset } from '../lab/presets';
import {
  DEFAULT_EXPECTED_STEPS,
  expectedRows,
  expectedSteps,
  torchExportFiles,
  torchExportProblems,
} from '../lab/torch-export';

export const EXPORT_USAGE = `usage: lab export <preset | config.json | bundle.json> --torch DIR [--steps N] [--force]
                  [--backend cpu|webgpu]

Writes DIR: train.py (plain PyTorch: the world, model, stages, losses and metrics), preflab.py, config.json,
the world's data and the initial weights as safetensors, expected.jsonl (PrefLab's metrics of the first N
steps, default ${DEFAULT_EXPECTED_STEPS}, computed on the CPU backend, or on WebGPU with --backend webgpu) and a
README.md. Then
\`python3 DIR/train.py --check\` replays those steps in PyTorch and compares every metric.
A bundle is a run the app exported; its config is exported. An existing DIR that is not empty is
left alone unless --force is given.`;

/** The bundle format the app's Export writes: only its config is read here. */
const BUNDLE_FORMAT = 'preflab-run';
const BUNDLE_VERSION = 1;

/** The experiment input of a preset, a config file or a run bundle's config. */
function readInput(source: string): unknown {
  const preset = findPreset(source);
  if (preset) return structuredClone(preset.config);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (e) {
    throw new Error(`"${source}" is neither a preset (see \`lab presets\`) nor a readable file`, { cause: e });
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const o = input as { format?: unknown; version?: unknown; config?: unknown } | null;
  if (o === null || typeof o !== 'object' || o.format !== BUNDLE_FORMAT) return input;
  if (o.version !== BUNDLE_VERSION)
    throw new Error(
      `version: a run bundle of version ${String(o.version)}; this export reads version ${BUNDLE_VERSION}`,
    );
  if (o.config === undefined) throw new Error('config: the run bundle has no config');
  return o.config;
}

/** True when `dir` exists and holds anything (a file where the folder should be counts). */
function occupied(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return !statSync(dir).isDirectory() || readdirSync(dir).length > 0;
}

/** `lab export`: exit 0 when the folder is written, 2 on bad input (nothing written), 1 when the run failed. */
export async function exportCommand(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        torch: { type: 'string' },
        steps: { type: 'string' },
        force: { type: 'boolean', default: false },
        backend: { type: 'string', default: 'cpu' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    console.error(`lab export: ${(e as Error).message}\n\n${EXPORT_USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    console.log(EXPORT_USAGE);
    return 0;
  }
  if (positionals.length !== 1 || !values.torch) {
    console.error(`lab export: expected one preset, config or bundle and --torch DIR\n\n${EXPORT_USAGE}`);
    return 2;
  }
  const backend = values.backend;
  if (backend !== 'cpu' && backend !== 'webgpu') {
    console.error(`lab export: --backend must be cpu or webgpu (got "${backend}")`);
    return 2;
  }
  let steps = DEFAULT_EXPECTED_STEPS;
  if (values.steps !== undefined) {
    steps = Number(values.steps);
    if (!Number.isInteger(steps) || steps < 1) {
      console.error(`lab export: --steps must be a positive whole number (got "${values.steps}")`);
      return 2;
    }
  }
  let cfg: ExperimentConfig;
  try {
    cfg = parseConfig(readInput(positionals[0]));
  } catch (e) {
    console.error(`lab export: ${(e as Error).message}`);
    return 2;
  }
  const problems = torchExportProblems(cfg);
  if (problems.length > 0) {
    console.error(`lab export: cannot export this run:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    return 2;
  }
  const dir = values.torch;
  if (occupied(dir) && !values.force) {
    console.error(`lab export: ${dir} exists and is not empty: pass --force to write over it`);
    return 2;
  }
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    console.error(`lab export: ${dir} is a file, not a folder`);
    return 2;
  }
  const n = expectedSteps(cfg, steps);
  if (n < steps) console.error(`lab export: the run has ${n} steps in all; expected.jsonl holds them all`);
  const be = await createNodeBackend(backend);
  let failure: Error | null = null;
  be.onDeviceError((e) => (failure = e));
  try {
    const files = torchExportFiles(cfg, await expectedRows(be, cfg, n), n, be.info.kind);
    mkdirSync(dir, { recursive: true });
    for (const f of files) writeFileSync(join(dir, f.name), f.data);
    console.error(
      `wrote ${files.map((f) => f.name).join(', ')} to ${dir}; check it with: python3 ${join(dir, 'train.py')} --check`,
    );
    return 0;
  } catch (e) {
    console.error(`lab export: ${(failure ?? (e as Error)).message}`);
    return 1;
  } finally {
    be.destroy();
  }
}
