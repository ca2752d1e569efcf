// Saved runs in IndexedDB (idb-keyval). Each run is written once under its own new key and never overwritten by
// another save, so a failed write (a full disk: QuotaExceededError) loses nothing saved before.
import { createStore, del, entries, get, set, type UseStore } from 'idb-keyval';
import { weightBytes, type RunBundle } from './export';

export interface SavedRunSummary {
  key: string;
  name: string;
  savedAt: string;
  done: number;
  total: number;
  backend: string;
  /** Bytes of the run's saved weights (0 for runs saved without them). */
  weightBytes: number;
}

let db: UseStore | null = null;
const store = (): UseStore => (db ??= createStore('preflab', 'runs'));

export class StorageFullError extends Error {}

/** Whether a failed write failed for want of room (the storage quota). */
export function isQuota(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED');
}

/** A key no other run has: time plus randomness. */
export function newRunKey(now = Date.now(), rand = Math.random()): string {
  return `run:${now.toString(36)}-${Math.floor(rand * 2 ** 32).toString(36)}`;
}

export async function saveRun(bundle: RunBundle): Promise<string> {
  const key = newRunKey();
  try {
    await set(key, bundle, store());
  } catch (e) {
    if (isQuota(e)) {
      throw new StorageFullError(
        'The browser has no room left to save this run (storage quota exceeded). Your earlier saved runs are untouched; delete some to make room, or export this run as a file instead.',
      );
    }
    throw e;
  }
  return key;
}

export async function listRuns(): Promise<SavedRunSummary[]> {
  const all = await entries<string, RunBundle>(store());
  return all
    .filter(([k]) => typeof k === 'string' && k.startsWith('run:'))
    .map(([key, b]) => ({
      key,
      name: b.name,
      savedAt: b.savedAt,
      done: b.done,
      total: b.total,
      backend: b.backend,
      weightBytes: weightBytes(b.weights),
    }))
    .sort((a, b) => (a.savedAt < b.savedAt ? 1 : a.savedAt > b.savedAt ? -1 : 0));
}

export async function loadRun(key: string): Promise<RunBundle | undefined> {
  return get<RunBundle>(key, store());
}

export async function renameRun(key: string, name: string): Promise<void> {
  const b = await loadRun(key);
  if (!b) throw new Error('this run is no longer saved');
  await set(key, { ...b, name }, store());
}

export async function deleteRun(key: string): Promise<void> {
  await del(key, store());
}
