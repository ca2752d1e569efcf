// The experiment being edited: the preset it came from, the draft config and what is wrong with it, the address bar
// that holds it, share links and the results an opened link expects.
import { ConfigError, parseConfig, type ExperimentConfig } from '../lab/config';
import { decodeResults, encodeLink, ResultsError, type Fingerprint } from '../lab/fingerprint';
import { PRESETS } from '../lab/presets';
import { decodeConfig, encodeConfig, ShareLinkError, splitLink } from '../lab/share';
import { arrival, clearAddress, writeAddress } from './address';
import { errorText } from './format';
import { describeConfig } from '../lab/run-name';

/** The experiment a URL opens, and whether to train it at once (a shared link does; the page's own address not). */
export interface Opened {
  config: ExperimentConfig;
  train: boolean;
}

export class DraftManager {
  /** The preset the draft came from; '' for a config from a link, a saved run or an import. */
  presetName = $state<string>(PRESETS[0].name);
  /** The config as edited in the form (may be invalid). */
  draft = $state.raw<ExperimentConfig>(parseConfig(PRESETS[0].config));
  configError = $state<string | null>(null);
  /** The problem of each field of the draft that has one, by its dotted path: the form marks those fields. */
  fieldErrors = $state.raw<Readonly<Record<string, string>>>({});
  /** A share link that could not be opened (ShareLinkError's text). */
  linkError = $state<string | null>(null);
  /** The link the Share button made, and how many logged steps of results it carries. */
  shareUrl = $state<string | null>(null);
  sharedSteps = $state(0);
  /** The results the opened link expects its run to reproduce, until another experiment is loaded. */
  expected = $state.raw<Fingerprint | null>(null);
  /** Why the opened link's expected results cannot be checked (its config opened all the same). */
  resultsError = $state<string | null>(null);
  /** Why the last share link could not be made (an experiment too large for a link). */
  shareError = $state<string | null>(null);
  /** What the share link the page opened is ("dpo-bandit with beta 2"), until dismissed or another preset is picked. */
  linkNote = $state<string | null>(null);
  /** For a draft not from a preset: the preset the loaded config is that preset plus changes of, if any. */
  nearestName = $state<string | null>(null);

  /** The shared link the loaded experiment came from, recorded with the address so a reload reopens it. */
  #link: string | null = null;

  readonly preset = $derived(PRESETS.find((p) => p.name === this.presetName) ?? null);
  readonly nearest = $derived(PRESETS.find((p) => p.name === this.nearestName) ?? null);

  /** Check the edited config on the UI thread first (same schema), so typing gives feedback without the worker. */
  setDraft(next: ExperimentConfig): void {
    this.draft = next;
    try {
      parseConfig(next);
      this.configError = null;
      this.fieldErrors = {};
    } catch (e) {
      this.configError = e instanceof ConfigError ? e.problems.join('; ') : errorText(e);
      this.fieldErrors = e instanceof ConfigError ? Object.fromEntries(e.fields) : {};
    }
  }

  /** The worker built a run from `config` (normalised by the schema): the form shows it. */
  loaded(config: ExperimentConfig): void {
    this.configError = null;
    this.fieldErrors = {};
    this.draft = config;
    if (this.presetName === '') {
      // A config from elsewhere that is a preset unchanged is that preset; one with a few changes is named after it.
      const origin = describeConfig(config, PRESETS);
      if (origin.preset && origin.changes.length === 0) this.presetName = origin.preset.name;
      this.nearestName = origin.preset?.name ?? null;
    }
    try {
      writeAddress(encodeConfig(config), this.#link, this.presetName);
    } catch (e) {
      // An experiment too large for a link (a long text of one's own) leaves the address bare; Share says why.
      if (!(e instanceof ShareLinkError)) throw e;
      clearAddress();
    }
  }

  /** The worker refused a config: say why. */
  refused(why: string): void {
    this.configError = why;
  }

  /** The draft no longer comes from a preset. */
  custom(config?: ExperimentConfig): void {
    this.presetName = '';
    this.nearestName = null;
    if (config) this.draft = config;
  }

  /** Pick a preset: its config (to load), leaving any opened link behind; null for an unknown name. */
  choosePreset(name: string): ExperimentConfig | null {
    const p = PRESETS.find((x) => x.name === name);
    if (!p) return null;
    this.presetName = name;
    this.shareUrl = null;
    this.shareError = null;
    this.linkError = null;
    this.leaveLink();
    return parseConfig(p.config);
  }

  /** The reader has read the link's note. */
  dismissLinkNote(): void {
    this.linkNote = null;
  }

  /** Another experiment replaces the opened link's: its note, its expected results and its Share link go. */
  leaveLink(): void {
    this.#link = null;
    this.linkNote = null;
    this.expected = null;
    this.resultsError = null;
    this.shareUrl = null;
  }

  /**
   * The experiment the URL fragment holds, as the page opens or the fragment changes. An address this page wrote
   * (a reload, Back, Forward) restores its experiment as it was, ready to train; if that experiment came from a
   * shared link, the link is opened again. A link from elsewhere opens with its note and trains. A link that
   * cannot be read is said (linkError) and null returned.
   */
  open(hash: string): Opened | null {
    const at = arrival(hash);
    if (at.kind === 'none') return null;
    if (at.kind === 'own' && at.link === null) {
      try {
        const config = decodeConfig(hash);
        this.leaveLink();
        this.linkError = null;
        this.presetName = PRESETS.some((p) => p.name === at.preset) ? at.preset : '';
        this.nearestName = null;
        this.draft = config;
        return { config, train: false };
      } catch {
        // The entry's state says this page wrote the address, yet it does not decode: read it as any link.
      }
    }
    const link = at.kind === 'own' && at.link !== null ? at.link : hash;
    const config = this.#readLink(link);
    if (!config) return null;
    this.custom(config);
    return { config, train: true };
  }

  /** The config of a share link's fragment (its expected results kept), or null with the reason in linkError. */
  #readLink(hash: string): ExperimentConfig | null {
    let config: ExperimentConfig;
    try {
      config = decodeConfig(hash);
    } catch (e) {
      this.linkError = e instanceof ShareLinkError ? e.message : `the link could not be read: ${errorText(e)}`;
      this.linkNote = null;
      return null;
    }
    this.leaveLink();
    this.linkError = null;
    this.#link = hash;
    this.linkNote = describeConfig(config, PRESETS).text;
    const results = splitLink(hash).results;
    if (results !== null) {
      try {
        this.expected = decodeResults(results);
      } catch (e) {
        this.resultsError = e instanceof ResultsError ? e.message : errorText(e);
      }
    }
    return config;
  }

  /** Take a link that could not be read out of the address bar (the default experiment's address follows). */
  dropBadLink(): void {
    if (this.linkError) clearAddress();
  }

  /**
   * The full link of the loaded config, carrying `results` when the run has logged some; it is also copied. Null, with
   * the reason in shareError, for an experiment too large for a link.
   */
  share(config: ExperimentConfig, results: Fingerprint | null): string | null {
    let config64: string;
    try {
      config64 = encodeConfig(config);
    } catch (e) {
      if (!(e instanceof ShareLinkError)) throw e;
      this.shareError = e.message;
      this.shareUrl = null;
      return null;
    }
    this.shareError = null;
    const fragment = encodeLink(config64, results);
    this.shareUrl = location.origin + location.pathname + location.search + fragment;
    this.sharedSteps = results?.points.length ?? 0;
    return this.shareUrl;
  }
}
