// The student's progress through the lessons, kept in this browser (IndexedDB, idb-keyval): for each lesson the
// prediction given and, once its runs finished, whether it was right. A failed write (a full disk) loses nothing of
// the lesson: the progress stays in memory for this visit, and the page says so.
import { createStore, entries, set, type UseStore } from 'idb-keyval';
import { errorText } from './format';

export interface LessonRecord {
  /** The id of the choice committed to. */
  prediction: string;
  /** Whether the runs bore it out; null while they have not finished. */
  correct: boolean | null;
  /** When it was last recorded (ISO 8601). */
  at: string;
}

/** Where the records live: IndexedDB in the app, a map in tests. */
export interface ProgressStorage {
  load(): Promise<[string, LessonRecord][]>;
  save(id: string, record: LessonRecord): Promise<void>;
}

let db: UseStore | null = null;
const store = (): UseStore => (db ??= createStore('preflab-lessons', 'progress'));

export const browserProgressStorage: ProgressStorage = {
  load: () => entries<string, LessonRecord>(store()),
  save: (id, record) => set(id, record, store()),
};

function isQuota(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED');
}

/** A stored value that is a record (anything else, from an older or damaged store, is skipped). */
function isRecord(v: unknown): v is LessonRecord {
  const r = v as Partial<LessonRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.prediction === 'string' &&
    (r.correct === null || typeof r.correct === 'boolean') &&
    typeof r.at === 'string'
  );
}

export class LessonProgress {
  records = $state.raw<Readonly<Record<string, LessonRecord>>>({});
  /** Why progress is kept in memory only, if it is. */
  notice = $state<string | null>(null);

  readonly #storage: ProgressStorage;

  constructor(storage: ProgressStorage = browserProgressStorage) {
    this.#storage = storage;
  }

  /** Read what earlier visits recorded; what this visit recorded meanwhile wins. */
  async restore(): Promise<void> {
    try {
      const stored = Object.fromEntries(
        (await this.#storage.load()).filter(([k, v]) => typeof k === 'string' && isRecord(v)),
      );
      this.records = { ...stored, ...this.records };
    } catch (e) {
      this.notice = `Lesson progress cannot be read in this browser (${errorText(e)}): it is kept for this visit only.`;
    }
  }

  async record(id: string, record: LessonRecord): Promise<void> {
    this.records = { ...this.records, [id]: record };
    try {
      await this.#storage.save(id, record);
    } catch (e) {
      this.notice = isQuota(e)
        ? 'The browser has no room left to keep lesson progress (storage quota exceeded): it is kept for this visit only.'
        : `Lesson progress cannot be saved in this browser (${errorText(e)}): it is kept for this visit only.`;
    }
  }
}
