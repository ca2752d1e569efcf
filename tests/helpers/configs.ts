// Random valid experiment configs for fuzz tests: a preset's config with its numeric fields redrawn within the
// schema's own bounds (read from the schema, so a new field is fuzzed too), and the same pushed to the memory
// budget's edge by growing one size field as far as parseConfig accepts.

import type { Philox } from '../../src/engine/rng';
import { ModelSchema, parseConfig, StageSchema, WorldSchema, type ExperimentConfig } from '../../src/lab/config';
import { PRESETS } from '../../src/lab/presets';

interface NumberField {
  key: string;
  min: number;
  max: number;
  integer: boolean;
}

/** The parts of a valibot schema object this file reads. */
interface Any {
  entries?: Record<string, Any>;
  options?: Any[];
  wrapped?: Any;
  literal?: unknown;
  pipe?: readonly { type: string; requirement?: unknown }[];
}

const schemaOf = (s: unknown) => s as Any;

/** The bounded number fields of an object schema, as its `num` and `int` fields declare them. */
function numberFields(schema: Any): NumberField[] {
  const out: NumberField[] = [];
  for (const [key, field] of Object.entries(schema.entries ?? {})) {
    const inner = field.wrapped ?? field;
    const pipe = inner.pipe ?? [];
    const min = pipe.find((a) => a.type === 'min_value')?.requirement;
    const max = pipe.find((a) => a.type === 'max_value')?.requirement;
    if (typeof min !== 'number' || typeof max !== 'number') continue;
    out.push({ key, min, max, integer: pipe.some((a) => a.type === 'integer') });
  }
  return out;
}

/** The variant option of a `kind`-discriminated schema for one kind. */
function optionOf(variant: Any, kind: string): Any {
  const found = variant.options?.find((o) => o.entries?.kind?.literal === kind);
  if (!found) throw new Error(`no schema for kind ${kind}`);
  return found;
}

/** A value in [min, max]: log-uniform over wide positive ranges, so small sizes are drawn as often as large. */
function draw(f: NumberField, rng: Philox): number {
  const u = rng.uniform();
  const x = f.min > 0 && f.max / f.min > 100 ? f.min * (f.max / f.min) ** u : f.min + (f.max - f.min) * u;
  return f.integer ? Math.min(f.max, Math.max(f.min, Math.round(x))) : x;
}

type Target = { obj: Record<string, unknown>; fields: NumberField[] };

/** Every object of a config that has bounded number fields: the world, each stage, each named model. */
function targets(cfg: Record<string, unknown>): Target[] {
  const world = cfg.world as Record<string, unknown>;
  const list: Target[] = [{ obj: world, fields: numberFields(optionOf(schemaOf(WorldSchema), world.kind as string)) }];
  for (const s of cfg.stages as Record<string, unknown>[])
    list.push({ obj: s, fields: numberFields(optionOf(schemaOf(StageSchema), s.kind as string)) });
  for (const m of Object.values((cfg.models ?? {}) as Record<string, Record<string, unknown>>))
    list.push({ obj: m, fields: numberFields(optionOf(schemaOf(ModelSchema), m.kind as string)) });
  return list.filter((t) => t.fields.length > 0);
}

const accepts = (cfg: unknown): boolean => {
  try {
    parseConfig(cfg);
    return true;
  } catch {
    return false;
  }
};

/**
 * A config of one of the presets of `world` with `edits` numeric fields redrawn; an edit parseConfig refuses is
 * undone, so it is always valid.
 */
export function randomConfig(rng: Philox, world: string, edits = 6): Record<string, unknown> {
  const presets = PRESETS.filter((p) => (p.config.world as { kind: string }).kind === world);
  const cfg = structuredClone(presets[rng.int(presets.length)].config) as Record<string, unknown>;
  for (let e = 0; e < edits; e++) {
    const list = targets(cfg);
    const t = list[rng.int(list.length)];
    const f = t.fields[rng.int(t.fields.length)];
    const before = t.obj[f.key];
    t.obj[f.key] = draw(f, rng);
    if (!accepts(cfg)) t.obj[f.key] = before;
  }
  return cfg;
}

/** Which integer fields atBudgetEdge grows first, and which it leaves as they are. */
export interface Growth {
  first?: readonly string[];
  keep?: readonly string[];
}

/**
 * Grow the integer fields of `cfg` (those in `first` before the others, each group in a random order) each to the
 * largest value parseConfig accepts (a binary search: the memory estimate grows with every size), so the first
 * fields take what the budget leaves. Returns the parsed config.
 */
export function atBudgetEdge(input: Record<string, unknown>, rng: Philox, growth: Growth = {}): ExperimentConfig {
  const cfg = structuredClone(input);
  const { first = [], keep = [] } = growth;
  const candidates = targets(cfg).flatMap((t) =>
    t.fields.filter((f) => f.integer && !keep.includes(f.key)).map((f) => ({ obj: t.obj, f, key: rng.uniform() })),
  );
  const rank = (k: string) => (first.includes(k) ? 0 : 1);
  candidates.sort((a, b) => rank(a.f.key) - rank(b.f.key) || a.key - b.key);
  for (const { obj, f } of candidates) {
    const start = obj[f.key];
    const had = start !== undefined;
    let lo = typeof start === 'number' ? start : f.min;
    let hi = f.max;
    obj[f.key] = lo;
    if (!accepts(cfg)) {
      if (had) obj[f.key] = start;
      else delete obj[f.key];
      continue;
    }
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      obj[f.key] = mid;
      if (accepts(cfg)) lo = mid;
      else hi = mid - 1;
    }
    obj[f.key] = lo;
  }
  return parseConfig(cfg);
}
