// A run's name and file name from its config: the preset it started from and what was changed, so two variants of
// one preset are told apart in the saved-runs list, the charts' legends, the Downloads folder and an export's header.
// Settings that do not apply to the config (gamma of a sigmoid loss) are never named. Pure: unit-tested.

import { mootPaths } from './config-fields';
import { parseConfig, type ExperimentConfig, type ExperimentInput } from './config';

/** Changed settings a name lists before it says how many more there are. */
const MAX_CHANGES = 3;

type Leaf = [path: string, value: unknown];

/** Every setting of a config by path; the stages list is walked by index, other lists (points) are one value. */
function leaves(x: unknown, path: string, out: Leaf[]): Leaf[] {
  const walk = x !== null && typeof x === 'object' && (!Array.isArray(x) || path === 'stages');
  if (walk) for (const [k, v] of Object.entries(x)) leaves(v, path ? `${path}.${k}` : k, out);
  else out.push([path, x]);
  return out;
}

/** A value as a name shows it: numbers to 4 digits, lists by length, text cut short (a bundle name has 200 chars). */
const shortValue = (v: unknown): string =>
  typeof v === 'number'
    ? String(Number(v.toPrecision(4)))
    : Array.isArray(v)
      ? `[${v.length}]`
      : String(v).replace(/\s+/g, ' ').slice(0, 24);

/** A setting that differs: its name (the last path segment, after its stage's name in a run of several) and values. */
export interface Change {
  key: string;
  from: string;
  to: string;
}

/** The settings of `config` that differ from `from`, leaving out those that do not apply to `config`. */
export function changeList(config: ExperimentConfig, from: ExperimentConfig): Change[] {
  const base = new Map(leaves(from, '', []));
  const moot = mootPaths(config);
  const out: (Change & { path: string })[] = [];
  for (const [path, v] of leaves(config, '', [])) {
    if (path === 'title' || moot.has(path) || JSON.stringify(base.get(path)) === JSON.stringify(v)) continue;
    const parts = path.split('.');
    const stage = parts[0] === 'stages' && config.stages.length > 1 ? `${config.stages[Number(parts[1])].name} ` : '';
    const was = base.get(path);
    out.push({
      path,
      key: `${stage}${parts[parts.length - 1]}`,
      from: was === undefined ? 'unset' : shortValue(was),
      to: shortValue(v),
    });
  }
  if (config.stages.length !== from.stages.length)
    out.push({ path: 'stages', key: 'stages', from: String(from.stages.length), to: String(config.stages.length) });
  // What a run trains with first, then its data, then its models and the rest (seed, metric period): a name that
  // lists only a few changes lists those that tell variants apart (beta 2, not seed 7).
  return out.sort((a, b) => RANK(a.path) - RANK(b.path)).map(({ path: _, ...c }) => c);
}

const RANK = (path: string): number =>
  path.startsWith('stages') ? 0 : path.startsWith('world.') ? 1 : path.startsWith('models.') ? 2 : 3;

/** The settings of `config` that differ from `from`, as "field value" ("beta 2"; "3 stages" for the stage count). */
export function changes(config: ExperimentConfig, from: ExperimentConfig): string[] {
  return changeList(config, from).map((c) => (c.key === 'stages' ? `${c.to} stages` : `${c.key} ${c.to}`));
}

interface PresetLike {
  name: string;
  config: ExperimentInput;
}

const parsed = (p: PresetLike) => parseConfig(structuredClone(p.config));
const sameShape = (a: ExperimentConfig, b: ExperimentConfig) =>
  a.world.kind === b.world.kind &&
  a.stages.length === b.stages.length &&
  a.stages.every((s, i) => s.kind === b.stages[i].kind);

/** The preset a config differs least from, among those of the same world and stage kinds (null if none). */
export function nearestPreset(config: ExperimentConfig, presets: readonly PresetLike[]): PresetLike | null {
  let best: { p: PresetLike; n: number } | null = null;
  for (const p of presets) {
    const cfg = parsed(p);
    if (!sameShape(config, cfg)) continue;
    const n = changes(config, cfg).length;
    if (!best || n < best.n) best = { p, n };
  }
  return best?.p ?? null;
}

/**
 * "dpo-bandit · beta 2 · lr 0.1": the preset the run started from (else the nearest one) and what differs from it;
 * the config's title when it has one and no preset is like it, else "custom run".
 */
export function runName(config: ExperimentConfig, preset: PresetLike | null, presets: readonly PresetLike[]): string {
  const from = preset ?? nearestPreset(config, presets);
  if (!from) return config.title || 'custom run';
  const list = changes(config, parsed(from));
  const shown = list.slice(0, MAX_CHANGES);
  const more = list.length > MAX_CHANGES ? [`+${list.length - MAX_CHANGES} more`] : [];
  return [from.name, ...shown, ...more].join(' · ');
}

/**
 * The comment an export opens with: the run's name and each setting changed from its preset with both values, or
 * what the config is when no preset is like it. Each line starts with "#" (pandas: `read_csv(comment="#")`).
 */
export function exportComment(
  config: ExperimentConfig,
  preset: PresetLike | null,
  presets: readonly PresetLike[],
): string[] {
  const from = preset ?? nearestPreset(config, presets);
  const head = `# PrefLab run: ${runName(config, preset, presets)}`;
  if (!from) return [head, `# a custom experiment on the ${config.world.kind} world`];
  const list = changeList(config, parsed(from));
  if (list.length === 0) return [head, `# preset ${from.name} unchanged`];
  return [head, `# changed from preset ${from.name}: ${list.map((c) => `${c.key} ${c.from} -> ${c.to}`).join(', ')}`];
}

/** A file name for a run: its name in lowercase letters, digits and dashes, and the steps done. */
export function runFileBase(name: string, done: number): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return `${slug || 'preflab-run'}-step${done}`;
}

/** Changed settings a link's note lists before it says how many more there are. */
const MAX_NOTE_CHANGES = 5;
/** Past this many changes a config is no longer "a preset plus changes" but an experiment of its own. */
const MAX_NEAR_CHANGES = 8;

/** "a, b and c" */
const listed = (items: string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

export interface ConfigOrigin {
  /** The preset the config is that preset plus a few changes of, or null (another world or stage kinds, or far). */
  preset: PresetLike | null;
  /** What differs from that preset ("beta 2"), empty for the preset unchanged. */
  changes: string[];
  /** "dpo-bandit with beta 2 and steps 600", "dpo-bandit unchanged", "a custom experiment on the bandit world". */
  text: string;
}

/** What a config is, said in words: the nearest preset and what differs from it, or its world when none is near. */
export function describeConfig(config: ExperimentConfig, presets: readonly PresetLike[]): ConfigOrigin {
  const near = nearestPreset(config, presets);
  const list = near ? changes(config, parsed(near)) : [];
  if (!near || list.length > MAX_NEAR_CHANGES) {
    return { preset: null, changes: [], text: `a custom experiment on the ${config.world.kind} world` };
  }
  if (list.length === 0) return { preset: near, changes: [], text: `${near.name} unchanged` };
  const shown = list.slice(0, MAX_NOTE_CHANGES);
  const more = list.length - shown.length;
  const items = more > 0 ? [...shown, `${more} more ${more === 1 ? 'setting' : 'settings'}`] : shown;
  return { preset: near, changes: list, text: `${near.name} with ${listed(items)}` };
}
