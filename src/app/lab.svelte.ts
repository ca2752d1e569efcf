// The page's state, one manager per concern (engine, draft, run, saved runs, lessons, your labels), and the actions
// that span several.
import { checkResults, deviceOf, pickFingerprint } from '../lab/fingerprint';
import { lessonForPreset } from '../lab/lessons';
import { detectPhenomena, explainedElsewhere } from '../lab/phenomena';
import { DraftManager } from './draft-manager.svelte';
import { EngineManager } from './engine-manager.svelte';
import { LabelsManager } from './labels-manager.svelte';
import { formatFigure, LessonManager } from './lesson-manager.svelte';
import { RunManager } from './run-manager.svelte';
import { SavedRunsManager } from './saved-runs-manager.svelte';
import { buildCharts, chartRows, type SeriesRun } from './series';

export class Lab {
  readonly engine = new EngineManager();
  readonly draft = new DraftManager();
  readonly run = new RunManager(this.engine, this.draft);
  readonly saved = new SavedRunsManager(this.run, this.draft);
  readonly lessons = new LessonManager(this.run, this.draft);
  readonly labels = new LabelsManager(this.run, this.draft);

  /** The rows of this run that its charts and phenomena are built from: a bounded share of a long run's. */
  readonly #shownRows = $derived(this.run.config ? chartRows(this.run.rows, this.run.config.metrics.every) : []);

  /** This run's charts, with the compared saved runs overlaid. */
  readonly charts = $derived.by(() => {
    const { config } = this.run;
    const rows = this.#shownRows;
    const runs: SeriesRun[] = [];
    if (config && rows.length) runs.push({ label: 'this run', rows, stages: config.stages });
    for (const { bundle: b } of this.saved.compared)
      runs.push({ label: b.name, rows: chartRows(b.rows, b.config.metrics.every), stages: b.config.stages });
    return buildCharts(runs);
  });

  /**
   * The known phenomena this run's own rows show, but those its preset is the lesson of: each names the chart that
   * holds its metric and the preset that explains it.
   */
  readonly phenomena = $derived.by(() => {
    const { config } = this.run;
    const rows = this.#shownRows;
    if (!config || !rows.length) return [];
    return explainedElsewhere(detectPhenomena(rows, config.stages, formatFigure), this.draft.presetName);
  });

  /**
   * The opened link's expected results against this run's rows, on this device; null without expected results,
   * a started engine, or rows this worker computed (a saved run shown is another run's).
   */
  readonly check = $derived.by(() => {
    const { expected } = this.draft;
    const info = this.engine.info;
    if (!expected || !info || this.run.shown) return null;
    return checkResults(expected, this.run.rows, deviceOf(info), this.run.status.state === 'finished');
  });

  readonly #onHashChange = () => void this.openLink(location.hash);

  /**
   * Start the worker, open the experiment in the URL (a shared link, or this page's own address on a reload) or
   * the first preset, and list saved runs.
   */
  async boot(): Promise<void> {
    this.engine.restoreForceCpu();
    const opened = this.draft.open(location.hash);
    if (!opened) this.draft.dropBadLink();
    void this.saved.refresh();
    void this.lessons.progress.restore();
    addEventListener('hashchange', this.#onHashChange);
    // Actions that arrive meanwhile (a link pasted, a saved run opened) wait until the first run is loaded.
    await this.run.boot(opened?.config ?? this.draft.draft, opened?.train ?? false);
    if (this.engine.info && !this.engine.crash) void this.engine.runSelfTest();
  }

  /**
   * The fragment changed: a link pasted into this tab opens and reruns, an address of this page (Back, Forward)
   * restores its experiment; a link that cannot be read is said and stays in the address bar to be corrected.
   */
  async openLink(hash: string): Promise<void> {
    // The first load writes the page's own address over the current entry: judge the new fragment after it.
    await this.run.started();
    const opened = this.draft.open(hash);
    if (!opened) return;
    await this.run.pause();
    this.saved.clearMessages();
    if ((await this.run.load(opened.config)) && opened.train) await this.run.train();
  }

  async choosePreset(name: string): Promise<void> {
    const cfg = this.draft.choosePreset(name);
    if (!cfg) return;
    this.saved.clearMessages();
    await this.run.load(cfg);
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

  /** Load the edited config: an experiment of its own, no longer the opened link's. */
  async applyDraft(): Promise<void> {
    this.draft.leaveLink();
    this.saved.clearMessages();
    await this.run.load(this.draft.draft);
  }

  /**
   * The full link of the loaded run: its config and, once this worker has logged metrics, the results it expects
   * (a few metrics at a few logged steps, on this device).
   */
  share(): string | null {
    const { config, rows, shown } = this.run;
    if (!config) return null;
    const info = this.engine.info;
    const results = info && !shown ? pickFingerprint(rows, deviceOf(info)) : null;
    return this.draft.share(config, results);
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
