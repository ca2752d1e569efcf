// The UI's view of the engine worker: the backend it found and the self-check, as reactive state.
import type { Remote } from 'comlink';
import type { BackendInfo } from '../engine/backend';
import type { EngineApi, SelfTestResult } from '../worker/protocol';
import { startEngineWorker } from './worker';

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class EngineClient {
  /** The backend, once the worker has probed it. */
  info = $state<BackendInfo | null>(null);
  /** Why the worker could not start or probe, if it could not. */
  startError = $state<string | null>(null);
  selfTest = $state<SelfTestResult | null>(null);
  selfTestError = $state<string | null>(null);
  selfTestRunning = $state(false);

  private worker: Worker | null = null;
  private api: Remote<EngineApi> | null = null;

  /** Start the worker, probe the backend and run the self-check once. */
  async start(): Promise<void> {
    if (this.worker) return;
    const { worker, api } = startEngineWorker();
    this.worker = worker;
    this.api = api;
    // A worker that fails to load never answers a comlink call: report it instead of waiting forever.
    this.worker.addEventListener('error', (ev) => {
      this.startError = `the engine worker failed to start${ev.message ? `: ${ev.message}` : ''}`;
      this.selfTestRunning = false;
    });
    try {
      this.info = await api.probe();
    } catch (e) {
      this.startError = message(e);
      return;
    }
    await this.runSelfTest();
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

  stop(): void {
    this.worker?.terminate();
    this.worker = null;
    this.api = null;
  }
}
