// A run's name and file name from its config: the preset it started from and what was changed, so two variants of
// one preset are told apart in the saved-runs list and in the Downloads folder. Pure: unit-tested.

import { parseConfig, type ExperimentConfig, type ExperimentInput } from '../lab/config';

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
      : String(v).slice(0, 24);

/** The settings of `config` that differ from `from`, as "field value" (the last path segment; stages by index). */
export function changes(config: ExperimentConfig, from: ExperimentConfig): string[] {
  const base = new Map(leaves(from, '', []).map(([p, v]) => [p, JSON.stringify(v)]));
  const out: string[] = [];
  for (const [path, v] of leaves(config, '', [])) {
    if (path === 'title' || base.get(path) === JSON.stringify(v)) continue;
    const parts = path.split('.');
    const stage = parts[0] === 'stages' && config.stages.length > 1 ? `${config.stages[Number(parts[1])].name} ` : '';
    out.push(`${stage}${parts[parts.length - 1]} ${shortValue(v)}`);
  }
  if (config.stages.length !== from.stages.length) out.push(`${config.stages.length} stages`);
  return out;
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
 * "dpo-bandit (beta 2, lr 0.1)": the preset the run started from (else the nearest one) and what differs from it;
 * the config's title when it has one and no preset is like it, else "custom run".
 */
export function runName(config: ExperimentConfig, preset: PresetLike | null, presets: readonly PresetLike[]): string {
  const from = preset ?? nearestPreset(config, presets);
  if (!from) return config.title || 'custom run';
  const list = changes(config, parsed(from));
  if (list.length === 0) return from.name;
  const shown = list.slice(0, MAX_CHANGES).join(', ');
  const more = list.length > MAX_CHANGES ? ` +${list.length - MAX_CHANGES} more` : '';
  return `${from.name} (${shown}${more})`;
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
