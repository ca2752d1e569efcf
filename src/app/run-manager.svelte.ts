// The current run: its config in the worker, status and speed, the metric stream and snapshot, and its bundle.
import type { ExperimentConfig, ExperimentInput } from '../lab/config';
import type { MetricRow } from '../lab/metrics';
import { PRESETS } from '../lab/presets';
import type { Snapshot, TrainerStatus } from '../worker/protocol';
import { BUNDLE_FORMAT, BUNDLE_VERSION, plainSnapshot, type RunBundle } from './export';
import { errorText, isoNow } from './format';
import { RateMeter } from './progress';
import { runName } from '../lab/run-name';
import type { DraftManager } from './draft-manager.svelte';
import type { EngineEvents, EngineManager } from './engine-manager.svelte';

const EMPTY: TrainerStatus = { state: 'empty', done: 0, total: 0, stage: '', message: null, problem: null };

/** What a saved run or an imported bundle shows in place of a trained one. */
export interface ShownRun {
  name: string;
  backend: string;
  done: number;
  total: number;
  rows: MetricRow[];
  snapshot: Snapshot | null;
  weights: Record<string, Float32Array> | null;
}

export class RunManager {
  /** The config of the loaded run. */
  config = $state.raw<ExperimentConfig | null>(null);
  /** As the worker last reported it; a non-finite metric shows up here as problem 'nan' with its message. */
  status = $state.raw<TrainerStatus>(EMPTY);
  rows = $state.raw<MetricRow[]>([]);
  snapshot = $state.raw<Snapshot | null>(null);
  rate = $state(0);
  speed = $state(10);
  busy = $state(false);
  /** The engine is starting and the first run is being built: nothing to show or train yet. */
  loading = $state(true);
  /** A saved or imported run on show: its name and steps, which the freshly loaded worker (at step 0) has not. */
  shown = $state.raw<Pick<ShownRun, 'name' | 'done' | 'total' | 'backend'> | null>(null);
  /** While the PyTorch project is being built; why the last one could not be. */
  torchBusy = $state(false);
  torchError = $state<string | null>(null);

  readonly running = $derived(this.status.state === 'running');
  /** Steps done of the run on the page: those of the run shown, else the worker's. */
  readonly done = $derived(this.shown?.done ?? this.status.done);
  /** The run's name: a run shown keeps its saved one; else its preset (or the nearest) and what differs from it. */
  readonly name = $derived.by(() => {
    if (this.shown) return this.shown.name;
    return this.config ? runName(this.config, this.#draft.preset, PRESETS) : null;
  });
  readonly canTrain = $derived(this.status.state === 'ready' || this.status.state === 'paused');
  /** The form's draft differs from the loaded run's config. */
  readonly dirty = $derived.by(
    () => this.config !== null && JSON.stringify(this.config) !== JSON.stringify(this.#draft.draft),
  );

  readonly #engine: EngineManager;
  readonly #draft: DraftManager;
  readonly #meter = new RateMeter();
  /** The weights of an opened saved run or imported bundle, until the run trains again (the worker's are fresh). */
  #shownWeights: Record<string, Float32Array> | null = null;
  /** The latest worker start with its first load: actions that arrive before it (opening a saved run) wait for it. */
  #booting: Promise<void> | null = null;
  /** Callers waiting for the run to stop training (see `settled`). */
  #settledWaiters: ((status: TrainerStatus) => void)[] = [];

  readonly #events: EngineEvents = {
    metrics: (rows, status) => {
      this.rows = this.rows.concat(rows);
      this.#onStatus(status);
    },
    status: (status) => this.#onStatus(status),
    snapshot: (s) => {
      this.snapshot = s;
    },
    crashed: () => {
      this.#onStatus({ ...this.status, state: 'failed' });
      this.busy = false;
    },
  };

  constructor(engine: EngineManager, draft: DraftManager) {
    this.#engine = engine;
    this.#draft = draft;
  }

  #onStatus(status: TrainerStatus): void {
    this.status = status;
    this.rate = this.#meter.add(performance.now(), status.done);
    if (status.state === 'finished' || status.state === 'paused' || status.state === 'failed') {
      const waiters = this.#settledWaiters;
      this.#settledWaiters = [];
      for (const w of waiters) w(status);
    }
  }

  /**
   * The status at which the run next stops training: finished, paused (by the reader, or on a non-finite metric) or
   * failed. Ask before `train`: every row of the run has arrived when it resolves.
   */
  settled(): Promise<TrainerStatus> {
    return new Promise((resolve) => this.#settledWaiters.push(resolve));
  }

  /** The first worker start, with `first` loaded in it and, with `train`, training. */
  async boot(first: ExperimentConfig, train: boolean): Promise<void> {
    let loaded = false;
    this.loading = true;
    this.#booting = this.#engine
      .start(this.#events)
      .then(async () => {
        loaded = await this.#loadNow(first);
      })
      .finally(() => (this.loading = false));
    await this.#booting;
    // Right here, before the actions that waited for the start resume: opening a saved run meanwhile replaces
    // this run rather than being trained over.
    if (train && loaded) await this.train();
  }

  /** A new worker (and so a new GPU device), the same config, from step 0. */
  async restart(): Promise<void> {
    const cfg = this.config ?? this.#draft.draft;
    this.rows = [];
    this.snapshot = null;
    this.shown = null;
    this.status = EMPTY;
    this.loading = true;
    this.#booting = this.#engine
      .start(this.#events)
      .then(async () => {
        if (this.#engine.info) await this.#loadNow(cfg);
      })
      .finally(() => (this.loading = false));
    await this.#booting;
  }

  /** Once the latest worker start and its first load are over. */
  async started(): Promise<void> {
    if (this.#booting) await this.#booting;
  }

  /** Validate a config in the worker and build its run; false (with the message shown) when it is not valid. */
  async load(input: ExperimentInput | ExperimentConfig): Promise<boolean> {
    await this.started();
    return this.#loadNow(input);
  }

  async #loadNow(input: ExperimentInput | ExperimentConfig): Promise<boolean> {
    if (!this.#engine.api) return false;
    this.busy = true;
    try {
      const res = await this.#engine.api.load(input);
      if (!res.ok) {
        this.#draft.refused(res.message);
        return false;
      }
      this.#draft.loaded(res.config);
      this.config = res.config;
      this.rows = [];
      this.snapshot = null;
      this.shown = null;
      this.#shownWeights = null;
      this.#meter.reset();
      this.rate = 0;
      this.status = await this.#engine.api.status();
      await this.#engine.api.setSpeed(this.speed);
      return true;
    } catch (e) {
      this.#draft.refused(errorText(e));
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Show a saved run's history, final state and weights on the run just loaded with its config. */
  show(saved: ShownRun): void {
    this.rows = saved.rows;
    this.snapshot = saved.snapshot;
    this.shown = { name: saved.name, done: saved.done, total: saved.total, backend: saved.backend };
    this.#shownWeights = saved.weights;
  }

  /**
   * Training goes on from the worker's state, step 0 under a run shown: its history makes way, so that the new
   * metrics do not continue a line they did not start.
   */
  #leaveShown(): void {
    if (!this.shown) return;
    this.shown = null;
    this.rows = [];
    this.snapshot = null;
  }

  async train(): Promise<void> {
    const api = this.#engine.api;
    if (!api || !this.canTrain) return;
    this.#meter.reset();
    this.#leaveShown();
    this.#shownWeights = null;
    await api.start();
  }

  async pause(): Promise<void> {
    await this.#engine.api?.pause();
  }

  async toggle(): Promise<void> {
    if (this.running) await this.pause();
    else await this.train();
  }

  async step(n = 1): Promise<void> {
    const api = this.#engine.api;
    if (!api || !this.canTrain) return;
    this.busy = true;
    this.#leaveShown();
    this.#shownWeights = null;
    try {
      this.status = await api.step(n * this.config!.metrics.every);
    } finally {
      this.busy = false;
    }
  }

  async reset(): Promise<void> {
    const api = this.#engine.api;
    if (!api || !this.config) return;
    this.busy = true;
    try {
      this.rows = [];
      this.snapshot = null;
      this.shown = null;
      this.#shownWeights = null;
      this.#meter.reset();
      this.rate = 0;
      this.status = await api.reset();
    } finally {
      this.busy = false;
    }
  }

  async setSpeed(n: number): Promise<void> {
    this.speed = n;
    await this.#engine.api?.setSpeed(n);
  }

  /** The current run as a bundle (with its final snapshot and weights read from the worker, or the run shown's). */
  async bundle(): Promise<RunBundle | null> {
    if (!this.config) return null;
    // A failed run's worker has nothing newer (or is gone after a crash): the page's own copy is the latest. A run
    // shown has its own: the worker holds a fresh run of its config.
    const api = this.status.state === 'failed' || this.shown ? null : this.#engine.api;
    const snap = (await api?.snapshot().catch(() => null)) ?? this.snapshot;
    const weights = this.#shownWeights ?? (await api?.weights().catch(() => null)) ?? undefined;
    return {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      name: this.name ?? 'custom run',
      savedAt: isoNow(),
      backend: this.shown?.backend ?? this.#engine.backendName,
      config: this.config,
      done: this.done,
      total: this.shown?.total ?? this.status.total,
      rows: this.rows,
      final: plainSnapshot(snap),
      ...(weights ? { weights } : {}),
    };
  }

  /** The loaded run as a zipped PyTorch project under `folder`, or null (torchError says why). */
  async torchProject(folder: string): Promise<Uint8Array | null> {
    const api = this.#engine.api;
    if (!this.config || !api) return null;
    this.torchBusy = true;
    this.torchError = null;
    try {
      const res = await api.torchExport(this.config, folder);
      if (res.ok) return res.zip;
      this.torchError = res.message;
    } catch (e) {
      this.torchError = errorText(e);
    } finally {
      this.torchBusy = false;
    }
    return null;
  }
}
