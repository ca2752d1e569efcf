// The settings of a config, read from its valibot schema by introspection: every titled number, choice and switch
// with its path, title, description, bounds, options in words, and whether it applies to the config at hand (the
// rules are the schema's metadata, FieldMeta). The UI form and run names both read them. Pure: unit-tested.

import { ExperimentSchema, type ExperimentConfig } from './config';
import type { FieldContext, FieldMeta } from './worlds/common-config';

/** The parts of a valibot schema object this walker reads (valibot schemas are plain objects). */
export interface SchemaNode {
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
  metadata?: FieldMeta;
}

export type FieldPath = (string | number)[];

export interface ConfigField {
  path: FieldPath;
  /** A stable DOM id and label key: the dotted path. */
  id: string;
  label: string;
  description: string;
  kind: 'number' | 'integer' | 'choice' | 'boolean';
  min?: number;
  max?: number;
  /** A choice's options, each with its words ("sigmoid — DPO"; the value itself where the schema gives none). */
  options?: { value: string; label: string }[];
  value: unknown;
  /** False where the config's world or another setting makes the field moot (gamma of a sigmoid loss). */
  applies: boolean;
}

export const unwrap = (s: SchemaNode): SchemaNode =>
  s.type === 'optional' || s.type === 'nullable' ? unwrap(s.wrapped!) : s;

function meta(s: SchemaNode) {
  const out: { title?: string; description?: string; min?: number; max?: number; integer: boolean } & FieldMeta = {
    integer: false,
  };
  for (const p of s.pipe ?? []) {
    if (p.type === 'title') out.title = p.title;
    else if (p.type === 'description') out.description = p.description;
    else if (p.type === 'min_value') out.min = p.requirement as number;
    else if (p.type === 'max_value') out.max = p.requirement as number;
    else if (p.type === 'integer') out.integer = true;
    else if (p.type === 'metadata') Object.assign(out, p.metadata);
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

type Root = FieldContext['config'];

function walk(
  schema: SchemaNode,
  value: unknown,
  path: FieldPath,
  root: Root,
  parent: Record<string, unknown>,
  out: ConfigField[],
): void {
  const s = unwrap(schema);
  if (s.type === 'variant') {
    const opt = variantOption(s, value);
    if (opt) walk(opt, value, path, root, parent, out);
    return;
  }
  if (s.type === 'object') {
    const obj = (value ?? {}) as Record<string, unknown>;
    for (const [k, child] of Object.entries(s.entries ?? {})) walk(child, obj[k], [...path, k], root, obj, out);
    return;
  }
  // A list checked for length first (boundedList) carries its array schema last in its pipe.
  const list = s.type === 'array' ? s : s.pipe?.find((p) => p.type === 'array');
  if (list) {
    if (!Array.isArray(value)) return;
    value.forEach((x, i) => walk(list.item!, x, [...path, i], root, parent, out));
    return;
  }
  if (s.type === 'record') {
    for (const [k, x] of Object.entries((value ?? {}) as Record<string, unknown>))
      walk(s.value!, x, [...path, k], root, parent, out);
    return;
  }
  const m = meta(s);
  // Only titled fields are user settings; names, versions and discriminators are not.
  if (!m.title) return;
  const applies = m.applies ? m.applies({ config: root, parent }) : true;
  const base = { path, id: path.join('.'), label: m.title, description: m.description ?? '', value, applies };
  if (s.type === 'number') out.push({ ...base, kind: m.integer ? 'integer' : 'number', min: m.min, max: m.max });
  else if (s.type === 'picklist') {
    const options = (s.options as readonly string[]).map((o) => ({ value: o, label: m.optionLabels?.[o] ?? o }));
    out.push({ ...base, kind: 'choice', options });
  } else if (s.type === 'boolean') out.push({ ...base, kind: 'boolean' });
}

/** The fields of `value`, the part of `config` at `path` whose schema is `schema`. */
export function fieldsOf(schema: unknown, value: unknown, path: FieldPath, config: object): ConfigField[] {
  const out: ConfigField[] = [];
  walk(schema as SchemaNode, value, path, config as Root, {}, out);
  return out;
}

/** The dotted paths of the settings that do not apply to a config (its world or other settings make them moot). */
export function mootPaths(config: ExperimentConfig): Set<string> {
  const fields = fieldsOf(ExperimentSchema, config, [], config);
  return new Set(fields.filter((f) => !f.applies).map((f) => f.id));
}
