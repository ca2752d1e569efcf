// The open lesson: the prediction chosen, its runs trained one after another on the page's run (the same worker and
// charts as the playground), their rows kept, and the explanation read from them once the last one finished.
import type { Stage } from '../lab/config';
import { explain, findLesson, LESSONS, lessonRunConfig, type Lesson } from '../lab/lessons';
import type { MetricRow } from '../lab/metrics';
import { formatValue, isoNow } from './format';
import { LessonProgress } from './lesson-progress.svelte';
import { buildCharts, type SeriesRun } from './series';
import type { DraftManager } from './draft-manager.svelte';
import type { RunManager } from './run-manager.svelte';

/** predict: choosing; running: its runs train; paused: the reader paused one; failed: one stopped; done: explained. */
export type LessonPhase = 'predict' | 'running' | 'paused' | 'failed' | 'done';

/** How the explanation writes a number: three significant digits, as the phenomenon notes do. */
export const formatFigure = (v: number): string => formatValue(Number(v.toPrecision(3)));

export class LessonManager {
  current = $state.raw<Lesson | null>(null);
  prediction = $state<string | null>(null);
  phase = $state<LessonPhase>('predict');
  /** The run training now (or the last one trained), by index in the lesson's runs. */
  runIndex = $state(0);
  /** The rows of the runs that finished, in order. */
  results = $state.raw<MetricRow[][]>([]);
  /** Why a run stopped short. */
  error = $state<string | null>(null);
  readonly progress: LessonProgress;

  /** The finished runs' stages, beside their rows. */
  #stages: Stage[][] = [];
  /** Bumped when the lesson is left or started over: a sequence of runs still going stops at its next step. */
  #generation = 0;
  readonly #run: RunManager;
  readonly #draft: DraftManager;

  readonly lessons = LESSONS;

  readonly explanation = $derived.by(() => {
    const lesson = this.current;
    if (!lesson || this.phase !== 'done' || !this.prediction) return null;
    return explain(lesson, this.results, this.prediction, formatFigure);
  });

  /** The lesson's charts, in its order: the finished runs and the one training, each labelled by its run. */
  readonly charts = $derived.by(() => {
    const lesson = this.current;
    if (!lesson) return [];
    const runs: SeriesRun[] = this.results.map((rows, i) => ({
      label: lesson.runs[i].label,
      rows,
      stages: this.#stages[i] ?? [],
    }));
    const live = this.phase === 'running' || this.phase === 'paused' || this.phase === 'failed';
    if (live && this.results.length === this.runIndex && this.#run.config && this.#run.rows.length)
      runs.push({ label: lesson.runs[this.runIndex].label, rows: this.#run.rows, stages: this.#run.config.stages });
    const all = buildCharts(runs);
    return lesson.charts.flatMap((name) => all.filter((c) => c.chart === name));
  });

  constructor(run: RunManager, draft: DraftManager, progress = new LessonProgress()) {
    this.#run = run;
    this.#draft = draft;
    this.progress = progress;
  }

  /** Open a lesson at its question (an unknown id leaves the page as it is). */
  async open(id: string): Promise<void> {
    const lesson = findLesson(id);
    if (!lesson) return;
    await this.#stop();
    this.current = lesson;
  }

  /** Back to the lesson list; a run in progress pauses. */
  async close(): Promise<void> {
    await this.#stop();
    this.current = null;
  }

  /** Back to the question, the runs forgotten. */
  async restart(): Promise<void> {
    await this.#stop();
  }

  choose(id: string): void {
    if (this.phase === 'predict' && this.current?.choices.some((c) => c.id === id)) this.prediction = id;
  }

  /** Commit to the prediction and train the lesson's runs, one after another; then explain. */
  async start(): Promise<void> {
    const lesson = this.current;
    const prediction = this.prediction;
    if (!lesson || !prediction || this.phase !== 'predict') return;
    this.phase = 'running';
    void this.progress.record(lesson.id, { prediction, correct: null, at: isoNow() });
    await this.#trainFrom(lesson, 0, this.#generation, true);
  }

  /** Go on with a run the reader paused (with Space, say), and the runs after it. */
  async resume(): Promise<void> {
    const lesson = this.current;
    if (!lesson || this.phase !== 'paused') return;
    this.phase = 'running';
    await this.#trainFrom(lesson, this.results.length, this.#generation, false);
  }

  /** Train runs `index`... to their ends (the first loaded afresh, or the loaded one continued); then explain. */
  async #trainFrom(lesson: Lesson, index: number, generation: number, fresh: boolean): Promise<void> {
    for (let i = index; i < lesson.runs.length; i++) {
      this.runIndex = i;
      if (fresh || i > index) {
        await this.#run.pause();
        if (generation !== this.#generation) return;
        const spec = lesson.runs[i];
        this.#draft.choosePreset(spec.preset);
        // Shortened for the lesson: the playground then shows it as that preset, modified.
        if (spec.steps) this.#draft.custom();
        if (!(await this.#run.load(lessonRunConfig(spec)))) {
          if (generation === this.#generation) this.#fail(this.#draft.configError ?? 'it did not load');
          return;
        }
      }
      if (!(await this.#train(generation))) return;
      this.#stages = [...this.#stages, this.#run.config!.stages];
      this.results = [...this.results, this.#run.rows];
    }
    this.phase = 'done';
    const correct = this.explanation?.correct ?? null;
    void this.progress.record(lesson.id, { prediction: this.prediction!, correct, at: isoNow() });
  }

  /** Train the loaded run to its end: true once finished; false when it stopped short or the lesson was left. */
  async #train(generation: number): Promise<boolean> {
    // Left or started over while the run loaded: it stays loaded, untrained.
    if (generation !== this.#generation) return false;
    const settled = this.#run.settled();
    await this.#run.train();
    const status = await settled;
    if (generation !== this.#generation) return false;
    if (status.state === 'finished') return true;
    if (status.state === 'paused' && !status.problem) this.phase = 'paused';
    else this.#fail(status.message ?? 'the run stopped');
    return false;
  }

  #fail(why: string): void {
    this.error = why;
    this.phase = 'failed';
  }

  async #stop(): Promise<void> {
    this.#generation++;
    if (this.phase === 'running') await this.#run.pause();
    this.phase = 'predict';
    this.prediction = null;
    this.results = [];
    this.#stages = [];
    this.runIndex = 0;
    this.error = null;
  }
}
