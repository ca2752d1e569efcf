// Starts the engine's module Web Worker and wraps it with comlink: the UI thread's only way to the engine.
import { wrap, type Remote } from 'comlink';
import type { EngineApi } from '../worker/protocol';

export function startEngineWorker(): { worker: Worker; api: Remote<EngineApi> } {
  const worker = new Worker(new URL('../worker/engine.worker.ts', import.meta.url), { type: 'module' });
  return { worker, api: wrap<EngineApi>(worker) };
}
