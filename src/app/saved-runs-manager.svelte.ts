// Saved runs in this browser (IndexedDB): the list, save, open, rename, delete, compare and import, and their errors.
import { finalSnapshot, parseBundle, type RunBundle } from './export';
import { errorText } from './format';
import { deleteRun, listRuns, loadRun, renameRun, saveRun, type SavedRunSummary } from './store';
import type { DraftManager } from './draft-manager.svelte';
import type { RunManager } from './run-manager.svelte';

export class SavedRunsManager {
  runs = $state.raw<SavedRunSummary[]>([]);
  /** Why storage failed: unavailable, full (quota), a run gone, or an import refused. */
  storageError = $state<string | null>(null);
  /** Saved runs overlaid on the charts (Compare). */
  compared = $state.raw<{ key: string; bundle: RunBundle }[]>([]);
  /** What was last saved or opened. */
  notice = $state<string | null>(null);

  /** A run with steps done and not training can be saved. */
  readonly canSave = $derived.by(() => this.#run.config !== null && !this.#run.running && this.#run.status.done > 0);

  readonly #run: RunManager;
  readonly #draft: DraftManager;

  constructor(run: RunManager, draft: DraftManager) {
    this.#run = run;
    this.#draft = draft;
  }

  async refresh(): Promise<void> {
    try {
      this.runs = await listRuns();
    } catch (e) {
      this.storageError = `Saved runs are unavailable in this browser: ${errorText(e)}`;
    }
  }

  async save(): Promise<void> {
    const b = await this.#run.bundle();
    if (!b) return;
    this.storageError = null;
    try {
      await saveRun(b);
      this.notice = `Saved “${b.name}”.`;
    } catch (e) {
      this.storageError = errorText(e);
    }
    await this.refresh();
  }

  async rename(key: string, name: string): Promise<void> {
    try {
      await renameRun(key, name);
    } catch (e) {
      this.storageError = errorText(e);
    }
    await this.refresh();
  }

  async remove(key: string): Promise<void> {
    try {
      await deleteRun(key);
    } catch (e) {
      this.storageError = errorText(e);
    }
    this.compared = this.compared.filter((c) => c.key !== key);
    await this.refresh();
  }

  /** Show a saved run: its config in the form and its history on the charts (to train it again, press Train). */
  async open(key: string): Promise<void> {
    const b = await loadRun(key);
    if (!b) {
      this.storageError = 'This run is no longer saved.';
      await this.refresh();
      return;
    }
    await this.#show(b);
  }

  async toggleCompare(key: string, on: boolean): Promise<void> {
    if (!on) {
      this.compared = this.compared.filter((c) => c.key !== key);
      return;
    }
    const b = await loadRun(key);
    if (b) this.compared = [...this.compared, { key, bundle: b }];
  }

  /**
   * Read an exported bundle file; its config is validated against the schema before anything is shown. An import
   * is saved with the runs of this browser, so it can be compared, renamed and reopened like any saved run; where
   * storage fails it is still shown, and the error says it was not kept.
   */
  async importText(text: string): Promise<void> {
    this.storageError = null;
    let b: RunBundle;
    try {
      b = parseBundle(text);
    } catch (e) {
      this.storageError = `Import failed: ${errorText(e)}`;
      return;
    }
    let kept = true;
    try {
      await saveRun(b);
    } catch (e) {
      kept = false;
      this.storageError = `The imported run is shown but not saved in this browser: ${errorText(e)}`;
    }
    await this.refresh();
    await this.#show(b, kept ? 'Imported and saved' : 'Imported');
  }

  /** Messages about an earlier run (saved, opened, imported, refused) go when another run is loaded. */
  clearMessages(): void {
    this.notice = null;
    this.storageError = null;
  }

  async #show(b: RunBundle, how = 'Showing'): Promise<void> {
    this.#draft.custom();
    this.#draft.leaveLink();
    if (!(await this.#run.load(b.config))) return;
    let notice = `${how} “${b.name}”: ${b.done} of ${b.total} steps.`;
    // A run saved by an older version may hold a state this one cannot draw: its metrics are still shown.
    let snapshot = null;
    try {
      snapshot = finalSnapshot(b);
    } catch (e) {
      notice += ` Its final state is not shown: ${errorText(e)}.`;
    }
    this.notice = notice;
    this.#run.show({
      name: b.name,
      backend: b.backend,
      done: b.done,
      total: b.total,
      rows: b.rows,
      snapshot,
      weights: b.weights ?? null,
    });
  }
}
