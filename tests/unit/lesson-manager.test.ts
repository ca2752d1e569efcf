// The lesson's sequence of runs, on the real lab and the CPU backend behind stand-ins for the page's run and draft:
// Run waits for a prediction, each run is loaded and trained to its end in turn, the explanation comes from their
// rows, progress is recorded, a pause is resumed, and leaving stops the sequence.

import { describe, expect, it } from 'vitest';
import { parseConfig, type ExperimentConfig, type ExperimentInput } from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import { findLesson } from '../../src/lab/lessons';
import type { MetricRow } from '../../src/lab/metrics';
import { findPreset } from '../../src/lab/presets';
import type { TrainerStatus } from '../../src/worker/protocol';
import type { DraftManager } from '../../src/app/draft-manager.svelte';
import { LessonManager } from '../../src/app/lesson-manager.svelte';
import { LessonProgress, type LessonRecord } from '../../src/app/lesson-progress.svelte';
import type { RunManager } from '../../src/app/run-manager.svelte';
import { cpu } from '../helpers/backends';

/** The page's run, training on the CPU backend in this thread; `pauseNext` pauses the next run after its first rows. */
class StandInRun {
  config: ExperimentConfig | null = null;
  rows: MetricRow[] = [];
  snapshot = null;
  busy = false;
  status: TrainerStatus = { state: 'empty', done: 0, total: 0, stage: '', message: null, problem: null };
  loaded: ExperimentConfig[] = [];
  pauseNext = false;
  #waiters: ((s: TrainerStatus) => void)[] = [];
  #exp: Experiment | null = null;

  settled = () => new Promise<TrainerStatus>((resolve) => this.#waiters.push(resolve));
  #pauseAsked = false;
  pause = async () => {
    this.#pauseAsked = true;
  };
  load = async (input: ExperimentInput | ExperimentConfig) => {
    this.config = parseConfig(input);
    this.loaded.push(this.config);
    this.rows = [];
    this.#exp = Experiment.create(cpu(), this.config);
    return true;
  };
  train = async () => {
    const exp = this.#exp!;
    const paused = this.pauseNext;
    this.pauseNext = false;
    this.#pauseAsked = false;
    void (async () => {
      while (!exp.finished) {
        this.rows = this.rows.concat(await exp.advance(50));
        if (paused || this.#pauseAsked) break;
      }
      this.#settle(exp.finished ? 'finished' : 'paused');
    })();
  };

  #settle(state: TrainerStatus['state']) {
    this.status = { ...this.status, state };
    for (const w of this.#waiters.splice(0)) w(this.status);
  }
}

/** The draft: the preset picked, and whether it was then marked custom. */
class StandInDraft {
  picked: string[] = [];
  customs = 0;
  configError = null;
  choosePreset = (name: string) => {
    this.picked.push(name);
    return parseConfig(findPreset(name)!.config);
  };
  custom = () => {
    this.customs++;
  };
}

function setUp() {
  const run = new StandInRun();
  const draft = new StandInDraft();
  const saved = new Map<string, LessonRecord>();
  const progress = new LessonProgress({ load: async () => [...saved], save: async (id, r) => void saved.set(id, r) });
  const lessons = new LessonManager(run as unknown as RunManager, draft as unknown as DraftManager, progress);
  return { run, draft, lessons, saved };
}

describe('a lesson', () => {
  it('runs its presets in turn once a prediction is chosen, and explains them', async () => {
    const { run, draft, lessons, saved } = setUp();
    await lessons.open('beta-leash');
    await lessons.start();
    expect(lessons.phase).toBe('predict');
    lessons.choose('not a choice');
    expect(lessons.prediction).toBeNull();
    lessons.choose('same');
    await lessons.start();
    expect(draft.picked).toEqual(['dpo-bandit', 'dpo-large-beta']);
    expect(run.loaded.map((c) => (c.stages[0] as { beta: number }).beta)).toEqual([0.5, 20]);
    expect(lessons.phase).toBe('done');
    expect(lessons.results.map((r) => r.length)).toEqual([400, 400]);
    expect(lessons.explanation?.outcome).toBe('small-more-reward');
    expect(lessons.explanation?.correct).toBe(false);
    expect(saved.get('beta-leash')).toMatchObject({ prediction: 'same', correct: false });
    // Both runs on the lesson's charts, labelled, in the lesson's order.
    expect(lessons.charts.map((c) => c.chart)).toEqual(findLesson('beta-leash')!.charts);
    expect(lessons.charts[0].series.map((s) => s.owner)).toContain('policy · β = 20');
  });

  it('trains a shortened preset as a modified one', async () => {
    const { run, draft, lessons } = setUp();
    await lessons.open('verbosity');
    lessons.choose('longer');
    const started = lessons.start();
    await expect.poll(() => run.loaded.length).toBe(1);
    expect(run.loaded[0].stages.map((s) => s.steps)).toEqual([150, 150]);
    expect(draft.customs).toBe(1);
    await lessons.close();
    await started;
    expect(lessons.current).toBeNull();
    expect(lessons.phase).toBe('predict');
    expect(lessons.results).toEqual([]);
  });

  it('waits at a paused run, and goes on from it when resumed', async () => {
    const { run, lessons } = setUp();
    await lessons.open('dpo-implicit-reward');
    lessons.choose('closer');
    run.pauseNext = true;
    await lessons.start();
    expect(lessons.phase).toBe('paused');
    expect(run.rows.length).toBe(50);
    await lessons.resume();
    expect(lessons.phase).toBe('done');
    expect(run.loaded).toHaveLength(1);
    expect(lessons.results[0]).toHaveLength(400);
    expect(lessons.explanation?.correct).toBe(true);
  });
});
