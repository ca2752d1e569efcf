// The UI's state of the lab: the trainer worker (backend, self-check), the config being edited, the run's status,
// metric history and snapshot, saved runs and the share link. Components render it and call its methods.
import { proxy, type Remote } from 'comlink';
import type { BackendInfo } from '../engine/backend';
import { ConfigError, parseConfig, type ExperimentConfig, type ExperimentInput } from '../lab/config';
import type { MetricRow } from '../lab/metrics';
import { PRESETS } from '../lab/presets';
import { decodeConfig, encodeConfig, ShareLinkError } from '../lab/share';
import type { SelfTestResult, Snapshot, TrainerApi, TrainerStatus } from '../worker/protocol';
import { BUNDLE_FORMAT, BUNDLE_VERSION, finalSnapshot, parseBundle, plainSnapshot, type RunBundle } from './export';
import { isoNow } from './format';
import { RateMeter } from './progress';
import { buildCharts, type SeriesRun } from './series';
import { deleteRun, listRuns, loadRun, renameRun, saveRun, type SavedRunSummary } from './store';
import { startTrainerWorker } from './worker';

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const FORCE_CPU_KEY = 'preflab:force-cpu';
const EMPTY: TrainerStatus = { state: 'empty', done: 0, total: 0, stage: '', message: null, problem: null };

export class Lab {
  info = $state<BackendInfo | null>(null);
  startError = $state<string | null>(null);
  /** The worker crashed (its 'error' event) or its device was lost: the run cannot go on in it. */
  crash = $state<string | null>(null);
  selfTest = $state<SelfTestResult | null>(null);
  selfTestError = $state<string | null>(null);
  selfTestRunning = $state(false);
  forceCpu = $state(false);

  presetName = $state<string>(PRESETS[0].name);
  /** The config as edited in the form (may be invalid). */
  draft = $state.raw<ExperimentConfig>(parseConfig(PRESETS[0].config));
  /** The config of the loaded run. */
  config = $state.raw<ExperimentConfig | null>(null);
  configError = $state<string | null>(null);
  /** A share link that could not be opened (ShareLinkError's text). */
  linkError = $state<string | null>(null);
  notice = $state<string | null>(null);

  status = $state.raw<TrainerStatus>(EMPTY);
  rows = $state.raw<MetricRow[]>([]);
  snapshot = $state.raw<Snapshot | null>(null);
  /** The weights of an opened saved run or imported bundle, until the run trains again (the worker's are fresh). */
  private shownWeights: Record<string, Float32Array> | null = null;
  rate = $state(0);
  speed = $state(10);
  busy = $state(false);

  saved = $state.raw<SavedRunSummary[]>([]);
  storageError = $state<string | null>(null);
  /** Saved runs overlaid on the charts (Compare). */
  compared = $state.raw<{ key: string; bundle: RunBundle }[]>([]);
  shareUrl = $state<string | null>(null);

  readonly running = $derived(this.status.state === 'running');
  readonly canTrain = $derived(this.status.state === 'ready' || this.status.state === 'paused');
  readonly dirty = $derived(this.config !== null && JSON.stringify(this.config) !== JSON.stringify(this.draft));
  readonly charts = $derived.by(() => {
    const runs: SeriesRun[] = [];
    if (this.config && this.rows.length) runs.push({ label: 'this run', rows: this.rows, stages: this.config.stages });
    for (const c of this.compared)
      runs.push({ label: c.bundle.name, rows: c.bundle.rows, stages: c.bundle.config.stages });
    return buildCharts(runs);
  });

  private worker: Worker | null = null;
  private api: Remote<TrainerApi> | null = null;
  private meter = new RateMeter();
  /** The first worker start: actions that arrive before it (opening a saved run) wait for it. */
  private booting: Promise<void> | null = null;

  /** Start the worker, open the share link in the URL (if any) or the first preset, and list saved runs. */
  async boot(): Promise<void> {
    try {
      this.forceCpu = localStorage.getItem(FORCE_CPU_KEY) === '1';
    } catch {
      this.forceCpu = false;
    }
    const hash = location.hash;
    let fromLink: ExperimentConfig | null = null;
    if (hash && hash !== '#') {
      try {
        fromLink = decodeConfig(hash);
      } catch (e) {
        this.linkError = e instanceof ShareLinkError ? e.message : `the link could not be read: ${message(e)}`;
        history.replaceState(null, '', location.pathname + location.search);
      }
    }
    void this.refreshSaved();
    addEventListener('hashchange', () => void this.openLink(location.hash));
    if (fromLink) {
      this.presetName = '';
      this.draft = fromLink;
    }
    const first = fromLink ?? this.draft;
    let loaded = false;
    // Actions that arrive meanwhile (a link pasted, a saved run opened) wait until the first run is loaded.
    this.booting = this.startWorker().then(async () => {
      loaded = await this.loadNow(first);
    });
    await this.booting;
    if (fromLink && loaded) await this.train();
    if (this.info && !this.crash) void this.runSelfTest();
  }

  /** A share link pasted into this tab (the fragment changed): open it and rerun it, or say what is wrong. */
  async openLink(hash: string): Promise<void> {
    if (!hash || hash === '#' || this.shareUrl === location.href) return;
    let cfg: ExperimentConfig;
    try {
      cfg = decodeConfig(hash);
    } catch (e) {
      this.linkError = e instanceof ShareLinkError ? e.message : `the link could not be read: ${message(e)}`;
      return;
    }
    this.linkError = null;
    await this.pause();
    this.presetName = '';
    if (await this.load(cfg)) await this.train();
  }

  private async startWorker(): Promise<void> {
    this.stopWorker();
    this.info = null;
    this.startError = null;
    this.crash = null;
    const { worker, api } = startTrainerWorker();
    this.worker = worker;
    this.api = api;
    worker.addEventListener('error', (ev) => {
      ev.preventDefault();
      const why = ev.message ? `: ${ev.message}` : '';
      if (!this.info) this.startError = `the engine worker failed to start${why}`;
      this.crash = `The engine worker crashed${why}. The page still works: restart the engine to run again.`;
      this.status = { ...this.status, state: 'failed' };
      this.selfTestRunning = false;
      this.busy = false;
      // A worker that threw is in an unknown state: end it, so that it neither holds the GPU nor posts a status
      // that would hide the failure. What it sent before (metrics, snapshot) stays on the page.
      if (this.worker === worker) this.stopWorker();
    });
    try {
      this.info = await api.init(
        { forceCpu: this.forceCpu },
        // Events a worker posted before it crashed or was replaced may still be queued: only the current one's count.
        proxy({
          metrics: (rows: MetricRow[], status: TrainerStatus) => {
            if (this.worker === worker) this.onMetrics(rows, status);
          },
          status: (status: TrainerStatus) => {
            if (this.worker === worker) this.onStatus(status);
          },
          snapshot: (s: Snapshot) => {
            if (this.worker === worker) this.snapshot = s;
          },
        }),
      );
    } catch (e) {
      this.startError = message(e);
    }
  }

  private stopWorker(): void {
    this.worker?.terminate();
    this.worker = null;
    this.api = null;
  }

  private onMetrics(rows: MetricRow[], status: TrainerStatus): void {
    this.rows = this.rows.concat(rows);
    this.onStatus(status);
  }

  private onStatus(status: TrainerStatus): void {
    this.status = status;
    this.rate = this.meter.add(performance.now(), status.done);
    if (status.problem === 'device') this.crash = status.message;
  }

  async runSelfTest(): Promise<void> {
    if (!this.api || this.selfTestRunning) return;
    this.selfTestRunning = true;
    this.selfTestError = null;
    try {
      this.selfTest = await this.api.selfTest();
    } catch (e) {
      this.selfTest = null;
      this.selfTestError = message(e);
    } finally {
      this.selfTestRunning = false;
    }
  }

  /** Validate a config in the worker and build its run; false (with the message shown) when it is not valid. */
  async load(input: ExperimentInput | ExperimentConfig): Promise<boolean> {
    if (this.booting) await this.booting;
    return this.loadNow(input);
  }

  private async loadNow(input: ExperimentInput | ExperimentConfig): Promise<boolean> {
    if (!this.api) return false;
    this.busy = true;
    try {
      const res = await this.api.load(input);
      if (!res.ok) {
        this.configError = res.message;
        return false;
      }
      this.configError = null;
      this.config = res.config;
      this.draft = res.config;
      this.rows = [];
      this.snapshot = null;
      this.shownWeights = null;
      this.meter.reset();
      this.rate = 0;
      this.status = await this.api.status();
      await this.api.setSpeed(this.speed);
      return true;
    } catch (e) {
      this.configError = message(e);
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Check the edited config on the UI thread first (same schema), so typing gives feedback without the worker. */
  setDraft(next: ExperimentConfig): void {
    this.draft = next;
    try {
      parseConfig(next);
      this.configError = null;
    } catch (e) {
      this.configError = e instanceof ConfigError ? e.problems.join('; ') : message(e);
    }
  }

  async choosePreset(name: string): Promise<void> {
    const p = PRESETS.find((x) => x.name === name);
    if (!p) return;
    this.presetName = name;
    this.shareUrl = null;
    this.linkError = null;
    history.replaceState(null, '', location.pathname + location.search);
    await this.load(parseConfig(p.config));
  }

  async applyDraft(): Promise<void> {
    await this.load(this.draft);
  }

  async train(): Promise<void> {
    if (!this.api || !this.canTrain) return;
    this.meter.reset();
    this.shownWeights = null;
    await this.api.start();
  }

  async pause(): Promise<void> {
    await this.api?.pause();
  }

  async toggle(): Promise<void> {
    if (this.running) await this.pause();
    else await this.train();
  }

  async step(n = 1): Promise<void> {
    if (!this.api || !this.canTrain) return;
    this.busy = true;
    this.shownWeights = null;
    try {
      this.status = await this.api.step(n * this.config!.metrics.every);
    } finally {
      this.busy = false;
    }
  }

  async reset(): Promise<void> {
    if (!this.api || !this.config) return;
    this.busy = true;
    try {
      this.rows = [];
      this.snapshot = null;
      this.shownWeights = null;
      this.meter.reset();
      this.rate = 0;
      this.status = await this.api.reset();
    } finally {
      this.busy = false;
    }
  }

  async setSpeed(n: number): Promise<void> {
    this.speed = n;
    await this.api?.setSpeed(n);
  }

  /** A new worker (and so a new GPU device), the same config, from step 0. */
  async restart(): Promise<void> {
    const cfg = this.config ?? this.draft;
    this.rows = [];
    this.snapshot = null;
    this.status = EMPTY;
    this.booting = this.startWorker().then(async () => {
      if (this.info) await this.loadNow(cfg);
    });
    await this.booting;
  }

  async setForceCpu(on: boolean): Promise<void> {
    this.forceCpu = on;
    try {
      localStorage.setItem(FORCE_CPU_KEY, on ? '1' : '0');
    } catch {
      // Settings without storage last for this page only.
    }
    this.selfTest = null;
    await this.restart();
    if (this.info) void this.runSelfTest();
  }

  /** Put the loaded config in the URL fragment and return the link. */
  share(): string | null {
    if (!this.config) return null;
    const frag = encodeConfig(this.config);
    history.replaceState(null, '', location.pathname + location.search + frag);
    this.shareUrl = location.href;
    return this.shareUrl;
  }

  /** The current run as a bundle (with its final snapshot and weights read from the worker). */
  async bundle(name?: string): Promise<RunBundle | null> {
    if (!this.config) return null;
    // A failed run's worker has nothing newer (or is gone after a crash): the page's own copy is the latest.
    const api = this.status.state === 'failed' ? null : this.api;
    const snap = (await api?.snapshot().catch(() => null)) ?? this.snapshot;
    const weights = this.shownWeights ?? (await api?.weights().catch(() => null)) ?? undefined;
    const preset = PRESETS.find((p) => p.name === this.presetName);
    return {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      name:
        name ??
        `${preset?.name ?? (this.config.title || 'custom run')} · ${this.status.done}/${this.status.total} steps`,
      savedAt: isoNow(),
      backend: this.info ? (this.info.kind === 'webgpu' ? `WebGPU ${this.info.vendor}` : 'CPU') : 'unknown',
      config: this.config,
      done: this.status.done,
      total: this.status.total,
      rows: this.rows,
      final: plainSnapshot(snap),
      ...(weights ? { weights } : {}),
    };
  }

  async refreshSaved(): Promise<void> {
    try {
      this.saved = await listRuns();
    } catch (e) {
      this.storageError = `Saved runs are unavailable in this browser: ${message(e)}`;
    }
  }

  async save(): Promise<void> {
    const b = await this.bundle();
    if (!b) return;
    this.storageError = null;
    try {
      await saveRun(b);
      this.notice = `Saved “${b.name}”.`;
    } catch (e) {
      this.storageError = message(e);
    }
    await this.refreshSaved();
  }

  async rename(key: string, name: string): Promise<void> {
    try {
      await renameRun(key, name);
    } catch (e) {
      this.storageError = message(e);
    }
    await this.refreshSaved();
  }

  async remove(key: string): Promise<void> {
    try {
      await deleteRun(key);
    } catch (e) {
      this.storageError = message(e);
    }
    this.compared = this.compared.filter((c) => c.key !== key);
    await this.refreshSaved();
  }

  /** Show a saved run: its config in the form and its history on the charts (to train it again, press Train). */
  async open(key: string): Promise<void> {
    const b = await loadRun(key);
    if (!b) {
      this.storageError = 'This run is no longer saved.';
      await this.refreshSaved();
      return;
    }
    await this.openBundle(b);
  }

  async openBundle(b: RunBundle): Promise<void> {
    this.presetName = '';
    if (!(await this.load(b.config))) return;
    this.rows = b.rows;
    this.notice = `Showing “${b.name}”: ${b.done} of ${b.total} steps. Reset and Train rerun its config.`;
    // A run saved by an older version may hold a state this one cannot draw: its metrics are still shown.
    try {
      this.snapshot = finalSnapshot(b);
    } catch (e) {
      this.notice += ` Its final state is not shown: ${message(e)}.`;
    }
    this.shownWeights = b.weights ?? null;
  }

  async toggleCompare(key: string, on: boolean): Promise<void> {
    if (!on) {
      this.compared = this.compared.filter((c) => c.key !== key);
      return;
    }
    const b = await loadRun(key);
    if (b) this.compared = [...this.compared, { key, bundle: b }];
  }

  /** Read an exported bundle file; its config is validated against the schema before anything is shown. */
  async importText(text: string): Promise<void> {
    this.storageError = null;
    try {
      const b = parseBundle(text);
      await this.openBundle(b);
    } catch (e) {
      this.storageError = `Import failed: ${message(e)}`;
    }
  }

  dispose(): void {
    this.stopWorker();
  }
}
