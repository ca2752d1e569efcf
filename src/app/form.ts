// The config form, generated from the valibot schema by introspection (src/lab/config-fields.ts): every bounded
// number, choice and switch of the current config that applies to it becomes a field with the schema's title,
// description, bounds and options in words, in a section for the run, its world, each model and each stage.
// Pure: unit-tested.

import { fieldsOf, unwrap, type ConfigField, type FieldPath, type SchemaNode } from '../lab/config-fields';

export type FormField = ConfigField;
export type { FieldPath };

export interface FormSection {
  title: string;
  fields: FormField[];
}

/**
 * The form of a config: a section for the run, its world, each model and each stage. A field that does not apply
 * is left out unless `keep` names it (a field with a problem stays in sight until it is fixed).
 */
export function formSections(
  schema: unknown,
  config: Record<string, unknown>,
  keep: ReadonlySet<string> = new Set(),
): FormSection[] {
  const root = unwrap(schema as SchemaNode);
  const entries = root.entries ?? {};
  const sections: FormSection[] = [];
  const shown = (fields: FormField[]) => fields.filter((f) => f.applies || keep.has(f.id));
  const section = (title: string, s: SchemaNode, value: unknown, path: FieldPath) => {
    const fields = shown(fieldsOf(s, value, path, config));
    if (fields.length) sections.push({ title, fields });
  };
  const run = shown(
    ['seed', 'metrics'].flatMap((k) => (entries[k] ? fieldsOf(entries[k], config[k], [k], config) : [])),
  );
  if (run.length) sections.push({ title: 'Run', fields: run });
  const world = config.world as { kind?: string } | undefined;
  if (entries.world) section(`World: ${world?.kind ?? ''}`, entries.world, config.world, ['world']);
  const models = (config.models ?? {}) as Record<string, unknown>;
  const modelSchema = entries.models ? unwrap(entries.models) : null;
  if (modelSchema?.value)
    for (const [name, m] of Object.entries(models)) section(`Model: ${name}`, modelSchema.value, m, ['models', name]);
  const stages = (config.stages ?? []) as { kind?: string; name?: string }[];
  const stageSchema = entries.stages ? unwrap(entries.stages) : null;
  const item = stageSchema?.item ?? stageSchema?.pipe?.find((p) => p.type === 'array')?.item;
  if (item) stages.forEach((st, i) => section(`Stage ${i + 1}: ${st.name ?? st.kind}`, item, st, ['stages', i]));
  return sections;
}

/** A copy of `obj` with the value at `path` replaced (structural sharing elsewhere). */
export function setIn<T>(obj: T, path: FieldPath, value: unknown): T {
  if (path.length === 0) return value as T;
  const [head, ...rest] = path;
  const src = (obj ?? (typeof head === 'number' ? [] : {})) as Record<string | number, unknown>;
  const copy = (Array.isArray(src) ? [...src] : { ...src }) as Record<string | number, unknown>;
  copy[head] = setIn(src[head], rest, value);
  return copy as T;
}

/** Read a number input: NaN (an empty or partial entry) stays NaN so the schema reports it. */
export function readNumber(text: string): number {
  return text.trim() === '' ? NaN : Number(text);
}

/** A range slider beside a bounded number field: positions 0..STEPS, on a log scale when the range is wide. */
export interface Slider {
  steps: number;
  log: boolean;
  position(value: number): number;
  value(position: number): number;
}

const SLIDER_STEPS = 1000;

/**
 * The slider of a field, or null when it has none (unbounded, or not a number). Ranges spanning three decades or
 * more of positive values (learning rates, beta) slide in log space, so every decade gets the same travel.
 */
export function sliderOf(f: FormField): Slider | null {
  if ((f.kind !== 'number' && f.kind !== 'integer') || f.min === undefined || f.max === undefined) return null;
  const { min, max } = f;
  if (!(max > min) || !Number.isFinite(min) || !Number.isFinite(max)) return null;
  const log = min > 0 && max / min >= 1000;
  const integer = f.kind === 'integer';
  const steps = integer && !log ? Math.min(SLIDER_STEPS, max - min) : SLIDER_STEPS;
  const lo = log ? Math.log(min) : min;
  const hi = log ? Math.log(max) : max;
  const clamp = (x: number) => Math.min(max, Math.max(min, x));
  return {
    steps,
    log,
    position(value) {
      const x = log ? Math.log(clamp(value)) : clamp(value);
      return Math.round(((x - lo) / (hi - lo)) * steps);
    },
    value(position) {
      const x = lo + (Math.min(steps, Math.max(0, position)) / steps) * (hi - lo);
      const v = clamp(log ? Math.exp(x) : x);
      if (integer) return Math.round(v);
      // Three significant digits: a slider picks a magnitude, the number field takes exact values.
      return clamp(Number(v.toPrecision(3)));
    },
  };
}
