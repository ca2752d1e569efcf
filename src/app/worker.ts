// Starts a trainer module Web Worker and wraps it with comlink: the UI thread's only way to the engine.
import { wrap, type Remote } from 'comlink';
import type { TrainerApi } from '../worker/protocol';

export function startTrainerWorker(): { worker: Worker; api: Remote<TrainerApi> } {
  const worker = new Worker(new URL('../worker/trainer.worker.ts', import.meta.url), { type: 'module' });
  return { worker, api: wrap<TrainerApi>(worker) };
}
