// The engine: the trainer worker, its backend (WebGPU or the CPU fallback), crashes, device loss and the self-check.
import { proxy, type Remote } from 'comlink';
import type { BackendInfo } from '../engine/backend';
import type { SelfTestResult, TrainerApi, TrainerEvents } from '../worker/protocol';
import { errorText } from './format';
import { startTrainerWorker } from './worker';

const FORCE_CPU_KEY = 'preflab:force-cpu';

/** What the run hears from the current worker, plus the moment that worker crashed. */
export interface EngineEvents extends TrainerEvents {
  crashed(): void;
}

export class EngineManager {
  info = $state<BackendInfo | null>(null);
  startError = $state<string | null>(null);
  /** The worker crashed (its 'error' event) or its device was lost: the run cannot go on in it. */
  crash = $state<string | null>(null);
  selfTest = $state<SelfTestResult | null>(null);
  selfTestError = $state<string | null>(null);
  selfTestRunning = $state(false);
  forceCpu = $state(false);

  #worker: Worker | null = null;
  #api: Remote<TrainerApi> | null = null;

  /** The current worker's API; null before the first start and after a crash. */
  get api(): Remote<TrainerApi> | null {
    return this.#api;
  }

  /** The backend choice saved on an earlier visit (WebGPU first where storage is unavailable). */
  restoreForceCpu(): void {
    try {
      this.forceCpu = localStorage.getItem(FORCE_CPU_KEY) === '1';
    } catch {
      this.forceCpu = false;
    }
  }

  /** Choose the backend for the next start (the caller restarts the worker) and remember the choice. */
  chooseForceCpu(on: boolean): void {
    this.forceCpu = on;
    try {
      localStorage.setItem(FORCE_CPU_KEY, on ? '1' : '0');
    } catch {
      // Settings without storage last for this page only.
    }
    this.selfTest = null;
  }

  /** End any worker and start a new one (a new GPU device); `events` hear only from this one. */
  async start(events: EngineEvents): Promise<void> {
    this.stop();
    this.info = null;
    this.startError = null;
    this.crash = null;
    const { worker, api } = startTrainerWorker();
    this.#worker = worker;
    this.#api = api;
    worker.addEventListener('error', (ev) => {
      ev.preventDefault();
      const why = ev.message ? `: ${ev.message}` : '';
      if (!this.info) this.startError = `the engine worker failed to start${why}`;
      this.crash = `The engine worker crashed${why}. The page still works: restart the engine to run again.`;
      this.selfTestRunning = false;
      events.crashed();
      // A worker that threw is in an unknown state: end it, so that it neither holds the GPU nor posts a status
      // that would hide the failure. What it sent before (metrics, snapshot) stays on the page.
      if (this.#worker === worker) this.stop();
    });
    // Events a worker posted before it crashed or was replaced may still be queued: only the current one's count.
    const current = () => this.#worker === worker;
    try {
      this.info = await api.init(
        { forceCpu: this.forceCpu },
        proxy<TrainerEvents>({
          metrics: (rows, status) => {
            if (!current()) return;
            if (status.problem === 'device') this.crash = status.message;
            events.metrics(rows, status);
          },
          status: (status) => {
            if (!current()) return;
            if (status.problem === 'device') this.crash = status.message;
            events.status(status);
          },
          snapshot: (s) => {
            if (current()) events.snapshot(s);
          },
        }),
      );
    } catch (e) {
      this.startError = errorText(e);
    }
  }

  stop(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#api = null;
  }

  async runSelfTest(): Promise<void> {
    if (!this.#api || this.selfTestRunning) return;
    this.selfTestRunning = true;
    this.selfTestError = null;
    try {
      this.selfTest = await this.#api.selfTest();
    } catch (e) {
      this.selfTest = null;
      this.selfTestError = errorText(e);
    } finally {
      this.selfTestRunning = false;
    }
  }

  /** The backend's name as a saved run records it. */
  get backendName(): string {
    if (!this.info) return 'unknown';
    return this.info.kind === 'webgpu' ? `WebGPU ${this.info.vendor}` : 'CPU';
  }
}
