// The config form, generated from the valibot schema by introspection: every bounded number, choice and switch of
// the current config becomes a field with the schema's title, description and bounds. Pure: unit-tested.

/** The parts of a valibot schema object this walker reads (valibot schemas are plain objects). */
interface SchemaNode {
  type: string;
  wrapped?: SchemaNode;
  entries?: Record<string, SchemaNode>;
  options?: SchemaNode[] | readonly string[];
  key?: string;
  item?: SchemaNode;
  value?: SchemaNode;
  literal?: unknown;
  pipe?: SchemaNode[];
  requirement?: unknown;
  title?: string;
  description?: string;
}

export type FieldPath = (string | number)[];

export interface FormField {
  path: FieldPath;
  /** A stable DOM id and label key: the dotted path. */
  id: string;
  label: string;
  description: string;
  kind: 'number' | 'integer' | 'choice' | 'boolean';
  min?: number;
  max?: number;
  options?: string[];
  value: unknown;
}

export interface FormSection {
  title: string;
  fields: FormField[];
}

const unwrap = (s: SchemaNode): SchemaNode => (s.type === 'optional' || s.type === 'nullable' ? unwrap(s.wrapped!) : s);

function meta(s: SchemaNode) {
  const out: { title?: string; description?: string; min?: number; max?: number; integer: boolean } = {
    integer: false,
  };
  for (const p of s.pipe ?? []) {
    if (p.type === 'title') out.title = p.title;
    else if (p.type === 'description') out.description = p.description;
    else if (p.type === 'min_value') out.min = p.requirement as number;
    else if (p.type === 'max_value') out.max = p.requirement as number;
    else if (p.type === 'integer') out.integer = true;
  }
  return out;
}

/** The option of a variant schema that matches the value's discriminator. */
function variantOption(s: SchemaNode, value: unknown): SchemaNode | null {
  const key = s.key!;
  const tag = (value as Record<string, unknown> | null)?.[key];
  for (const o of s.options as SchemaNode[]) {
    const opt = unwrap(o);
    if (opt.entries?.[key]?.literal === tag) return opt;
  }
  return null;
}

function walk(schema: SchemaNode, value: unknown, path: FieldPath, out: FormField[]): void {
  const s = unwrap(schema);
  if (s.type === 'variant') {
    const opt = variantOption(s, value);
    if (opt) walk(opt, value, path, out);
    return;
  }
  if (s.type === 'object') {
    const obj = (value ?? {}) as Record<string, unknown>;
    for (const [k, child] of Object.entries(s.entries ?? {})) walk(child, obj[k], [...path, k], out);
    return;
  }
  if (s.type === 'array') {
    if (!Array.isArray(value)) return;
    value.forEach((x, i) => walk(s.item!, x, [...path, i], out));
    return;
  }
  if (s.type === 'record') {
    for (const [k, x] of Object.entries((value ?? {}) as Record<string, unknown>)) walk(s.value!, x, [...path, k], out);
    return;
  }
  const m = meta(s);
  // Only titled fields are user settings; names, versions and discriminators are not.
  if (!m.title) return;
  const base = { path, id: path.join('.'), label: m.title, description: m.description ?? '', value };
  if (s.type === 'number') out.push({ ...base, kind: m.integer ? 'integer' : 'number', min: m.min, max: m.max });
  else if (s.type === 'picklist') out.push({ ...base, kind: 'choice', options: [...(s.options as readonly string[])] });
  else if (s.type === 'boolean') out.push({ ...base, kind: 'boolean' });
}

/** The form of a config: a section for the run, its world, each model and each stage. */
export function formSections(schema: unknown, config: Record<string, unknown>): FormSection[] {
  const root = unwrap(schema as SchemaNode);
  const entries = root.entries ?? {};
  const sections: FormSection[] = [];
  const section = (title: string, s: SchemaNode, value: unknown, path: FieldPath) => {
    const fields: FormField[] = [];
    walk(s, value, path, fields);
    if (fields.length) sections.push({ title, fields });
  };
  const run: FormField[] = [];
  for (const k of ['seed', 'metrics']) if (entries[k]) walk(entries[k], config[k], [k], run);
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
