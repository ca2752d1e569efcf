// What the trainer worker offers the UI thread over comlink: plain, structured-cloneable data only.
import type { BackendInfo } from '../engine/backend';
import type { ExperimentConfig } from '../lab/config';
import type { Snapshot } from '../lab/stage';
import type { MetricRow } from '../lab/metrics';

export type { Snapshot, MetricRow, ExperimentConfig };

export interface SelfTestResult {
  /** The backend that ran the check. */
  kind: BackendInfo['kind'];
  M: number;
  K: number;
  N: number;
  /** Largest |backend - CPU twin| over the output. */
  maxError: number;
  /** The pass criterion, element-wise: |got - want| <= atol + rtol |want| (OPS.md). */
  rtol: number;
  atol: number;
  passed: boolean;
  /** Wall time of upload, matmul and read-back on the backend (the first run includes shader compilation). */
  ms: number;
  /** Seed of the Philox stream the inputs were drawn from. */
  seed: number;
}

/** Where a run is. 'failed': the device was lost or the run threw; only a restart helps. */
export type RunState = 'empty' | 'ready' | 'running' | 'paused' | 'finished' | 'failed';

export interface TrainerStatus {
  state: RunState;
  /** Steps done over all stages, and the run's total. */
  done: number;
  total: number;
  /** The stage running now. */
  stage: string;
  /** Why the run stopped on its own: a non-finite metric, a device loss or an error. */
  message: string | null;
  /** 'nan': auto-paused on a non-finite metric; 'device': the GPU device was lost; 'error': the run threw. */
  problem: 'nan' | 'device' | 'error' | null;
}

/** Callbacks the UI hands to `init` (wrapped with comlink's proxy). */
export interface TrainerEvents {
  /** A batch of metric rows (coalesced: at most 10 a second) and the status after them. */
  metrics(rows: MetricRow[], status: TrainerStatus): void;
  /** The state changed (start, pause, finish, failure). */
  status(status: TrainerStatus): void;
  /** A fresh snapshot of the run (its arrays are transferred). */
  snapshot(snapshot: Snapshot): void;
}

/** A run as a PyTorch project: the folder of `lab export --torch`, zipped. */
export type TorchExportResult = { ok: true; zip: Uint8Array } | { ok: false; message: string };

export type LoadResult = { ok: true; config: ExperimentConfig; total: number } | { ok: false; message: string };

export interface TrainerApi {
  /** Create the backend (WebGPU, else the CPU twin; forceCpu skips WebGPU) and register the event callbacks. */
  init(opts: { forceCpu: boolean }, events: TrainerEvents): Promise<BackendInfo>;
  /** matmul on random inputs on the worker's backend, compared with the CPU twin on the same inputs. */
  selfTest(): Promise<SelfTestResult>;
  /** Validate a config and build its run (replacing any run); a bad config gives the schema's message. */
  load(config: unknown): Promise<LoadResult>;
  /** Train until paused or finished. */
  start(): Promise<void>;
  pause(): Promise<void>;
  /** Run n steps while paused; resolves once their metrics have been posted. */
  step(n: number): Promise<TrainerStatus>;
  /** Rebuild the run from its config: back to step 0. */
  reset(): Promise<TrainerStatus>;
  /** Steps per chunk the loop advances between checks for pause and posts. */
  setSpeed(stepsPerChunk: number): Promise<void>;
  snapshot(): Promise<Snapshot | null>;
  /** Each trained model's flat parameters, keyed by model name (buffers transferred); null without a run. */
  weights(): Promise<Record<string, Float32Array> | null>;
  status(): Promise<TrainerStatus>;
  /**
   * A config's run as a PyTorch project, zipped under `folder`, with PrefLab's metrics of its first steps computed
   * on a CPU backend of the export's own (the folder `lab export --torch` writes); the loaded run is not touched.
   */
  torchExport(config: ExperimentConfig, folder: string): Promise<TorchExportResult>;
}
