// Lesson progress in the browser: recorded and read back, damaged entries skipped, and a storage that refuses a write
// (a full quota) or cannot be read keeps the progress in memory and says so.

import { describe, expect, it } from 'vitest';
import { LessonProgress, type LessonRecord, type ProgressStorage } from '../../src/app/lesson-progress.svelte';

class MapStorage implements ProgressStorage {
  readonly map = new Map<string, unknown>();
  failWith: Error | null = null;
  load = async (): Promise<[string, LessonRecord][]> => [...this.map] as [string, LessonRecord][];
  save = async (id: string, record: LessonRecord): Promise<void> => {
    if (this.failWith) throw this.failWith;
    this.map.set(id, record);
  };
}

const rec = (prediction: string, correct: boolean | null = null): LessonRecord => ({
  prediction,
  correct,
  at: '2026-01-01T00:00:00.000Z',
});

describe('lesson progress', () => {
  it('is written to storage and read back by the next visit', async () => {
    const storage = new MapStorage();
    await new LessonProgress(storage).record('beta-leash', rec('same', false));
    const next = new LessonProgress(storage);
    await next.restore();
    expect(next.records).toEqual({ 'beta-leash': rec('same', false) });
    expect(next.notice).toBeNull();
  });

  it('skips damaged entries, and what this visit recorded before the read wins', async () => {
    const storage = new MapStorage();
    storage.map.set('a', rec('x', true));
    storage.map.set('b', { prediction: 3 });
    storage.map.set('c', rec('old'));
    const p = new LessonProgress(storage);
    const pending = p.record('c', rec('new', true));
    await p.restore();
    await pending;
    expect(p.records).toEqual({ a: rec('x', true), c: rec('new', true) });
  });

  it('keeps the progress in memory when the storage is full, and says so', async () => {
    const storage = new MapStorage();
    storage.failWith = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    const p = new LessonProgress(storage);
    await p.record('noisy-labels', rec('robust', true));
    expect(p.records['noisy-labels']).toEqual(rec('robust', true));
    expect(p.notice).toBe(
      'The browser has no room left to keep lesson progress (storage quota exceeded): it is kept for this visit only.',
    );
    expect(storage.map.size).toBe(0);
  });

  it('names any other storage failure, reading or writing', async () => {
    const storage = new MapStorage();
    storage.load = async () => {
      throw new Error('IndexedDB is disabled');
    };
    const p = new LessonProgress(storage);
    await p.restore();
    expect(p.notice).toBe(
      'Lesson progress cannot be read in this browser (IndexedDB is disabled): it is kept for this visit only.',
    );
    storage.failWith = new Error('blocked');
    await p.record('x', rec('y'));
    expect(p.notice).toContain('cannot be saved in this browser (blocked)');
    expect(p.records.x).toEqual(rec('y'));
  });
});
