// The page's state, one manager per concern (engine, draft, run, saved runs), and the actions that span several.
import { lessonForPreset } from '../lab/lessons';
import { detectPhenomena, explainedElsewhere } from '../lab/phenomena';
import { DraftManager } from './draft-manager.svelte';
import { EngineManager } from './engine-manager.svelte';
import { formatFigure, LessonManager } from './lesson-manager.svelte';
import { RunManager } from './run-manager.svelte';
import { SavedRunsManager } from './saved-runs-manager.svelte';
import { buildCharts, type SeriesRun } from './series';

export class Lab {
  readonly engine = new EngineManager();
  readonly draft = new DraftManager();
  readonly run = new RunManager(this.engine, this.draft);
  readonly saved = new SavedRunsManager(this.run, this.draft);
  readonly lessons = new LessonManager(this.run, this.draft);

  /** This run's charts, with the compared saved runs overlaid. */
  readonly charts = $derived.by(() => {
    const { config, rows } = this.run;
    const runs: SeriesRun[] = [];
    if (config && rows.length) runs.push({ label: 'this run', rows, stages: config.stages });
    for (const c of this.saved.compared)
      runs.push({ label: c.bundle.name, rows: c.bundle.rows, stages: c.bundle.config.stages });
    return buildCharts(runs);
  });

  /**
   * The known phenomena this run's own rows show, but those its preset is the lesson of: each names the chart that
   * holds its metric and the preset that explains it.
   */
  readonly phenomena = $derived.by(() => {
    const { config, rows } = this.run;
    if (!config || !rows.length) return [];
    return explainedElsewhere(detectPhenomena(rows, config.stages, formatFigure), this.draft.presetName);
  });

  readonly #onHashChange = () => void this.openLink(location.hash);

  /** Start the worker, open the share link in the URL (if any) or the first preset, and list saved runs. */
  async boot(): Promise<void> {
    this.engine.restoreForceCpu();
    const fromLink = this.draft.readStartLink();
    void this.saved.refresh();
    void this.lessons.progress.restore();
    addEventListener('hashchange', this.#onHashChange);
    if (fromLink) this.draft.custom(fromLink);
    // Actions that arrive meanwhile (a link pasted, a saved run opened) wait until the first run is loaded.
    await this.run.boot(fromLink ?? this.draft.draft, fromLink !== null);
    if (this.engine.info && !this.engine.crash) void this.engine.runSelfTest();
  }

  /** A share link pasted into this tab (the fragment changed): open it and rerun it, or say what is wrong. */
  async openLink(hash: string): Promise<void> {
    if (!this.draft.isNewLink(hash)) return;
    const cfg = this.draft.readLink(hash);
    if (!cfg) return;
    await this.run.pause();
    this.draft.custom();
    if (await this.run.load(cfg)) await this.run.train();
  }

  async choosePreset(name: string): Promise<void> {
    const cfg = this.draft.choosePreset(name);
    if (cfg) await this.run.load(cfg);
  }

  /**
   * Open what explains a phenomenon of this run, named by its preset: the run pauses, and the lesson on it opens, or
   * that preset loads where no lesson explains it.
   */
  async openLesson(preset: string): Promise<void> {
    await this.run.pause();
    const lesson = lessonForPreset(preset);
    if (lesson) await this.lessons.open(lesson.id);
    else await this.choosePreset(preset);
  }

  async applyDraft(): Promise<void> {
    await this.run.load(this.draft.draft);
  }

  /** Put the loaded config in the URL fragment and return the link. */
  share(): string | null {
    return this.run.config ? this.draft.share(this.run.config) : null;
  }

  async setForceCpu(on: boolean): Promise<void> {
    this.engine.chooseForceCpu(on);
    await this.run.restart();
    if (this.engine.info) void this.engine.runSelfTest();
  }

  dispose(): void {
    removeEventListener('hashchange', this.#onHashChange);
    this.engine.stop();
  }
}
