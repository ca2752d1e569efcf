// Run export and import: CSV and JSON lines with the registry's columns (the CLI's `metricLine` format), and the run
// bundle (config, metric history, final snapshot, final weights) with validation on import. Pure functions, unit-tested.
import * as v from 'valibot';
import { ConfigError, expectedWeights, parseConfig, type ExperimentConfig } from '../lab/config';
import type { Snapshot } from '../lab/stage';
import { isMetricName, METRIC_COLUMNS, type MetricRow } from '../lab/metrics';
import { parseSnapshot, SnapshotError } from '../lab/snapshot-schema';

/** One JSON line per row: the registry's columns in order, absent metrics left out (as `lab run --out`). */
export function metricLine(row: MetricRow): string {
  const o: Record<string, number | string> = {};
  for (const k of METRIC_COLUMNS) if (row[k] !== undefined) o[k] = row[k];
  return JSON.stringify(o);
}

export function toJsonLines(rows: readonly MetricRow[]): string {
  return rows.map((r) => metricLine(r) + '\n').join('');
}

function csvCell(x: number | string | undefined): string {
  if (x === undefined) return '';
  if (typeof x === 'number')
    return Number.isFinite(x) ? String(x) : Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  return /[",\n\r]/.test(x) ? `"${x.replace(/"/g, '""')}"` : x;
}

/**
 * CSV with a header of METRIC_COLUMNS; a metric a row lacks is an empty cell. Numbers round-trip exactly. `comment`:
 * lines starting with "#" above the header (what the run is).
 */
export function toCsv(rows: readonly MetricRow[], comment: readonly string[] = []): string {
  const lines = [...comment, METRIC_COLUMNS.join(',')];
  for (const r of rows) lines.push(METRIC_COLUMNS.map((k) => csvCell(r[k])).join(','));
  return lines.join('\n') + '\n';
}

/**
 * Parse toCsv's output back into rows (to compare runs in tests); comment lines and a column outside the registry
 * are left out.
 */
export function fromCsv(text: string): MetricRow[] {
  const [head, ...lines] = text
    .trim()
    .split(/\r?\n/)
    .filter((l) => !l.startsWith('#'));
  const cols = head.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const row: MetricRow = { stage: '', step: 0 };
    cols.forEach((c, i) => {
      const cell = cells[i] ?? '';
      if (cell === '') return;
      if (c === 'stage') row.stage = cell;
      else if (c === 'step') row.step = Number(cell);
      else if (isMetricName(c)) row[c] = Number(cell);
    });
    return row;
  });
}

export const BUNDLE_FORMAT = 'preflab-run';
export const BUNDLE_VERSION = 1;

/** A finished or paused run as one JSON file: what Save stores and Export writes. */
export interface RunBundle {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  name: string;
  savedAt: string;
  backend: string;
  config: ExperimentConfig;
  done: number;
  total: number;
  rows: MetricRow[];
  /** The run's final state as the snapshot shows it (the bandit's policy table, sampled sequences), arrays as lists. */
  final: Record<string, unknown> | null;
  /**
   * Each trained model's flat parameter buffer, keyed by model name (absent in bundles saved before weights were
   * kept). In a JSON file: a list of { name, length, base64 } with the little-endian bytes of the floats.
   */
  weights?: Record<string, Float32Array>;
}

/** A weights buffer as JSON carries it: base64 of the little-endian float32 bytes, with the number of floats. */
export interface EncodedWeights {
  name: string;
  length: number;
  base64: string;
}

export function encodeWeights(weights: Record<string, Float32Array>): EncodedWeights[] {
  return Object.entries(weights).map(([name, w]) => {
    const bytes = new Uint8Array(w.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < w.length; i++) view.setFloat32(i * 4, w[i], true);
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return { name, length: w.length, base64: btoa(bin) };
  });
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** The 6-bit value of each ASCII character of the base64 alphabet; -1 for every other character. */
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i;

const sextet = (s: string, i: number): number => {
  const c = s.charCodeAt(i);
  return c < 128 ? SEXTET[c] : -1;
};

/**
 * Decode padded standard base64 in one pass over the characters, or return null where one is out of place. A
 * regular expression over the whole text backtracks per group and overflows the stack on a few MiB; this loop
 * holds no state but its position, at any size.
 */
function base64Bytes(s: string): Uint8Array | null {
  if (s.length % 4 !== 0) return null;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  const full = pad > 0 ? s.length - 4 : s.length;
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const a = sextet(s, i);
    const b = sextet(s, i + 1);
    const c = sextet(s, i + 2);
    const d = sextet(s, i + 3);
    if ((a | b | c | d) < 0) return null;
    const x = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = x >> 16;
    out[o++] = (x >> 8) & 0xff;
    out[o++] = x & 0xff;
  }
  if (pad > 0) {
    const a = sextet(s, full);
    const b = sextet(s, full + 1);
    const c = pad === 1 ? sextet(s, full + 2) : 0;
    if ((a | b | c) < 0) return null;
    out[o++] = (a << 2) | (b >> 4);
    if (pad === 1) out[o] = ((b & 0xf) << 4) | (c >> 2);
  }
  return out;
}

/**
 * Decode encodeWeights' output for the models a run trains (`expectedWeights` of its config), refusing anything
 * that does not fit: a model the run does not have, a length other than the model's parameter count, a model
 * missing, bad base64, a length the bytes do not match. Names and lengths are checked before any base64 is read.
 */
export function decodeWeights(
  list: readonly EncodedWeights[],
  expected: ReadonlyMap<string, number>,
): Record<string, Float32Array> {
  // No prototype: a name is only ever a key here, whatever it spells.
  const out: Record<string, Float32Array> = Object.create(null) as Record<string, Float32Array>;
  const seen = new Set<string>();
  for (const { name, length } of list) {
    const want = expected.get(name);
    if (want === undefined)
      throw new BundleError(
        `the weights of ${JSON.stringify(name)} belong to no model of the run's config (it trains ${[...expected.keys()].join(', ')})`,
      );
    if (seen.has(name)) throw new BundleError(`the weights of ${name} appear twice`);
    seen.add(name);
    if (length !== want)
      throw new BundleError(`the weights of ${name} hold ${length} floats, but its config gives ${name} ${want}`);
  }
  for (const [name, want] of expected)
    if (!seen.has(name)) throw new BundleError(`the weights of ${name} (${want} floats) are missing`);
  for (const { name, length, base64 } of list) {
    const bytes = base64Bytes(base64);
    if (!bytes) throw new BundleError(`the weights of ${name} are not valid base64`);
    if (bytes.length !== length * 4)
      throw new BundleError(
        `the weights of ${name} hold ${bytes.length} bytes, not ${length * 4} for ${length} floats`,
      );
    const view = new DataView(bytes.buffer);
    const w = new Float32Array(length);
    for (let i = 0; i < length; i++) w[i] = view.getFloat32(i * 4, true);
    out[name] = w;
  }
  return out;
}

/** Bytes of a bundle's weights (0 when it has none). */
export function weightBytes(weights: Record<string, Float32Array> | undefined): number {
  return Object.values(weights ?? {}).reduce((a, w) => a + w.byteLength, 0);
}

const cell = v.union([v.number(), v.string(), v.null()]);
const BundleShape = v.object({
  format: v.literal(BUNDLE_FORMAT),
  version: v.literal(BUNDLE_VERSION),
  name: v.pipe(v.string(), v.maxLength(200)),
  savedAt: v.string(),
  backend: v.string(),
  config: v.unknown(),
  done: v.pipe(v.number(), v.integer(), v.minValue(0)),
  total: v.pipe(v.number(), v.integer(), v.minValue(0)),
  rows: v.array(
    v.pipe(
      v.record(v.string(), cell),
      v.check((r) => typeof r.stage === 'string' && typeof r.step === 'number', 'each row needs a stage and a step'),
      v.check(
        (r) => Object.entries(r).every(([k, x]) => k === 'stage' || typeof x !== 'string'),
        "a row's metrics are numbers",
      ),
    ),
  ),
  final: v.nullable(v.record(v.string(), v.unknown())),
  weights: v.optional(
    v.array(
      v.object({
        name: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
        length: v.pipe(v.number(), v.integer(), v.minValue(0)),
        base64: v.string(),
      }),
    ),
  ),
});

export class BundleError extends Error {}

/** JSON has no NaN: non-finite metrics are written as null and read back as NaN. */
export function serializeBundle(b: RunBundle): string {
  const { weights, ...rest } = b;
  const out = weights ? { ...rest, weights: encodeWeights(weights) } : rest;
  return JSON.stringify(out, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x));
}

/** Validate an imported file: its shape, its config against the schema, its final state and weights against the config. */
export function parseBundle(text: string): RunBundle {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    throw new BundleError('the file is not JSON');
  }
  const shape = v.safeParse(BundleShape, input);
  if (!shape.success) {
    const issue = shape.issues[0];
    const where = v.getDotPath(issue);
    throw new BundleError(`the file is not a PrefLab run bundle: ${where ? `${where}: ` : ''}${issue.message}`);
  }
  let config: ExperimentConfig;
  try {
    config = parseConfig(shape.output.config);
  } catch (e) {
    if (e instanceof ConfigError) throw new BundleError(`the run's config is not valid: ${e.problems.join('; ')}`);
    throw e;
  }
  const b = shape.output;
  if (b.done > b.total) throw new BundleError(`the run claims ${b.done} steps done of ${b.total}`);
  const rows = b.rows.map((r) => {
    const row: MetricRow = { stage: r.stage as string, step: r.step as number };
    // A metric this version does not know (a newer one's) is left out: no chart or export here would show it.
    for (const [k, x] of Object.entries(r)) if (isMetricName(k)) row[k] = x === null ? NaN : (x as number);
    return row;
  });
  const { weights, ...rest } = b;
  const bundle: RunBundle = { ...rest, config, rows, final: b.final };
  finalSnapshot(bundle);
  if (weights) bundle.weights = decodeWeights(weights, expectedWeights(config));
  return bundle;
}

/** A bundle's final state as the views read it (typed arrays), checked against the config that made it. */
export function finalSnapshot(b: Pick<RunBundle, 'final' | 'config'>): Snapshot | null {
  if (b.final === null) return null;
  try {
    return parseSnapshot(b.final, b.config);
  } catch (e) {
    if (e instanceof SnapshotError)
      throw new BundleError(`the run's final state does not fit its config: ${e.message}`);
    throw e;
  }
}

/** A snapshot with its typed arrays as plain lists, for JSON and IndexedDB-independent export. */
export function plainSnapshot(s: object | null): Record<string, unknown> | null {
  if (!s) return null;
  const plain = (x: unknown): unknown =>
    ArrayBuffer.isView(x)
      ? Array.from(x as unknown as ArrayLike<number>)
      : x && typeof x === 'object' && !Array.isArray(x)
        ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]))
        : x;
  return plain(s) as Record<string, unknown>;
}
