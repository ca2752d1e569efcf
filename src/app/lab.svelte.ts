// The page's state, one manager per concern (engine, draft, run, saved runs, your labels), and the actions that span several.
import { detectPhenomena, explainedElsewhere } from '../lab/phenomena';
import { DraftManager } from './draft-manager.svelte';
import { EngineManager } from './engine-manager.svelte';
import { formatValue } from './format';
import { LabelsManager } from './labels-manager.svelte';
import { RunManager } from './run-manager.svelte';
import { SavedRunsManager } from './saved-runs-manager.svelte';
import { buildCharts, chartRows, type SeriesRun } from './series';

export class Lab {
  readonly engine = new EngineManager();
  readonly draft = new DraftManager();
  readonly run = new RunManager(this.engine, this.draft);
  readonly saved = new SavedRunsManager(this.run, this.draft);
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
    const fmt = (v: number) => formatValue(Number(v.toPrecision(3)));
    return explainedElsewhere(detectPhenomena(rows, config.stages, fmt), this.draft.presetName);
  });

  readonly #onHashChange = () => void this.openLink(location.hash);

  /** Start the worker, open the share link in the URL (if any) or the first preset, and list saved runs. */
  async boot(): Promise<void> {
    this.engine.restoreForceCpu();
    const fromLink = this.draft.readStartLink();
    void this.saved.refresh();
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

  /** Open the preset whose lesson explains a phenomenon of this run: the run pauses, and that preset loads. */
  async openLesson(name: string): Promise<void> {
    await this.run.pause();
    await this.choosePreset(name);
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
