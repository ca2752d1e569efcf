// The PyTorch export of a run: the files of a folder in which plain PyTorch rebuilds the run's world, model, stages,
// losses and metrics from the same data and initial weights, and checks its first steps against PrefLab's metrics.
// Pure given the config and PrefLab's rows (expectedRows computes those on any Backend), so the CLI and the app
// build the same folder.

import type { Backend } from '../../engine/backend';
import { preferenceLossOf } from '../../engine/preference_losses';
import { totalSteps, type BanditWorld, type ExperimentConfig } from '../config';
import { Experiment } from '../experiment';
import { METRIC_COLUMNS, type MetricRow } from '../metrics';
import { STAGE_OFFSET, STREAM, stageStream } from '../streams';
import { makeBandit } from '../worlds/bandit';
import { exportReadme } from './readme';
import { writeSafetensors } from './safetensors';
import { SUPPORT_PY } from './support-py';
import { TRAIN_PY } from './train-py';

/** config.json's format and version: train.py refuses any other. */
export const TORCH_EXPORT_FORMAT = 'preflab-torch-export';
export const TORCH_EXPORT_VERSION = 1;
/** Steps of expected.jsonl when none are asked for. */
export const DEFAULT_EXPECTED_STEPS = 50;

export interface ExportFile {
  name: string;
  data: string | Uint8Array;
}

/** What in a valid config the export cannot map yet, each naming its field; empty when it can. */
export function torchExportProblems(cfg: ExperimentConfig): string[] {
  if (cfg.world.kind !== 'bandit')
    return [`world.kind: the PyTorch export covers the bandit world so far (got ${cfg.world.kind})`];
  return cfg.stages.flatMap((s, i) =>
    s.kind === 'preference' ? [] : [`stages.${i}.kind: the PyTorch export of a bandit runs preference stages`],
  );
}

/** Steps expected.jsonl holds: the asked number, at most the whole run. */
export const expectedSteps = (cfg: ExperimentConfig, steps = DEFAULT_EXPECTED_STEPS): number =>
  Math.min(steps, totalSteps(cfg));

/** PrefLab's metric rows of the first `steps` steps of the run (over all its stages), computed on `be`. */
export async function expectedRows(be: Backend, cfg: ExperimentConfig, steps: number): Promise<MetricRow[]> {
  const exp = Experiment.create(be, cfg);
  const rows: MetricRow[] = [];
  try {
    // Rows come back at the end of each metric period: run on to the period that holds step `steps`.
    while (rows.length < steps && !exp.finished) rows.push(...(await exp.advance(Math.max(1, steps - exp.done))));
  } finally {
    exp.dispose();
  }
  return rows.slice(0, steps);
}

/** One JSON object per row, metrics in registry order (the columns of `lab run` and the app's export). */
const jsonLine = (row: MetricRow): string => {
  const o: Record<string, number | string> = {};
  for (const k of METRIC_COLUMNS) if (row[k] !== undefined) o[k] = row[k];
  return JSON.stringify(o);
};

/** config.json: the experiment as PrefLab takes it, and what train.py reads, spelled out per stage. */
function exportConfig(cfg: ExperimentConfig, steps: number, backend: string): Record<string, unknown> {
  return {
    format: TORCH_EXPORT_FORMAT,
    version: TORCH_EXPORT_VERSION,
    world: cfg.world.kind,
    seed: cfg.seed,
    metrics_every: cfg.metrics.every,
    expected_steps: steps,
    expected_backend: backend,
    columns: METRIC_COLUMNS,
    world_streams: {
      reward: STREAM.worldReward,
      reference: STREAM.worldReference,
      pairs: STREAM.worldPairs,
      coverage: STREAM.worldCoverage,
    },
    stages: cfg.stages.map((s, i) => {
      if (s.kind !== 'preference') throw new Error(`stages.${i}.kind: not a preference stage`);
      const loss = preferenceLossOf(s.lossType);
      const o = s.optimizer;
      return {
        name: s.name,
        kind: s.kind,
        steps: s.steps,
        batch: s.batch,
        loss_type: s.lossType,
        beta: s.beta,
        label_smoothing: s.labelSmoothing,
        gamma: s.gamma,
        averaged: loss.averaged,
        reference_free: loss.referenceFree,
        optimizer: { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weight_decay: o.weightDecay },
        batch_stream: stageStream(i, STAGE_OFFSET.batch),
      };
    }),
    experiment: cfg,
  };
}

/** The bandit's data and its initial weights as safetensors files. */
function banditTensors(world: BanditWorld, seed: number): ExportFile[] {
  const d = makeBandit(world, seed);
  const table = [d.P, d.K];
  const N = d.prompt.length;
  return [
    {
      name: 'world.safetensors',
      data: writeSafetensors({
        reward: { dtype: 'F64', shape: table, data: d.reward },
        prompt: { dtype: 'I32', shape: [N], data: d.prompt },
        chosen: { dtype: 'I32', shape: [N], data: d.chosen },
        rejected: { dtype: 'I32', shape: [N], data: d.rejected },
        alpha: { dtype: 'F64', shape: [N], data: d.alpha },
        covered: { dtype: 'U8', shape: table, data: d.covered },
      }),
    },
    {
      name: 'init.safetensors',
      data: writeSafetensors({
        'policy.logits': { dtype: 'F32', shape: table, data: d.referenceLogits },
        'reference.logits': { dtype: 'F32', shape: table, data: d.referenceLogits },
      }),
    },
  ];
}

/**
 * The files of the export folder, given PrefLab's rows of its first `steps` steps on `backend`. Throws on a config
 * torchExportProblems refuses.
 */
export function torchExportFiles(
  cfg: ExperimentConfig,
  expected: readonly MetricRow[],
  steps: number,
  backend: 'cpu' | 'webgpu' = 'cpu',
): ExportFile[] {
  const problems = torchExportProblems(cfg);
  if (problems.length > 0 || cfg.world.kind !== 'bandit') throw new Error(problems.join('; '));
  if (expected.length !== steps) throw new Error(`expected.jsonl needs ${steps} rows, got ${expected.length}`);
  return [
    { name: 'README.md', data: exportReadme(cfg, steps, backend) },
    { name: 'train.py', data: TRAIN_PY },
    { name: 'preflab.py', data: SUPPORT_PY },
    { name: 'config.json', data: JSON.stringify(exportConfig(cfg, steps, backend), null, 2) + '\n' },
    ...banditTensors(cfg.world, cfg.seed),
    { name: 'expected.jsonl', data: expected.map((r) => jsonLine(r) + '\n').join('') },
  ];
}
