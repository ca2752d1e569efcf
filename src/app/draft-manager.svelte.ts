// The experiment being edited: the preset it came from, the draft config and what is wrong with it, and share links.
import { ConfigError, parseConfig, type ExperimentConfig } from '../lab/config';
import { PRESETS } from '../lab/presets';
import { decodeConfig, encodeConfig, ShareLinkError } from '../lab/share';
import { errorText } from './format';
import { describeConfig } from './run-name';

/** The page's address without a fragment: no share link in the URL. */
const dropFragment = () => history.replaceState(null, '', location.pathname + location.search);

export class DraftManager {
  /** The preset the draft came from; '' for a config from a link, a saved run or an import. */
  presetName = $state<string>(PRESETS[0].name);
  /** The config as edited in the form (may be invalid). */
  draft = $state.raw<ExperimentConfig>(parseConfig(PRESETS[0].config));
  configError = $state<string | null>(null);
  /** A share link that could not be opened (ShareLinkError's text). */
  linkError = $state<string | null>(null);
  shareUrl = $state<string | null>(null);
  /** Why the last share link could not be made (an experiment too large for a link). */
  shareError = $state<string | null>(null);
  /** What the share link the page opened is ("dpo-bandit with beta 2"), until dismissed or another preset is picked. */
  linkNote = $state<string | null>(null);
  /** For a draft not from a preset: the preset the loaded config is that preset plus changes of, if any. */
  nearestName = $state<string | null>(null);

  readonly preset = $derived(PRESETS.find((p) => p.name === this.presetName) ?? null);
  readonly nearest = $derived(PRESETS.find((p) => p.name === this.nearestName) ?? null);

  /** Check the edited config on the UI thread first (same schema), so typing gives feedback without the worker. */
  setDraft(next: ExperimentConfig): void {
    this.draft = next;
    try {
      parseConfig(next);
      this.configError = null;
    } catch (e) {
      this.configError = e instanceof ConfigError ? e.problems.join('; ') : errorText(e);
    }
  }

  /** The worker built a run from `config` (normalised by the schema): the form shows it. */
  loaded(config: ExperimentConfig): void {
    this.configError = null;
    this.draft = config;
    if (this.presetName !== '') return;
    // A config from elsewhere that is a preset unchanged is that preset; one with a few changes is named after it.
    const origin = describeConfig(config, PRESETS);
    if (origin.preset && origin.changes.length === 0) this.presetName = origin.preset.name;
    this.nearestName = origin.preset?.name ?? null;
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

  /** Pick a preset: its config (to load) and no share link left in the URL; null for an unknown name. */
  choosePreset(name: string): ExperimentConfig | null {
    const p = PRESETS.find((x) => x.name === name);
    if (!p) return null;
    this.presetName = name;
    this.shareUrl = null;
    this.shareError = null;
    this.linkError = null;
    this.linkNote = null;
    dropFragment();
    return parseConfig(p.config);
  }

  /** The reader has read the link's note. */
  dismissLinkNote(): void {
    this.linkNote = null;
  }

  /** Whether a URL fragment is a link to open: not empty, and not the link this tab has just made. */
  isNewLink(hash: string): boolean {
    return hash !== '' && hash !== '#' && this.shareUrl !== location.href;
  }

  /** The config of a share link's fragment, or null with the reason in linkError. */
  readLink(hash: string): ExperimentConfig | null {
    try {
      const cfg = decodeConfig(hash);
      this.linkError = null;
      this.linkNote = describeConfig(cfg, PRESETS).text;
      return cfg;
    } catch (e) {
      this.linkError = e instanceof ShareLinkError ? e.message : `the link could not be read: ${errorText(e)}`;
      this.linkNote = null;
      return null;
    }
  }

  /** The link the page opened with, if any; a link that cannot be read is said and taken out of the URL. */
  readStartLink(): ExperimentConfig | null {
    if (!this.isNewLink(location.hash)) return null;
    const cfg = this.readLink(location.hash);
    if (!cfg) dropFragment();
    return cfg;
  }

  /** Put `config` in the URL fragment and return the link, or null with the reason in shareError. */
  share(config: ExperimentConfig): string | null {
    let fragment: string;
    try {
      fragment = encodeConfig(config);
    } catch (e) {
      if (!(e instanceof ShareLinkError)) throw e;
      this.shareError = e.message;
      this.shareUrl = null;
      return null;
    }
    this.shareError = null;
    history.replaceState(null, '', location.pathname + location.search + fragment);
    this.shareUrl = location.href;
    return this.shareUrl;
  }
}
