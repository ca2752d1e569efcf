// The user's own labels on a bandit: the pair to judge, the labels given (each saved as it is given), how they
// agree with the hidden reward and how the policy ranks them, export and import as JSONL, and the runs trained on them.
import { MAX_USER_LABELS, type BanditWorld, type ExperimentConfig } from '../lab/config';
import { labelsToJsonl, parseLabelsJsonl } from '../lab/labels/jsonl';
import {
  agreement,
  assumedFlipRate,
  missingTriples,
  tableAgreement,
  trainingTriples,
  type Label,
  type LabelSource,
} from '../lab/labels/label-set';
import { compareStrategies, MAX_COMPARE_CELLS, type Comparison } from '../lab/labels/active-sim';
import { implicitReward, judgeTables, PairDrawer, type Hint, type PairToJudge } from '../lab/labels/pair-draw';
import { errorText } from './format';
import { deleteLabel, deleteLabels, labelWorldKey, listLabels, saveLabel } from './label-store';
import { StorageFullError } from './store';
import type { DraftManager } from './draft-manager.svelte';
import type { RunManager } from './run-manager.svelte';

export type Verdict = 'left' | 'right' | 'tie' | 'skip';

/** The comparison of random and active pair choice: labels per simulated labeller, and labellers averaged. */
export const COMPARE_LABELS = 100;
export const COMPARE_REPEATS = 8;

/** A bandit run's config with its world narrowed. */
type BanditConfig = ExperimentConfig & { world: BanditWorld };
const banditOf = (cfg: ExperimentConfig | null): BanditConfig | null =>
  cfg?.world.kind === 'bandit' ? (cfg as BanditConfig) : null;

export class LabelsManager {
  /** The labels of the current bandit, in the order given. */
  labels = $state.raw<Label[]>([]);
  /** Each label's storage key, or null while it is kept in this page only (storage full or unavailable). */
  #keys: (string | null)[] = [];
  unsaved = $state(0);
  /** Why labels are not being saved, or null. */
  storageError = $state<string | null>(null);
  /** What the last import read, and each bad line it skipped. */
  importNote = $state<string | null>(null);
  importErrors = $state.raw<string[]>([]);
  /** Why a run could not be made from the labels. */
  message = $state<string | null>(null);
  source = $state<Exclude<LabelSource, 'import'>>('reference');
  hint = $state<Hint>('noisy');
  /** The share of the training pairs that are the user's labels, for the next run trained on them. */
  share = $state(1);
  pair = $state.raw<PairToJudge | null>(null);
  /** Random against active pair choice on this bandit, once asked for. */
  comparison = $state.raw<Comparison | null>(null);

  readonly #run: RunManager;
  readonly #draft: DraftManager;
  readonly #drawer = new PairDrawer(Date.now() % 2 ** 31);
  /** The world whose labels are loaded (its labelWorldKey). */
  #world: string | null = null;
  #lastTime = 0;
  /** The writes in flight, one after another: two at once could save one label twice. */
  #saving: Promise<void> = Promise.resolve();
  #tables: { key: string; tables: ReturnType<typeof judgeTables> } | null = null;
  /** The labels of the bandits opened before in this page (with their keys), by labelWorldKey. */
  readonly #memory: Record<string, { labels: Label[]; keys: (string | null)[] } | undefined> = {};

  readonly config = $derived.by(() => banditOf(this.#run.config));
  /** The key of the bandit the loaded run is on; null for other worlds. */
  readonly worldKey = $derived(this.config ? labelWorldKey(this.config.seed, this.config.world) : null);
  /** The loaded bandit's hidden reward and reference, computed once per bandit. */
  readonly tables = $derived.by(() => {
    const cfg = this.config;
    const key = this.worldKey;
    if (!cfg || !key) return null;
    if (this.#tables?.key !== key) this.#tables = { key, tables: judgeTables(cfg.world, cfg.seed) };
    return this.#tables.tables;
  });
  readonly triples = $derived(trainingTriples(this.labels));
  readonly ties = $derived(this.labels.length - this.triples.length);
  readonly agreement = $derived(this.tables ? agreement(this.triples, this.tables.reward, this.tables.K) : null);
  readonly assumedFlipRate = $derived(this.agreement ? assumedFlipRate(this.agreement) : null);
  /** The policy the next pair is drawn from: the run's latest snapshot, or the reference before it trains. */
  readonly #policy = $derived.by(() => {
    const s = this.#run.snapshot;
    const t = this.tables;
    return s?.kind === 'bandit' && t && s.P === t.P && s.K === t.K ? s.policy : null;
  });
  /** Share of the labels the reference and the current policy rank the user's way (chosen above rejected). */
  readonly ranked = $derived.by(() => {
    const t = this.tables;
    if (!t) return null;
    const policy = this.#policy;
    return {
      reference: tableAgreement(this.triples, t.reference, t.K),
      policy: policy ? tableAgreement(this.triples, policy, t.K) : null,
    };
  });
  /** The comparison refits and scores every pair after every label: small bandits only. */
  readonly canCompare = $derived(this.tables !== null && this.tables.P * this.tables.K <= MAX_COMPARE_CELLS);
  /** The labels given by hand the loaded run trains on (its config carries them), or null. */
  readonly runLabels = $derived.by(() => {
    const l = this.config?.world.labels;
    return l && l.length > 0 ? l : null;
  });
  /** The run's labels this browser does not have (from a shared link or an imported bundle). */
  readonly runLabelsMissing = $derived(this.runLabels ? missingTriples(this.triples, this.runLabels) : []);

  constructor(run: RunManager, draft: DraftManager) {
    this.#run = run;
    this.#draft = draft;
  }

  /**
   * Load the labels of the bandit `key` (the loaded run's) and ask the first pair. A bandit opened before in this
   * page comes back from memory, with any labels the storage refused still there.
   */
  async open(key: string | null): Promise<void> {
    if (key === this.#world) return;
    if (this.#world !== null) this.#memory[this.#world] = { labels: this.labels, keys: this.#keys };
    this.#world = key;
    const kept = key === null ? undefined : this.#memory[key];
    this.labels = kept?.labels ?? [];
    this.#keys = kept?.keys ?? [];
    this.importNote = null;
    this.importErrors = [];
    this.message = null;
    this.pair = null;
    this.comparison = null;
    this.#count();
    if (key === null) return;
    if (kept) {
      this.next();
      return;
    }
    try {
      const stored = await listLabels(key);
      if (this.#world !== key) return;
      this.labels = stored.map((s) => s.label);
      this.#keys = stored.map((s) => s.key);
      this.#lastTime = this.labels.reduce((t, l) => Math.max(t, l.time), this.#lastTime);
      this.storageError = null;
    } catch (e) {
      this.storageError = `Labels cannot be saved in this browser (${errorText(e)}): they are kept in this page only; export them as JSONL before you close it.`;
    }
    this.next();
  }

  /** Ask another pair. */
  next(): void {
    const t = this.tables;
    if (!t) return;
    const policy = this.#policy;
    const probs = this.source === 'policy' ? (policy ?? t.reference) : t.reference;
    const implicit = this.source === 'active' && policy ? implicitReward(policy, t.reference) : undefined;
    this.pair = this.#drawer.draw({ ...t, probs, implicit }, this.source, this.hint);
  }

  /** Simulate labellers who follow the hidden reward, asked at random and actively, on this bandit. */
  compare(): void {
    const t = this.tables;
    if (!t || !this.canCompare) return;
    this.comparison = compareStrategies(t, { labels: COMPARE_LABELS, repeats: COMPARE_REPEATS, seed: 1 });
  }

  setSource(source: Exclude<LabelSource, 'import'>): void {
    this.source = source;
    this.next();
  }

  setHint(hint: Hint): void {
    this.hint = hint;
    this.next();
  }

  /** A label, monotonic in time so that the order given is the order stored. */
  #now(): number {
    this.#lastTime = Math.max(Date.now(), this.#lastTime + 1);
    return this.#lastTime;
  }

  /** Record the verdict on the pair shown (skip records nothing), save it, and ask the next pair. */
  async judge(verdict: Verdict): Promise<void> {
    const p = this.pair;
    if (!p) return;
    this.next();
    if (verdict === 'skip') return;
    const [chosen, rejected] = verdict === 'right' ? [p.right, p.left] : [p.left, p.right];
    await this.#add([
      { prompt: p.prompt, chosen, rejected, tie: verdict === 'tie', source: p.source, time: this.#now() },
    ]);
  }

  /** Append labels to the set and save them, one write at a time, in order. */
  async #add(labels: readonly Label[]): Promise<void> {
    this.labels = [...this.labels, ...labels];
    this.#keys.push(...labels.map(() => null));
    this.#count();
    const world = this.#world;
    if (world) await (this.#saving = this.#saving.then(() => this.#flush(world)));
  }

  #count(): void {
    this.unsaved = this.#keys.filter((k) => k === null).length;
  }

  /**
   * Save every label not saved yet, earlier ones (which the storage refused) first, since room may have been made;
   * those it refuses stay in this page, counted, with the reason.
   */
  async #flush(world: string): Promise<void> {
    // The bandit may change while a label is written: its labels then live on in memory.
    const state = () => (world === this.#world ? { labels: this.labels, keys: this.#keys } : this.#memory[world]);
    for (let i = 0; ; i++) {
      const before = state();
      if (!before || i >= before.keys.length) break;
      if (before.keys[i] !== null) continue;
      const label = before.labels[i];
      let key: string;
      try {
        key = await saveLabel(world, label);
      } catch (e) {
        this.storageError =
          e instanceof StorageFullError
            ? 'The browser has no room left to save labels (storage quota exceeded): the labels not saved are kept in this page only; export them as JSONL before you close it.'
            : `Labels cannot be saved in this browser (${errorText(e)}): they are kept in this page only; export them as JSONL before you close it.`;
        return;
      }
      const after = state();
      // Taken back while it was written: it is no label any more, and another may stand in its place.
      if (!after || after.labels[i] !== label) {
        await deleteLabel(key);
        i--;
        continue;
      }
      after.keys[i] = key;
      if (world === this.#world) this.#count();
    }
    if (world === this.#world) this.storageError = null;
  }

  /** Take back the last label. */
  async undo(): Promise<void> {
    const key = this.#keys.pop();
    if (key === undefined) return;
    this.labels = this.labels.slice(0, -1);
    this.#count();
    if (key !== null) await deleteLabel(key).catch((e: unknown) => (this.storageError = errorText(e)));
  }

  /** Forget every label of this bandit. */
  async clear(): Promise<void> {
    const keys = this.#keys.filter((k): k is string => k !== null);
    this.labels = [];
    this.#keys = [];
    this.unsaved = 0;
    this.storageError = null;
    await deleteLabels(keys).catch((e: unknown) => (this.storageError = errorText(e)));
  }

  exportJsonl(): string {
    return labelsToJsonl(this.labels);
  }

  /** Add the labels of a JSONL file; each bad line is named, every good one kept. */
  async importJsonl(text: string, file: string): Promise<void> {
    const cfg = this.config;
    if (!cfg) return;
    const read = parseLabelsJsonl(text, cfg.world, this.#now());
    this.#lastTime += read.labels.length;
    this.importErrors = read.errors;
    const skipped = read.errors.length
      ? `; ${read.errors.length} bad line${read.errors.length === 1 ? '' : 's'} skipped`
      : '';
    this.importNote = `Read ${read.labels.length} label${read.labels.length === 1 ? '' : 's'} from ${file}${skipped}.`;
    await this.#add(read.labels);
  }

  /** Take the labels a run carries (from a link or a bundle) that this bandit's labels lack into them. */
  async adoptRunLabels(): Promise<void> {
    const triples = this.runLabelsMissing;
    const time = this.#now();
    this.#lastTime += triples.length;
    await this.#add(
      triples.map(([prompt, chosen, rejected], i) => ({
        prompt,
        chosen,
        rejected,
        tie: false,
        source: 'import' as const,
        time: time + i,
      })),
    );
  }

  /** Rebuild the run with `change` applied to its config; with `train`, train it. */
  async #reload(change: (cfg: BanditConfig) => ExperimentConfig, train: boolean): Promise<void> {
    const cfg = this.config;
    if (!cfg) return;
    await this.#run.pause();
    this.#draft.custom();
    if ((await this.#run.load(change(cfg))) && train) await this.#run.train();
  }

  /** A run of this bandit whose training pairs are the labels (at the chosen share), trained from step 0. */
  async trainOnLabels(): Promise<void> {
    const triples = this.triples;
    this.message = null;
    if (triples.length === 0) return;
    if (triples.length > MAX_USER_LABELS) {
      this.message = `A run carries at most ${MAX_USER_LABELS.toLocaleString('en-US')} labels and you have ${triples.length.toLocaleString('en-US')}: export them, then clear some.`;
      return;
    }
    await this.#reload((cfg) => ({ ...cfg, world: { ...cfg.world, labels: triples, userShare: this.share } }), true);
  }

  /** Robust DPO with the flip rate the labels imply, in every preference stage; the run resets to step 0. */
  async useFlipRate(): Promise<void> {
    const e = this.assumedFlipRate;
    if (e === null) return;
    await this.#reload(
      (cfg) => ({
        ...cfg,
        stages: cfg.stages.map((s) =>
          s.kind === 'preference' ? { ...s, lossType: 'robust' as const, labelSmoothing: e } : s,
        ),
      }),
      false,
    );
  }
}
